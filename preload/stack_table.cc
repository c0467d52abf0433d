// Lock-free stack interner; the publication protocol is described in stack_table.h.
#include "stack_table.h"

#include <sched.h>
#include <string.h>

namespace clwleak {

namespace {
constexpr uint32_t kMaxProbe = 128;
constexpr uint32_t kPublishSpins = 1 << 14;
}  // namespace

bool StackTable::Init(uint32_t max_stacks, uint32_t max_depth) {
  uint64_t index_slots = 16;
  while (index_slots < static_cast<uint64_t>(max_stacks) * 2) index_slots <<= 1;
  // Frame storage for an average depth of half the maximum; a stack that does not fit is dropped.
  frame_capacity_ = static_cast<uint64_t>(max_stacks) * (max_depth / 2 + 1);
  records_ = static_cast<StackRecord*>(RawMapAnonymous(sizeof(StackRecord) * max_stacks));
  frames_ = static_cast<uintptr_t*>(RawMapAnonymous(sizeof(uintptr_t) * frame_capacity_));
  index_ = static_cast<IndexSlot*>(RawMapAnonymous(sizeof(IndexSlot) * index_slots));
  if (records_ == nullptr || frames_ == nullptr || index_ == nullptr) return false;
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
  return hash != 0 ? hash : 1;
}

bool StackTable::SameStack(uint32_t id, const uintptr_t* frames, uint32_t depth,
                           AllocationKind kind) const {
  const StackRecord& record = records_[id];
  return record.depth == depth && record.kind == kind &&
         memcmp(frames_ + record.frames_offset, frames, depth * sizeof(uintptr_t)) == 0;
}

uint32_t StackTable::Intern(const uintptr_t* frames, uint32_t depth, AllocationKind kind) {
  if (records_ == nullptr) return kInvalidId;
  const uint64_t hash = Hash(frames, depth, kind);
  uint64_t index = hash & index_mask_;
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe, index = (index + 1) & index_mask_) {
    IndexSlot& slot = index_[index];
    uint64_t slot_hash = slot.hash.load(std::memory_order_acquire);
    if (slot_hash == 0) {
      if (!slot.hash.compare_exchange_strong(slot_hash, hash, std::memory_order_acq_rel)) {
        if (slot_hash != hash) continue;  // another stack took the slot
      } else {
        // We own the slot: create the record and publish it.
        uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
        uint64_t offset = frames_used_.fetch_add(depth, std::memory_order_relaxed);
        if (id >= max_stacks_ || offset + depth > frame_capacity_) {
          if (id < max_stacks_) {
            // Out of frame space: publish an empty record so that the writer, which walks ids in
            // order, never waits for it. Nothing is ever counted against it.
            records_[id].depth = 0;
            records_[id].frames_offset = 0;
            records_[id].kind = kind;
            records_[id].published.store(1, std::memory_order_release);
          }
          slot.id_plus_one.store(kInvalidId, std::memory_order_release);  // poisoned: full
          return kInvalidId;
        }
        StackRecord& record = records_[id];
        memcpy(frames_ + offset, frames, depth * sizeof(uintptr_t));
        record.frames_offset = offset;
        record.depth = depth;
        record.kind = kind;
        record.published.store(1, std::memory_order_release);
        slot.id_plus_one.store(id + 1, std::memory_order_release);
        return id;
      }
    }
    if (slot_hash != hash) continue;
    // Same hash: wait for its owner to publish, then compare the frames (hashes can collide).
    uint32_t id_plus_one = 0;
    for (uint32_t spin = 0; spin < kPublishSpins; ++spin) {
      id_plus_one = slot.id_plus_one.load(std::memory_order_acquire);
      if (id_plus_one != 0) break;
      if ((spin & 63) == 63) sched_yield();
    }
    if (id_plus_one == 0 || id_plus_one == kInvalidId) return kInvalidId;
    if (SameStack(id_plus_one - 1, frames, depth, kind)) return id_plus_one - 1;
  }
  return kInvalidId;
}

void StackTable::AbandonUnpublishedAfterFork() {
  if (records_ == nullptr) return;
  bool abandoned = false;
  for (uint32_t id = 0; id < id_count(); ++id) {
    StackRecord& record = records_[id];
    if (record.published.load(std::memory_order_acquire) != 0) continue;
    record.depth = 0;
    record.frames_offset = 0;
    record.published.store(1, std::memory_order_release);
    abandoned = true;
  }
  for (uint64_t index = 0; abandoned && index <= index_mask_; ++index) {
    IndexSlot& slot = index_[index];
    if (slot.hash.load(std::memory_order_relaxed) != 0 &&
        slot.id_plus_one.load(std::memory_order_relaxed) == 0) {
      slot.id_plus_one.store(kInvalidId, std::memory_order_release);
    }
  }
}

}  // namespace clwleak
