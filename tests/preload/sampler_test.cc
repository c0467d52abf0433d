// The sampler's statistics (preload/sampler.h): sampling probability and unbiased weights, checked
// over seeded trials against the arithmetic.
#include "sampler.h"

#include <gtest/gtest.h>

#include <cmath>

namespace clwleak {
namespace {

TEST(Sampler, ExactModeWeighsEveryAllocationAtItsSize) {
  IntervalDrawer drawer;
  EXPECT_EQ(drawer.Next(1), 0);
  SampleWeight weight = WeightOf(123, 1);
  EXPECT_EQ(weight.bytes, 123u);
  EXPECT_EQ(weight.count_fp, kCountScale);
}

TEST(Sampler, IntervalsAreExponentialWithTheRateAsMean) {
  IntervalDrawer drawer;
  drawer.Seed(42);
  constexpr int kDraws = 200000;
  constexpr double kRate = 262144;
  double sum = 0, sum_squares = 0;
  for (int i = 0; i < kDraws; ++i) {
    double x = static_cast<double>(drawer.Next(262144));
    sum += x;
    sum_squares += x * x;
  }
  double mean = sum / kDraws;
  double variance = sum_squares / kDraws - mean * mean;
  // Exponential: mean R, standard deviation R. Standard error of the mean R/sqrt(n) = 0.22% of R.
  EXPECT_NEAR(mean, kRate, 0.01 * kRate);
  EXPECT_NEAR(std::sqrt(variance), kRate, 0.02 * kRate);
}

// Simulates the per-thread counter exactly as the hot path runs it and checks that the weighted
// samples estimate the true bytes and counts without bias, for small and large allocations.
TEST(Sampler, WeightedSamplesAreUnbiased) {
  for (uint64_t size : {16u, 1000u, 100000u, 1000000u}) {
    SCOPED_TRACE(size);
    IntervalDrawer drawer;
    drawer.Seed(size * 7919);
    constexpr uint64_t kRate = 65536;
    const double p = -std::expm1(-static_cast<double>(size) / kRate);
    const uint64_t allocations = static_cast<uint64_t>(50000 / p);  // ~50000 samples
    int64_t counter = drawer.Next(kRate);
    double estimated_bytes = 0, estimated_count = 0;
    uint64_t samples = 0;
    for (uint64_t i = 0; i < allocations; ++i) {
      counter -= static_cast<int64_t>(size);
      if (counter > 0) continue;
      counter = drawer.Next(kRate);
      SampleWeight weight = WeightOf(size, kRate);
      estimated_bytes += static_cast<double>(weight.bytes);
      estimated_count += static_cast<double>(weight.count_fp) / kCountScale;
      ++samples;
    }
    const double truth_bytes = static_cast<double>(allocations * size);
    // Sampling is binomial with p = 1 - exp(-s/R): relative error sqrt((1-p)/(n p)); 5 sigma.
    const double tolerance = 5 * std::sqrt((1 - p) / (static_cast<double>(allocations) * p)) + 1e-6;
    EXPECT_NEAR(estimated_bytes / truth_bytes, 1.0, tolerance) << samples << " samples";
    EXPECT_NEAR(estimated_count / static_cast<double>(allocations), 1.0, tolerance);
  }
}

}  // namespace
}  // namespace clwleak
