// HookedSymbols: the functions libclwleak.so defines in place of the C library's, each with our
// definition and the next one (what the program would reach without the preload).
//
// A call that reaches glibc's free, realloc or malloc_usable_size with a sampled block crashes (its
// header sits where glibc expects a chunk size: sample_header.h). Normally every binding of these
// names ends at ours, since the preload comes first in the global scope. Two ways around that are
// closed with this table: an object loaded with RTLD_DEEPBIND binds to libc first
// (allocator_rebinding.h), and dlsym can hand out glibc's address (loader_hooks.cc).
//
// A name is only ever redirected to ours when its next definition is glibc's own, so that ours
// forwards straight to glibc: a wrapper preloaded after us (which would make ours call it, and it
// call ours again) keeps every binding as it was.
//
// Thread-safety: built once, on first use, by whichever thread comes first (the others wait a few
// microseconds); read-only afterwards. Not for use inside malloc.
#pragma once

#include <cstddef>

namespace clwleak {

struct HookedSymbol {
  const char* name = nullptr;
  void* ours = nullptr;  // libclwleak.so's definition
  void* next = nullptr;  // the first default-version definition after libclwleak.so, or null
  // A binding to glibc's definition may be moved to ours (see above).
  bool redirectable = false;
};

// The entry for `name`, or null when libclwleak.so does not define it in glibc's place (or when
// called while the real functions are being resolved). Builds the table on first use.
const HookedSymbol* FindHookedSymbol(const char* name);

// Whether `address` lies in libclwleak.so. Valid once FindHookedSymbol has built the table.
bool IsInPreload(const void* address);

}  // namespace clwleak
