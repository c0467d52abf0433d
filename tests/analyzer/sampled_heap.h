// Test-only model of libclwleak.so's accounting: allocations and frees per stack, each
// allocation sampled the way the preload's Poisson byte sampler samples it (probability
// p = 1 - exp(-size/R), weight size/p; R <= 1 records everything), so that synthetic files carry
// honest sampling noise and the exact truth is known beside the estimate. Allocation ages as the
// preload records them: each allocation is born in the birth bucket open at the time
// (OpenBirthBucket), a realloc keeps the birth and re-decides the sample for the new size, and
// Stats() splits live bytes by birth bucket. Not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "clwleak.pb.h"

namespace clwleak::testing {

class SampledHeap {
 public:
  SampledHeap(uint64_t sample_rate_bytes, uint64_t seed);

  // Returns a handle for Free() and Reallocate().
  size_t Allocate(uint32_t stack_id, uint64_t size);
  void Free(size_t handle);
  // realloc(): the block keeps its handle, stack and birth; it is sampled anew for `size` bytes
  // as the preload does (a realloc is a sampling decision over the new size).
  void Reallocate(size_t handle, uint64_t size);
  // Allocations made from now on are born in bucket `index` (0 until the first call).
  void OpenBirthBucket(uint32_t index) { birth_bucket_ = index; }
  uint64_t SizeOf(size_t handle) const { return allocations_[handle].size; }

  // The profile's cumulative estimates for a stack, as the preload would write them.
  proto::StackStats Stats(uint32_t stack_id) const;
  // The exact live bytes of a stack (the truth the estimate is unbiased for).
  uint64_t TrueLiveBytes(uint32_t stack_id) const;
  uint64_t TrueLiveBytesTotal() const;

 private:
  struct Allocation {
    uint32_t stack_id;
    uint64_t size;
    double weight;  // 0 when not sampled
    bool live;
    uint32_t birth;
  };
  struct PerStack {
    double live_bytes = 0, live_count = 0, allocated_bytes = 0, allocated_count = 0;
    double freed_bytes = 0, freed_count = 0;
    uint64_t live_samples = 0, allocated_samples = 0, true_live_bytes = 0;
    std::vector<double> live_by_birth;
  };
  PerStack& Of(uint32_t stack_id);
  double SampleWeight(uint64_t size);
  void Count(Allocation& allocation, double weight);
  void Uncount(Allocation& allocation);

  double rate_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::vector<Allocation> allocations_;
  std::vector<PerStack> stacks_;
  uint64_t true_live_total_ = 0;
  uint32_t birth_bucket_ = 0;
};

}  // namespace clwleak::testing
