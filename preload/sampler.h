// Sampler: which allocations are recorded, and what each recorded one stands for.
//
// Poisson sampling by bytes (as in tcmalloc and heapprofd). Each thread keeps a count of bytes left
// until the next sample, drawn from an exponential distribution with mean R (the sample rate).
// Every allocation of s bytes subtracts s; the allocation that takes the count to zero or below is
// sampled and a new count is drawn. Because the exponential distribution is memoryless, each byte
// is sampled independently with the same tiny probability, so an allocation of s bytes is sampled
// with probability
//     p(s) = 1 - exp(-s / R)
// regardless of what the thread allocated before. Weighting a sample by 1/p(s) makes every estimate
// unbiased (Horvitz-Thompson): it stands for s / p(s) bytes and 1 / p(s) allocations. For s << R the
// weight is close to R bytes; for s >> R it is close to s (large allocations are almost always
// sampled and counted at their true size). The variance of the estimated bytes of one allocation is
// s^2 (1 - p) / p, which the analyzer approximates by R * s (exact in the small-allocation limit,
// an upper bound otherwise).
//
// R = 1 is exact mode: every allocation is recorded with weight s and count 1.
//
// Thread-safety: one Sampler per thread, owned by that thread (ThreadState); never shared.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace clwleak {

// Counts are kept in fixed point so that per-stack totals can be plain atomic integer adds.
constexpr uint64_t kCountScale = 1u << 16;

struct SampleWeight {
  uint64_t bytes;     // estimated bytes this sample stands for
  uint64_t count_fp;  // estimated allocations, times kCountScale
};

inline SampleWeight WeightOf(uint64_t size, uint64_t rate) {
  if (rate <= 1 || size == 0) return {size, kCountScale};
  double probability = -std::expm1(-static_cast<double>(size) / static_cast<double>(rate));
  double bytes = static_cast<double>(size) / probability;
  double count = static_cast<double>(kCountScale) / probability;
  return {static_cast<uint64_t>(bytes + 0.5), static_cast<uint64_t>(count + 0.5)};
}

// Draws byte intervals between samples. xorshift64* is plenty for sampling and never allocates.
class IntervalDrawer {
 public:
  void Seed(uint64_t seed) { state_ = seed ? seed : 0x9E3779B97F4A7C15ull; }

  // Exponentially distributed with mean `rate`, at least 1 byte; 0 in exact mode (every allocation
  // then takes the count to zero or below and is sampled).
  int64_t Next(uint64_t rate) {
    if (rate <= 1) return 0;
    // Uniform in (0, 1]: 53 random bits, +1 so that log() never sees 0.
    double uniform = (static_cast<double>(NextRandom() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double interval = -std::log(uniform) * static_cast<double>(rate);
    if (interval < 1.0) return 1;
    if (interval > 9.0e18) return INT64_MAX / 2;
    return static_cast<int64_t>(interval);
  }

 private:
  uint64_t NextRandom() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace clwleak
