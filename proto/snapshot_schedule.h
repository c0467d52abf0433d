// When snapshots are written and when birth buckets open: the schedule the preload follows and
// the tests' writer reproduces, so that synthetic files have the instants real ones have.
//
// Snapshots: the first one kFirstSnapshotPeriodNs after start, the period doubling up to the
// interval (10, 30, 70, 150, ... ms, then every CLWLEAK_INTERVAL), so a run of a second already
// has a series. Birth buckets: only opened just before a snapshot, so a bucket's bounds are
// snapshot instants and a bucket never changes once defined.
#pragma once

#include <cstdint>

namespace clwleak::format {

inline constexpr uint64_t kFirstSnapshotPeriodNs = 10ull * 1000 * 1000;

// The period after the first snapshot's deadline: kFirstSnapshotPeriodNs, or the interval when
// that is shorter.
inline uint64_t FirstSnapshotPeriod(uint64_t interval_ns) {
  return kFirstSnapshotPeriodNs < interval_ns ? kFirstSnapshotPeriodNs : interval_ns;
}

// The period that follows `period_ns`: doubled, capped at the interval.
inline uint64_t NextSnapshotPeriod(uint64_t period_ns, uint64_t interval_ns) {
  return period_ns * 2 < interval_ns ? period_ns * 2 : interval_ns;
}

// Whether the writer opens the next birth bucket at `now_ns`: the open bucket has been open for at
// least half of the profiling time that had passed when it opened. The first snapshot always opens
// one (bucket 0 opened at the start); after that, bucket widths grow with the run, so 32 buckets
// cover the early snapshots and then a day of 5 s snapshots at a width of a third of the elapsed
// time or less. A bucket opened before `start_ns` (a forked child's inheritance from its parent) is
// always due.
inline bool BirthBucketDue(uint64_t now_ns, uint64_t open_since_ns, uint64_t start_ns) {
  if (now_ns <= open_since_ns) return false;
  if (open_since_ns <= start_ns) return true;
  return (now_ns - open_since_ns) * 2 >= open_since_ns - start_ns;
}

}  // namespace clwleak::format
