// FreeFilter: answers "was this pointer possibly sampled?" for every free() from a small,
// cache-resident array, so that the unsampled free path never touches the allocation table.
//
// A counting filter: one 8-bit counter per bucket, bucket = hash(address). Recording a sampled
// allocation increments its bucket, forgetting it decrements. A zero counter proves the address is
// not sampled; a non-zero one sends free() to the AllocationTable. A counter that reaches 255 stays
// there forever (never decremented), which is safe: it only costs table lookups for that bucket.
//
// Memory ordering: the increment happens before malloc returns the pointer, so any thread that
// later frees it (having received it through the program's own synchronization) observes a
// non-zero counter by coherence; relaxed operations suffice.
//
// Thread-safety: all methods may be called from any thread, including signal handlers.
#pragma once

#include <atomic>
#include <cstdint>

#include "base.h"

namespace clwleak {

class FreeFilter {
 public:
  static constexpr unsigned kBits = 16;  // 64 KiB of counters
  static constexpr uint32_t kBuckets = 1u << kBits;

  CLWLEAK_HOT bool MayContain(const void* address) const {
    return counters_[Bucket(address)].load(std::memory_order_relaxed) != 0;
  }

  void Add(const void* address) {
    std::atomic<uint8_t>& counter = counters_[Bucket(address)];
    uint8_t value = counter.load(std::memory_order_relaxed);
    while (value != 255 &&
           !counter.compare_exchange_weak(value, value + 1, std::memory_order_relaxed)) {
    }
  }

  void Remove(const void* address) {
    std::atomic<uint8_t>& counter = counters_[Bucket(address)];
    uint8_t value = counter.load(std::memory_order_relaxed);
    while (value != 255 && value != 0 &&
           !counter.compare_exchange_weak(value, value - 1, std::memory_order_relaxed)) {
    }
  }

 private:
  static uint32_t Bucket(const void* address) {
    // Fibonacci hashing of the address without its always-zero alignment bits.
    uint64_t key = reinterpret_cast<uintptr_t>(address) >> 4;
    return static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - kBits));
  }

  std::atomic<uint8_t> counters_[kBuckets] = {};
};

}  // namespace clwleak
