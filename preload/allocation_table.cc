// Lock-free live-allocation table; the slot protocol is described in allocation_table.h.
#include "allocation_table.h"

#include "base.h"

namespace clwleak {

namespace {

uint64_t SlotCount(uint64_t capacity) {
  uint64_t slots = 16;
  while (slots < capacity * 2) slots <<= 1;
  return slots;
}

}  // namespace

uint64_t AllocationTable::ReservedBytes(uint64_t capacity) {
  return SlotCount(capacity) * sizeof(Slot);
}

bool AllocationTable::Init(uint64_t capacity) {
  const uint64_t slots = SlotCount(capacity);
  void* memory = RawMapAnonymous(slots * sizeof(Slot));
  if (memory == nullptr) return false;
  slots_ = static_cast<Slot*>(memory);  // zero-filled by the kernel: every slot empty
  mask_ = slots - 1;
  shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(slots));
  return true;
}

bool AllocationTable::Insert(uintptr_t address, const AllocationRecord& record) {
  if (slots_ == nullptr) return false;
  uint64_t index = Home(address);
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe, index = (index + 1) & mask_) {
    Slot& slot = slots_[index];
    uintptr_t state = slot.address.load(std::memory_order_relaxed);
    if (state != 0 && state != kTombstone) continue;
    if (!slot.address.compare_exchange_strong(state, kClaimed, std::memory_order_acquire)) {
      continue;
    }
    slot.record = record;
    slot.address.store(address, std::memory_order_release);
    return true;
  }
  return false;
}

bool AllocationTable::Remove(uintptr_t address, AllocationRecord* record) {
  if (slots_ == nullptr) return false;
  uint64_t index = Home(address);
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe, index = (index + 1) & mask_) {
    Slot& slot = slots_[index];
    uintptr_t state = slot.address.load(std::memory_order_acquire);
    if (state == 0) return false;
    if (state != address) continue;
    *record = slot.record;
    if (slot.address.compare_exchange_strong(state, kTombstone, std::memory_order_acq_rel)) {
      return true;
    }
    return false;  // a concurrent free of the same address (a double free in the host) won
  }
  return false;
}

}  // namespace clwleak
