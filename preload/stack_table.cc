// Lock-free stack interner; the publication protocol is described in stack_table.h.
#include "stack_table.h"

#include <algorithm>

#include <string.h>

namespace clwleak {

namespace {
constexpr uint32_t kMaxProbe = 128;

uint64_t SlotWord(uint32_t tag, uint32_t id) {
  return (static_cast<uint64_t>(tag) << 32) | (id + 1ull);
}
uint32_t TagOf(uint64_t word) { return static_cast<uint32_t>(word >> 32); }
uint32_t IdOf(uint64_t word) { return static_cast<uint32_t>(word) - 1; }
}  // namespace

namespace {

uint64_t IndexSlots(uint32_t max_stacks) {
  uint64_t index_slots = 16;
  while (index_slots < static_cast<uint64_t>(max_stacks) * 2) index_slots <<= 1;
  return index_slots;
}

// Frame storage for an average depth of half the maximum; a stack that does not fit is dropped.
uint64_t FrameCapacity(uint32_t max_stacks, uint32_t max_depth) {
  return static_cast<uint64_t>(max_stacks) * (max_depth / 2 + 1);
}

uint64_t BirthBytesSize(uint32_t max_stacks) {
  return sizeof(std::atomic<uint64_t>) * kBirthBuckets * max_stacks * kCounterShards;
}

}  // namespace

uint64_t StackTable::ReservedBytes(uint32_t max_stacks, uint32_t max_depth, bool record_ages) {
  return sizeof(StackRecord) * max_stacks + sizeof(StackCounters) * max_stacks * kCounterShards +
         sizeof(uintptr_t) * FrameCapacity(max_stacks, max_depth) +
         sizeof(std::atomic<uint64_t>) * IndexSlots(max_stacks) +
         (record_ages ? BirthBytesSize(max_stacks) : 0);
}

bool StackTable::Init(uint32_t max_stacks, uint32_t max_depth, bool record_ages) {
  const uint64_t index_slots = IndexSlots(max_stacks);
  frame_capacity_ = FrameCapacity(max_stacks, max_depth);
  records_ = static_cast<StackRecord*>(RawMapAnonymous(sizeof(StackRecord) * max_stacks));
  counters_ = static_cast<StackCounters*>(
      RawMapAnonymous(sizeof(StackCounters) * max_stacks * kCounterShards));
  frames_ = static_cast<uintptr_t*>(RawMapAnonymous(sizeof(uintptr_t) * frame_capacity_));
  index_ = static_cast<std::atomic<uint64_t>*>(
      RawMapAnonymous(sizeof(std::atomic<uint64_t>) * index_slots));
  if (records_ == nullptr || counters_ == nullptr || frames_ == nullptr || index_ == nullptr) {
    return false;
  }
  // Ages are optional: under a tight address-space limit the profile goes on without them.
  if (record_ages) {
    birth_bytes_ = static_cast<std::atomic<uint64_t>*>(RawMapAnonymous(BirthBytesSize(max_stacks)));
  }
  index_mask_ = index_slots - 1;
  max_stacks_ = max_stacks;
  return true;
}

uint64_t StackTable::Hash(const uintptr_t* frames, uint32_t depth, AllocationKind kind) {
  uint64_t hash = 0xcbf29ce484222325ull ^ static_cast<uint64_t>(kind);
  for (uint32_t i = 0; i < depth; ++i) {
    hash ^= frames[i];
    hash *= 0x100000001b3ull;
    hash ^= hash >> 29;
  }
  hash ^= depth;
  hash *= 0x9E3779B97F4A7C15ull;
  return hash;
}

bool StackTable::SameStack(uint32_t id, const uintptr_t* frames, uint32_t depth,
                           AllocationKind kind) const {
  const StackRecord& record = records_[id];
  return record.depth == depth && record.kind == kind &&
         memcmp(frames_ + record.frames_offset, frames, depth * sizeof(uintptr_t)) == 0;
}

uint32_t StackTable::CreateRecord(const uintptr_t* frames, uint32_t depth, AllocationKind kind) {
  const uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  if (id >= max_stacks_) return kInvalidId;
  StackRecord& record = records_[id];
  const uint64_t offset = frames_used_.fetch_add(depth, std::memory_order_relaxed);
  const bool fits = offset + depth <= frame_capacity_;
  // Out of frame space: the record is still published (empty), so that the writer, which walks
  // ids in order, never waits for it; nothing is ever counted against it.
  if (fits) memcpy(frames_ + offset, frames, depth * sizeof(uintptr_t));
  record.frames_offset = fits ? offset : 0;
  record.depth = fits ? depth : 0;
  record.kind = kind;
  record.published.store(1, std::memory_order_release);
  return fits ? id : kInvalidId;
}

uint32_t StackTable::Intern(const uintptr_t* frames, uint32_t depth, AllocationKind kind) {
  if (records_ == nullptr) return kInvalidId;
  const uint64_t hash = Hash(frames, depth, kind);
  const uint32_t tag = static_cast<uint32_t>(hash >> 32) | 1u;  // never 0: 0 marks empty slots
  const uint64_t home = hash & index_mask_;

  // Seen before? (The common case: a handful of hot stacks.)
  uint64_t index = home;
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe, index = (index + 1) & index_mask_) {
    const uint64_t word = index_[index].load(std::memory_order_acquire);
    if (word == 0) break;
    if (TagOf(word) == tag && SameStack(IdOf(word), frames, depth, kind)) return IdOf(word);
  }

  // New: make the record first, then make it findable with one CAS.
  const uint32_t id = CreateRecord(frames, depth, kind);
  if (id == kInvalidId) return kInvalidId;
  const uint64_t mine = SlotWord(tag, id);
  index = home;
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe, index = (index + 1) & index_mask_) {
    uint64_t word = index_[index].load(std::memory_order_acquire);
    if (word == 0 && index_[index].compare_exchange_strong(word, mine, std::memory_order_acq_rel)) {
      return id;
    }
    // Taken (perhaps just now, perhaps by the same stack from another thread).
    if (TagOf(word) == tag && SameStack(IdOf(word), frames, depth, kind)) return IdOf(word);
  }
  return id;  // the index is crowded: the record works, it just cannot be found again
}

StackTotals StackTable::Totals(uint32_t id) const {
  StackTotals totals;
  const uint32_t in_use = CounterShardsInUse();
  for (uint32_t shards = in_use; shards != 0; shards &= shards - 1) {
    const uint32_t shard = static_cast<uint32_t>(__builtin_ctz(shards));
    const StackCounters& counters = counters_[shard * max_stacks_ + id];
    totals.freed_bytes += counters.freed_bytes.load(std::memory_order_acquire);
    totals.freed_count_fp += counters.freed_count_fp.load(std::memory_order_acquire);
    totals.freed_samples += counters.freed_samples.load(std::memory_order_acquire);
    totals.largest_size =
        std::max(totals.largest_size, counters.largest_size.load(std::memory_order_relaxed));
  }
  for (uint32_t shards = in_use; shards != 0; shards &= shards - 1) {
    const uint32_t shard = static_cast<uint32_t>(__builtin_ctz(shards));
    const StackCounters& counters = counters_[shard * max_stacks_ + id];
    totals.allocated_bytes += counters.allocated_bytes.load(std::memory_order_acquire);
    totals.allocated_count_fp += counters.allocated_count_fp.load(std::memory_order_acquire);
    totals.allocated_samples += counters.allocated_samples.load(std::memory_order_acquire);
  }
  return totals;
}

bool StackTable::LiveBytesByBirth(uint32_t id, uint64_t (&live)[kBirthBuckets]) const {
  if (birth_bytes_ == nullptr) return false;
  uint64_t sum[kBirthBuckets] = {};  // mod 2^64: one shard's free may cancel another's allocation
  for (uint32_t shards = CounterShardsInUse(); shards != 0; shards &= shards - 1) {
    const uint32_t shard = static_cast<uint32_t>(__builtin_ctz(shards));
    for (uint32_t birth = 0; birth < kBirthBuckets; ++birth) {  // contiguous within a shard
      sum[birth] += BirthCounter(shard, id, birth).load(std::memory_order_relaxed);
    }
  }
  for (uint32_t birth = 0; birth < kBirthBuckets; ++birth) {
    live[birth] = static_cast<int64_t>(sum[birth]) < 0 ? 0 : sum[birth];
  }
  return true;
}

void StackTable::AbandonUnpublishedAfterFork() {
  if (records_ == nullptr) return;
  for (uint32_t id = 0; id < id_count(); ++id) {
    StackRecord& record = records_[id];
    if (record.published.load(std::memory_order_acquire) != 0) continue;
    record.depth = 0;
    record.frames_offset = 0;
    record.published.store(1, std::memory_order_release);
  }
}

}  // namespace clwleak
