// DlopenPath: which file a dlopen made by some other code would load, for the RTLD_DEEPBIND loads
// that loader_hooks.cc makes on that code's behalf.
//
// glibc resolves a dlopen name relative to the calling object: a name without a slash is searched
// in the caller's DT_RPATH chain (or its DT_RUNPATH), LD_LIBRARY_PATH, ld.so.cache and the default
// directories; "$ORIGIN" is the caller's directory. When the preload calls dlopen itself, its own
// object is the caller, so the caller-specific parts are done here first:
//  - a path with a slash: only $ORIGIN depends on the caller; it is replaced by the caller's;
//  - a bare name already loaded: found by name, from anywhere;
//  - a bare name otherwise: the caller's search list (dlinfo RTLD_DI_SERINFO) is tried in order,
//    up to the directories it shares with the preload's own list (the defaults, which come after
//    ld.so.cache); what is not found there is left to the preload's dlopen, whose search goes on
//    exactly where the caller's would (LD_LIBRARY_PATH, the cache, the defaults).
// Not reproduced: the glibc-hwcaps subdirectories of the caller's own RPATH/RUNPATH directories
// (the baseline copy in the directory itself is found instead).
//
// Called from dlopen, never from malloc: it may allocate (dlinfo's lists) under the busy guard.
#pragma once

#include <cstddef>

namespace clwleak {

constexpr size_t kCallerPathCapacity = 4096;

// The name to pass to dlopen from libclwleak.so so that it loads what `caller`'s dlopen(file)
// would: `file` itself, or a path written into `buffer`.
const char* PathForCaller(const char* file, const void* caller,
                          char (&buffer)[kCallerPathCapacity]);

}  // namespace clwleak
