// ForeignRuntime: another tool that owns the heap of this process: valgrind (which replaces malloc
// and free with its own and checks every block), or a sanitizer runtime (AddressSanitizer,
// ThreadSanitizer, MemorySanitizer, HWAddressSanitizer, which intercept the allocator themselves).
// Under either the preload steps aside (pure pass-through, one warning): its sampled blocks carry a
// header that such a tool would see as an invalid free, and the tool measures the heap anyway.
//
// Allocation-free and dlsym-free: called from the first malloc (runtime.cc, PrepareCapture).
#pragma once

namespace clwleak {

// The name of the tool that owns the heap ("valgrind", "AddressSanitizer", ...), or null.
const char* ForeignHeapRuntime();

}  // namespace clwleak
