// AllocationTable: the live sampled allocations, address -> (size, weight, stack), for allocators
// other than glibc's (with glibc, sampled blocks carry their record in front: sample_header.h).
//
// A fixed-capacity, lock-free, open-addressing hash table with linear probing, allocated once with
// mmap and never resized (resizing would need a lock or an allocation inside malloc).
//
// Slot states, held in the slot's `address` word:
//   0            empty: never used. A lookup that meets it stops: the key is not further on.
//   kTombstone   removed. Lookups skip it; inserts may reuse it.
//   kClaimed     an insert owns the slot and is writing its fields.
//   otherwise    a live allocation at that address.
// An insert claims a free slot with a CAS, writes the fields, then publishes the address with a
// release store; Remove() reads the fields after an acquire load of the address and retires the
// slot with a CAS to kTombstone, so fields are never read half-written. Empty slots never come
// back, so probes are bounded by kMaxProbe on both sides: an insert that finds no free slot within
// kMaxProbe fails and the caller counts a drop.
//
// An address is in the table at most once: the allocator cannot hand out an address again before it
// is freed, and free() removes the entry before calling the real free.
//
// Thread-safety: Insert/Remove from any thread (signal handlers included); ForEach from the writer
// thread gives a racy but safe view.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace clwleak {

struct AllocationRecord {
  uint64_t size = 0;
  uint64_t weight_bytes = 0;
  uint64_t weight_count_fp = 0;
  uint32_t stack_id = 0;
  uint32_t birth_bucket = 0;  // birth_buckets.h
};

class AllocationTable {
 public:
  static constexpr uint32_t kMaxProbe = 64;

  // Reserves room for `capacity` live entries (rounded up to a power of two, times 2 for load).
  bool Init(uint64_t capacity);
  // The address space Init reserves for `capacity`.
  static uint64_t ReservedBytes(uint64_t capacity);
  uint64_t slot_count() const { return mask_ + 1; }

  bool Insert(uintptr_t address, const AllocationRecord& record);
  // Removes `address` and returns its record; false when it is not in the table.
  bool Remove(uintptr_t address, AllocationRecord* record);

 private:
  static constexpr uintptr_t kTombstone = 1;
  static constexpr uintptr_t kClaimed = 2;

  struct Slot {
    std::atomic<uintptr_t> address;
    AllocationRecord record;
  };

  uint64_t Home(uintptr_t address) const {
    return ((address >> 4) * 0x9E3779B97F4A7C15ull) >> shift_;
  }

  Slot* slots_ = nullptr;
  uint64_t mask_ = 0;
  unsigned shift_ = 64;
};

}  // namespace clwleak
