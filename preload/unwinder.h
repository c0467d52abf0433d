// Unwinder: captures the return addresses of the current thread's stack for a sampled allocation.
//
// Two strategies (CLWLEAK_UNWIND):
//  - libunwind (default): unw_backtrace with libunwind's per-thread cache; works on binaries built
//    without frame pointers (Debian's), using .eh_frame. A stack unwound before is taken from the
//    thread's verified stack cache (stack_cache.h) instead, unless CLWLEAK_STACK_CACHE=0.
//  - fp: walks the frame-pointer chain; much cheaper, but only correct where the code keeps frame
//    pointers (-fno-omit-frame-pointer). Each step is checked against the thread's stack bounds, so
//    a broken chain ends the walk instead of faulting.
// Frames inside libclwleak.so itself (the hook that called us) are dropped, so a stack starts at
// the host's call to malloc/new/mmap.
//
// Called on the sampled path of malloc with the thread's re-entrancy guard held: anything libunwind
// allocates on first use passes through unsampled. Never allocates itself.
#pragma once

#include <cstdint>

#include "config.h"
#include "stack_cache.h"

namespace clwleak {

// Finds libclwleak.so's own address range, keeps libunwind off the host's descriptors
// (unwinder_memory_probe.h) and sets its caching policy. Called once at start-up, before any
// sample is taken. False when libunwind cannot be used safely (frame pointers must be used).
bool InitUnwinder();

// Stores up to `max_depth` return addresses, innermost first, and returns how many. With libunwind
// and `use_cache`, a stack that matches the thread's verified cache (stack_cache.h) is taken from
// there; then, or when the stack was just cached, *cached_ids points at the cached stack's
// stack-table ids (to be filled by the caller if unknown); otherwise it is null.
uint32_t CaptureStack(Unwinder unwinder, bool use_cache, uintptr_t* frames, uint32_t max_depth,
                      CachedStackIds** cached_ids);

// Whether the calling thread runs a signal handler: a frame of its stack is a signal frame
// (glibc's __restore_rt, which the unwind tables mark as such). Walks the whole stack with libgcc's
// unwinder; for rare events only (an immediate exit).
bool InSignalHandler();

}  // namespace clwleak
