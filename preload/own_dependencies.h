// OwnDependencies: the libraries loaded only because libclwleak.so needs them (libstdc++ in a C
// program, protobuf-lite, zstd, libdw and what they need). ld.so runs their initializers before
// ours, while the capture may already run (runtime.cc starts it at the first allocation); what they
// allocate there (libstdc++'s 72,704-byte emergency pool, protobuf's registries) is the preload's
// cost, not the host's. So until our constructor has run, a sample whose stack passes through one
// of them is not recorded. After that they run only inside our own (busy) code, unless the host
// loaded them too, and then they are not in the list.
//
// Thread-safety: Find runs once, inside StartCapture (start-up: the object list is stable);
// Forget from our constructor; the check from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace clwleak {

// Finds them. Allocation-free (it runs inside the host's first malloc).
void FindOwnDependencies();

// From libclwleak.so's constructor: every initializer of theirs has run.
void ForgetOwnDependencies();

// Whether a stack of `depth` frames, taken before our constructor ran, passes through them.
bool IsOwnDependencyStartup(const uintptr_t* frames, uint32_t depth);

}  // namespace clwleak
