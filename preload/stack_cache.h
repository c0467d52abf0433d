// StackCache: a per-thread cache of unwound stacks, reused only after every word that the unwind
// depended on has been read again on the live stack and found unchanged.
//
// A loop that allocates calls malloc from the same place, at the same stack depth, again and
// again; in exact mode libunwind then walks the same frames each time (~60 ns for six frames).
// The cache keeps, for a stack seen before, the addresses of the words the walk read (the slot of
// every return address, and the saved frame pointer of every frame whose CFA is computed from it)
// with their values. When the capturing frame is at the same address (the "anchor") and all those
// words still hold the same values, the walk would read the same words and so reach the same
// frames: the stack is reused without unwinding, and its stack-table id with it.
//
// Why that holds: the canonical frame address (CFA) of each frame is computed from the one below
// it by the frame's unwind rule, which depends on its instruction pointer only. A frame without a
// frame pointer has a fixed size: CFA = inner CFA + constant. A frame pointer frame has CFA =
// rbp + 16, and its rbp is the word saved by the nearest frame below that changed rbp (the frames
// between leave it alone), which is checked: at that frame's CFA - 16 if it keeps a frame pointer
// too, else the one word of its frame that holds the value (a callee-saved register is saved in
// the callee's own frame). Stacks that do not fit are never cached (signal frames, realigned
// frames whose rbp points inside the frame, a saved rbp found twice, stacks deeper than the cache
// holds), and nor are stacks on which the two unwinders disagree.
//
// Entries are made with _Unwind_Backtrace, which reports each frame's CFA, after unw_backtrace
// has produced the stack; the entry is kept only if both saw the same frames. (The preload links
// libunwind before libgcc_s, so this is libunwind's _Unwind_Backtrace: its general unw_step path,
// whose small per-thread cache of unwind rules misses on diverse stacks and then takes two
// sigprocmask system calls per frame.) Making one costs microseconds, several times an unwind, so
// a stack is cached only when it misses twice, and only while the thread's account says the cache
// pays for itself (stack_cache_budget.h): where stacks rarely repeat it goes dormant.
//
// Thread-safety: each thread has its own cache (mapped on first use, unmapped at thread exit);
// the sampled path that uses it holds the thread's re-entrancy guard, so a signal handler that
// allocates meanwhile never reaches it.
#pragma once

#include <atomic>
#include <cstdint>

namespace clwleak {

// A cached stack's stack-table ids, one per AllocationKind; StackTable::kInvalidId until known.
struct CachedStackIds {
  uint32_t by_kind[2];
};

// Callers keep the anchor's frame a frame-pointer frame (libclwleak.so is built with frame
// pointers); `stack_low`/`stack_high` are the calling thread's stack bounds.
struct StackCacheQuery {
  uintptr_t anchor;  // the CFA of the frame that captures (CaptureStack's)
  uintptr_t stack_low;
  uintptr_t stack_high;
};

// Copies a cached stack matching the live one into `frames` (at most `max_depth`) and returns its
// depth with *ids set; returns 0 when there is none, or when the thread's cache is dormant.
uint32_t FindCachedStack(const StackCacheQuery& query, uintptr_t* frames, uint32_t max_depth,
                         CachedStackIds** ids);

// After a miss: `frames[0..depth)` is what libunwind found (our own frames removed, `max_depth`
// the limit it was given) in `unwind_ticks` (StackCacheTicks, stack_cache_budget.h). May cache the
// stack; returns its ids slot if it did. Must be called directly from the frame whose CFA is
// `query.anchor`.
CachedStackIds* OfferUnwoundStack(const StackCacheQuery& query, const uintptr_t* frames,
                                  uint32_t depth, uint32_t max_depth,
                                  bool (*is_own_frame)(uintptr_t), uint64_t unwind_ticks);

// Stacks served from the caches so far (counted per thread in batches, so a little behind).
uint64_t CachedStackCount();

// Creates the thread-exit key that unmaps a thread's cache; called at start-up
// (CreateAllocationFreeKey).
void PrepareStackCache();

// CLWLEAK_STACK_CACHE=always: every thread's cache looks up and fills whatever its budget says.
// Set once at start-up, before any capture.
void SetStackCacheAlways(bool always);

}  // namespace clwleak
