// StackTable (the stack interner): every distinct sampled call stack gets a small dense id, once,
// and carries the cumulative counters the snapshots report.
//
// Lock-free and allocation-free, sized at start-up:
//  - `records_`: one cache-line-sized StackRecord per id, in id order (ids are dense: 0, 1, 2, ...).
//  - `frames_`: a bump arena of return addresses that records point into.
//  - `index_`: open-addressing hash slots, each one 64-bit word: (32-bit hash tag << 32) | (id + 1),
//    0 when empty. A slot goes from empty to final in one CAS, so no reader ever waits for a writer.
// Interning a new stack: take the next id and arena space with fetch_add, fill the record, publish
// it (record.published, release), then CAS the slot word in. Two threads that meet the same new
// stack at once both make a record; the CAS loser returns the winner's id and its own record stays
// an orphan that nothing counts against (a few bytes, only on a first sighting race).
// Records are never removed: stacks live as long as the process.
//
// Counters: allocated_* and freed_* are only ever added to; live = allocated - freed. Each stack has
// one copy per counter shard (counter_shards.h) so that threads never write the same cache line;
// Totals() sums them, freed before allocated, so the live value it computes is never negative.
// Live bytes by birth (birth_buckets.h) are one more per-shard counter per stack and bucket: added
// to at allocation, subtracted from (mod 2^64) at free, summed over the shards by LiveBytesByBirth;
// the array is optional (its mapping may fail: then ages are not recorded, nothing else changes).
//
// Thread-safety: Intern/RecordAllocation/RecordFree from any thread, never blocking; the writer
// thread reads records [0, id_count()) that are published, and their counters.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base.h"
#include "birth_buckets.h"
#include "counter_shards.h"

namespace clwleak {

// What a stack allocated; the values are proto::AllocationKind's. kHeap and kMmap (private
// anonymous memory in use) can leak; kSharedAnonymous (MAP_SHARED|MAP_ANONYMOUS, shared with
// forked processes) and kReserved (PROT_NONE or MAP_NORESERVE address space, not memory in use
// until committed) are recorded so that the report can show them, never as heap.
enum class AllocationKind : uint32_t { kHeap = 0, kMmap = 1, kSharedAnonymous = 2, kReserved = 3 };

struct StackRecord {
  uint64_t frames_offset;  // into the frame arena
  uint32_t depth;
  AllocationKind kind;
  std::atomic<uint32_t> published;  // 1 once the fields above are written
};

// One shard's counters of one stack: a cache line of its own.
struct alignas(kCacheLine) StackCounters {
  std::atomic<uint64_t> allocated_bytes;
  std::atomic<uint64_t> allocated_count_fp;
  std::atomic<uint64_t> allocated_samples;
  std::atomic<uint64_t> freed_bytes;
  std::atomic<uint64_t> freed_count_fp;
  std::atomic<uint64_t> freed_samples;
  std::atomic<uint64_t> largest_size;  // the largest sampled allocation's size, not weighted
};

// A stack's counters summed over the shards.
struct StackTotals {
  uint64_t allocated_bytes = 0;
  uint64_t allocated_count_fp = 0;
  uint64_t allocated_samples = 0;
  uint64_t freed_bytes = 0;
  uint64_t freed_count_fp = 0;
  uint64_t freed_samples = 0;
  uint64_t largest_size = 0;  // the largest over the shards
};

class StackTable {
 public:
  static constexpr uint32_t kInvalidId = UINT32_MAX;

  // Maps the tables for `max_stacks` stacks; the live bytes by birth (ages) only with
  // `record_ages`, and only if they can be mapped.
  bool Init(uint32_t max_stacks, uint32_t max_depth, bool record_ages = true);
  // The address space Init reserves for these arguments.
  static uint64_t ReservedBytes(uint32_t max_stacks, uint32_t max_depth, bool record_ages);

  // The id of this stack, interning it if new; kInvalidId when the table is full.
  uint32_t Intern(const uintptr_t* frames, uint32_t depth, AllocationKind kind);

  // `birth` is the birth bucket of the block (birth_buckets.h), below kBirthBuckets.
  void RecordAllocation(uint32_t id, uint64_t weight_bytes, uint64_t weight_count_fp,
                        uint32_t birth, CounterShard shard = CurrentCounterShard()) {
    StackCounters& counters = counters_[shard.index * max_stacks_ + id];
    AddToCounter(counters.allocated_bytes, weight_bytes, shard);
    AddToCounter(counters.allocated_count_fp, weight_count_fp, shard);
    AddToCounter(counters.allocated_samples, 1, shard);
    if (birth_bytes_ != nullptr) AddToCounter(BirthCounter(shard.index, id, birth), weight_bytes, shard);
  }
  // The size of a sampled allocation, kept when it is the stack's largest so far (sampled paths
  // only: a load and, rarely, a compare-and-swap on the shard's own cache line).
  void RecordSampledSize(uint32_t id, uint64_t size, CounterShard shard = CurrentCounterShard()) {
    std::atomic<uint64_t>& largest = counters_[shard.index * max_stacks_ + id].largest_size;
    uint64_t seen = largest.load(std::memory_order_relaxed);
    while (size > seen &&
           !largest.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
    }
  }
  void RecordFree(uint32_t id, uint64_t weight_bytes, uint64_t weight_count_fp, uint32_t birth,
                  CounterShard shard = CurrentCounterShard()) {
    StackCounters& counters = counters_[shard.index * max_stacks_ + id];
    AddToCounter(counters.freed_bytes, weight_bytes, shard);
    AddToCounter(counters.freed_count_fp, weight_count_fp, shard);
    AddToCounter(counters.freed_samples, 1, shard);
    if (birth_bytes_ != nullptr) AddToCounter(BirthCounter(shard.index, id, birth), 0 - weight_bytes, shard);
  }
  // The stack's counters over all shards (the writer thread, once per snapshot and stack).
  StackTotals Totals(uint32_t id) const;
  // The stack's live bytes per birth bucket, summed over the shards; a sum read while a free races
  // with it may dip below zero for an instant and is then reported as 0. False when ages are not
  // recorded (the array could not be mapped).
  bool LiveBytesByBirth(uint32_t id, uint64_t (&live)[kBirthBuckets]) const;

  // Ids below this are allocated; each must still be checked with IsPublished().
  uint32_t id_count() const {
    uint32_t next = next_id_.load(std::memory_order_acquire);
    return next < max_stacks_ ? next : max_stacks_;
  }
  bool IsPublished(uint32_t id) const {
    return records_[id].published.load(std::memory_order_acquire) != 0;
  }
  const StackRecord& record(uint32_t id) const { return records_[id]; }

  // In a forked child: a thread that was filling a record when the parent forked does not exist
  // here, so its half-made record is published empty; otherwise the writer, which emits ids in
  // order, would wait for it forever.
  void AbandonUnpublishedAfterFork();
  uint32_t capacity() const { return max_stacks_; }
  bool records_ages() const { return birth_bytes_ != nullptr; }
  const uintptr_t* frames(uint32_t id) const { return frames_ + records_[id].frames_offset; }

 private:

  static uint64_t Hash(const uintptr_t* frames, uint32_t depth, AllocationKind kind);
  std::atomic<uint64_t>& BirthCounter(uint32_t shard, uint32_t id, uint32_t birth) const {
    return birth_bytes_[(static_cast<uint64_t>(shard) * max_stacks_ + id) * kBirthBuckets +
                        (birth < kBirthBuckets ? birth : kBirthBuckets - 1)];
  }
  bool SameStack(uint32_t id, const uintptr_t* frames, uint32_t depth, AllocationKind kind) const;
  // A new, published record for the stack; kInvalidId when the table or the arena is full.
  uint32_t CreateRecord(const uintptr_t* frames, uint32_t depth, AllocationKind kind);

  StackRecord* records_ = nullptr;
  StackCounters* counters_ = nullptr;  // [shard * max_stacks_ + id]
  std::atomic<uint64_t>* birth_bytes_ = nullptr;  // [(shard * max_stacks_ + id) * kBirthBuckets + b]
  uintptr_t* frames_ = nullptr;
  std::atomic<uint64_t>* index_ = nullptr;  // (tag << 32) | (id + 1); 0 = empty
  uint64_t index_mask_ = 0;
  uint32_t max_stacks_ = 0;
  uint64_t frame_capacity_ = 0;
  alignas(kCacheLine) std::atomic<uint32_t> next_id_{0};
  alignas(kCacheLine) std::atomic<uint64_t> frames_used_{0};
};

}  // namespace clwleak
