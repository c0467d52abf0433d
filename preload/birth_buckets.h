// Birth buckets: the allocation age that the capture records, coarse enough to cost nothing.
//
// The run is cut into at most kBirthBuckets stretches ("birth buckets"). Every sampled block
// remembers the bucket that was open when it was allocated (its birth; a block that realloc moves
// keeps it), and every stack keeps its live bytes per birth bucket (StackTable::LiveBytesByBirth).
// The analyzer reads, from one snapshot, how much of what each stretch of the run allocated is
// still live: the survivors that tell a leak (a steady density of old survivors) from a cache
// (survivors only within its residency) or start-up growth (survivors only at the start).
//
// Only the snapshot writer opens buckets, just before it writes a snapshot, so a bucket's bounds
// are snapshot instants and a bucket never changes once defined (proto/clwleak.proto, BirthBucket).
// Hooks read the open bucket with one relaxed load on the sampled paths only.
#pragma once

#include <atomic>
#include <cstdint>

namespace clwleak {

constexpr uint32_t kBirthBuckets = 32;

// The bucket that samples taken now are born in.
extern std::atomic<uint32_t> g_birth_bucket;

inline uint32_t CurrentBirthBucket() { return g_birth_bucket.load(std::memory_order_relaxed); }

// Whether the writer opens the next bucket at `now_ns`: the open bucket has been open for at least
// half of the profiling time that had passed when it opened. The first snapshot always opens one
// (bucket 0 opened at the start); after that, bucket widths grow with the run, so 32 buckets cover
// the early snapshots (10 ms, 30 ms, 70 ms, ...) and then a day of 5 s snapshots at a width of a
// third of the elapsed time or less.
// A bucket opened before `start_ns` (a forked child's inheritance from its parent) is always due.
inline bool BirthBucketDue(uint64_t now_ns, uint64_t open_since_ns, uint64_t start_ns) {
  if (now_ns <= open_since_ns) return false;
  if (open_since_ns <= start_ns) return true;
  return (now_ns - open_since_ns) * 2 >= open_since_ns - start_ns;
}

}  // namespace clwleak
