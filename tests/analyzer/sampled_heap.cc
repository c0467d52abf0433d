// Test-only sampled allocation accounting; see sampled_heap.h.
#include "sampled_heap.h"

#include <algorithm>
#include <cmath>

namespace clwleak::testing {

SampledHeap::SampledHeap(uint64_t sample_rate_bytes, uint64_t seed)
    : rate_(static_cast<double>(sample_rate_bytes)), rng_(seed) {}

SampledHeap::PerStack& SampledHeap::Of(uint32_t stack_id) {
  if (stack_id >= stacks_.size()) stacks_.resize(stack_id + 1);
  return stacks_[stack_id];
}

double SampledHeap::SampleWeight(uint64_t size) {
  const double s = static_cast<double>(size);
  if (rate_ <= 1) return s;  // exact mode: everything recorded at its size
  const double p = -std::expm1(-s / rate_);
  return uniform_(rng_) < p ? s / p : 0.0;
}

// Adds a live block of `allocation.size` bytes with sample weight `weight` (0: not sampled).
void SampledHeap::Count(Allocation& allocation, double weight) {
  allocation.weight = weight;
  PerStack& stack = Of(allocation.stack_id);
  stack.true_live_bytes += allocation.size;
  true_live_total_ += allocation.size;
  if (weight <= 0) return;
  const double count_weight = weight / static_cast<double>(allocation.size);
  stack.live_bytes += weight;
  stack.live_count += count_weight;
  stack.allocated_bytes += weight;
  stack.allocated_count += count_weight;
  ++stack.live_samples;
  ++stack.allocated_samples;
  if (stack.live_by_birth.size() <= allocation.birth) stack.live_by_birth.resize(allocation.birth + 1);
  stack.live_by_birth[allocation.birth] += weight;
}

// Removes a live block (free, or the old block of a realloc).
void SampledHeap::Uncount(Allocation& allocation) {
  PerStack& stack = Of(allocation.stack_id);
  stack.true_live_bytes -= allocation.size;
  true_live_total_ -= allocation.size;
  if (allocation.weight <= 0) return;
  const double count_weight = allocation.weight / static_cast<double>(allocation.size);
  stack.live_bytes -= allocation.weight;
  stack.live_count -= count_weight;
  stack.freed_bytes += allocation.weight;
  stack.freed_count += count_weight;
  --stack.live_samples;
  stack.live_by_birth[allocation.birth] -= allocation.weight;
  allocation.weight = 0;
}

size_t SampledHeap::Allocate(uint32_t stack_id, uint64_t size) {
  allocations_.push_back({stack_id, size, 0.0, true, birth_bucket_});
  Count(allocations_.back(), SampleWeight(size));
  return allocations_.size() - 1;
}

void SampledHeap::Free(size_t handle) {
  Allocation& allocation = allocations_[handle];
  if (!allocation.live) return;
  allocation.live = false;
  Uncount(allocation);
}

void SampledHeap::Reallocate(size_t handle, uint64_t size) {
  Allocation& allocation = allocations_[handle];
  if (!allocation.live) return;
  Uncount(allocation);
  allocation.size = size;
  Count(allocation, SampleWeight(size));
}

proto::StackStats SampledHeap::Stats(uint32_t stack_id) const {
  proto::StackStats stats;
  stats.set_stack_id(stack_id);
  if (stack_id >= stacks_.size()) return stats;
  const PerStack& stack = stacks_[stack_id];
  auto round = [](double value) { return static_cast<uint64_t>(std::llround(std::max(value, 0.0))); };
  stats.set_live_bytes(round(stack.live_bytes));
  stats.set_live_count(round(stack.live_count));
  stats.set_allocated_bytes(round(stack.allocated_bytes));
  stats.set_allocated_count(round(stack.allocated_count));
  stats.set_freed_bytes(round(stack.freed_bytes));
  stats.set_freed_count(round(stack.freed_count));
  stats.set_live_samples(stack.live_samples);
  stats.set_allocated_samples(stack.allocated_samples);
  size_t listed = stack.live_by_birth.size();
  while (listed > 0 && round(stack.live_by_birth[listed - 1]) == 0) --listed;  // trailing zeros
  for (size_t i = 0; i < listed; ++i) stats.add_live_bytes_by_birth(round(stack.live_by_birth[i]));
  return stats;
}

uint64_t SampledHeap::TrueLiveBytes(uint32_t stack_id) const {
  return stack_id < stacks_.size() ? stacks_[stack_id].true_live_bytes : 0;
}

uint64_t SampledHeap::TrueLiveBytesTotal() const { return true_live_total_; }

}  // namespace clwleak::testing
