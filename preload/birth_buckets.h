// Birth buckets: the allocation age that the capture records, coarse enough to cost nothing.
//
// The run is cut into at most kBirthBuckets stretches ("birth buckets"). Every sampled block
// remembers the bucket that was open when it was allocated (its birth; a block that realloc moves
// keeps it), and every stack keeps its live bytes per birth bucket (StackTable::LiveBytesByBirth).
// The analyzer reads, from one snapshot, how much of what each stretch of the run allocated is
// still live: the survivors that tell a leak (a steady density of old survivors) from a cache
// (survivors only within its residency) or start-up growth (survivors only at the start).
//
// Only the snapshot writer opens buckets, just before it writes a snapshot, when
// format::BirthBucketDue says so (proto/snapshot_schedule.h): a bucket's bounds are snapshot
// instants and a bucket never changes once defined (proto/clwleak.proto, BirthBucket).
// Hooks read the open bucket with one relaxed load on the sampled paths only.
#pragma once

#include <atomic>
#include <cstdint>

#include "format_limits.h"

namespace clwleak {

constexpr uint32_t kBirthBuckets = format::kBirthBucketCapacity;

// The bucket that samples taken now are born in.
extern std::atomic<uint32_t> g_birth_bucket;

inline uint32_t CurrentBirthBucket() { return g_birth_bucket.load(std::memory_order_relaxed); }

}  // namespace clwleak
