// StackCacheBudget: whether a thread's stack cache (stack_cache.h) pays for itself, so that exact
// mode with the cache is never slower than without it.
//
// The cache costs time on every lookup and a lot on every fill (a second unwind that records each
// frame's CFA, several times an unw_backtrace of the same stack); it saves one unwind per hit. On
// a loop that allocates from a few places it hits almost always; on a compiler (tens of thousands
// of distinct deep stacks) it almost never does, and its fills used to triple the run time.
//
// So the cache keeps an account in time-stamp-counter ticks, measured as it goes:
//  - a hit credits what it saved: the average measured unwind less the average lookup;
//  - a lookup that missed is debited the average lookup, and a fill what it took;
//  - every measured unwind credits 1/kExplorationShare of its time, the most the cache may spend
//    when it saves nothing at all, so that it notices when a thread's stacks start repeating.
// Lookups are timed one in kLookupTimingPeriod: a hit on a shallow stack takes a few tens of
// nanoseconds, and reading the counter twice each time would add half of that.
// While the balance is not positive the cache is dormant: no lookup, no fill, only the unwinds are
// timed. The balance starts with a small credit and is capped, so that a long phase of hits cannot
// pay for a long phase of misses.
//
// Thread-safety: one per thread (in the thread's StackCache); not thread-safe.
#pragma once

#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#else
#include "base.h"
#endif

namespace clwleak {

// A cheap clock for the account: the time-stamp counter where there is one.
inline uint64_t StackCacheTicks() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return MonotonicNanos();
#endif
}

class StackCacheBudget {
 public:
  static constexpr int64_t kInitialCredit = int64_t{1} << 17;  // ~40 us at 3 GHz
  static constexpr int64_t kMaxCredit = int64_t{1} << 24;      // ~5 ms at 3 GHz
  static constexpr int64_t kExplorationShare = 16;
  static constexpr uint32_t kLookupTimingPeriod = 16;

  bool Active() const { return balance_ > 0; }

  void OnUnwind(uint64_t ticks) {
    const int64_t measured = Plausible(ticks, average_unwind_);
    average_unwind_ = Average(average_unwind_, measured);
    Credit(measured / kExplorationShare);
  }
  // Whether the lookup about to be made is one of those timed (then NoteLookup follows it).
  bool TimeThisLookup() { return ++lookups_ % kLookupTimingPeriod == 0; }
  void NoteLookup(uint64_t ticks) {
    average_lookup_ = Average(average_lookup_, Plausible(ticks, average_lookup_));
  }
  void OnHit() { Credit(average_unwind_ - average_lookup_); }
  void OnMiss() { Credit(-average_lookup_); }
  void OnFill(uint64_t ticks) { Credit(-Clamp(ticks)); }

  int64_t balance() const { return balance_; }

 private:
  // Longer than any unwind of a few hundred frames (~0.3 ms at 3 GHz): the thread was preempted
  // or migrated meanwhile, or the counter went backwards. Such a measurement says nothing about
  // what a hit saves; it counts as the average so far (or as this bound before there is one).
  static constexpr int64_t kOutlierTicks = int64_t{1} << 20;
  static int64_t Plausible(uint64_t ticks, int64_t average) {
    if (ticks <= static_cast<uint64_t>(kOutlierTicks)) return static_cast<int64_t>(ticks);
    return average != 0 ? average : kOutlierTicks;
  }
  // A fill that took longer than the cap (or a counter that went backwards) counts as the cap:
  // debited in full, the account stays bounded.
  static int64_t Clamp(uint64_t ticks) {
    return ticks > static_cast<uint64_t>(kMaxCredit) ? kMaxCredit : static_cast<int64_t>(ticks);
  }
  // An average over the last few measurements (1/8 weight for the newest).
  static int64_t Average(int64_t average, int64_t measured) {
    return average == 0 ? measured : average + (measured - average) / 8;
  }
  void Credit(int64_t ticks) {
    balance_ += ticks;
    if (balance_ > kMaxCredit) balance_ = kMaxCredit;
    if (balance_ < -kMaxCredit) balance_ = -kMaxCredit;
  }

  int64_t balance_ = kInitialCredit;
  int64_t average_unwind_ = 0;
  int64_t average_lookup_ = 0;
  uint32_t lookups_ = 0;
};

}  // namespace clwleak
