// Classification of one stack's growth after warm-up: `leak` (grows steadily to the end),
// `bounded` (grew, then stopped or slowed: a cache, a pool) or `stable` (no growth that sampling
// and churn do not explain). Called by analysis.cc for every stack; pure, thread-safe.
//
// Rules (docs/analyzer.md explains them): the window after warm-up is split at the middle of its
// axis range into an early and a late half.
//   leak:    the whole window grows, the late half grows on its own, and the late half's rate is
//            at least half the early half's (a leak that speeds up or started late counts);
//   bounded: the whole window grows but the late half does not, or at under half the rate; or the
//            late half does not grow and its level stands well above the window's start (a cache
//            that filled early in the window and then churned: the churn can widen the whole
//            window's interval so much that it includes zero);
//   stable:  anything else, and fewer than 4 points.
// In sampled mode a stack whose growth in the window is backed by fewer than kMinSamplesForGrowth
// sampled allocations is `stable` whatever its interval says: with so few samples one allocation
// more or less is a large part of the estimate, and the verdict would be noise.
#pragma once

#include <cstddef>

#include "growth_fit.h"

namespace clwleak::analysis {

enum class Classification { kLeak, kBounded, kStable };

// "leak", "bounded", "stable".
const char* ClassificationName(Classification classification);

struct StackVerdict {
  Classification classification = Classification::kStable;
  GrowthFit whole;  // over the whole window: the rate and interval that are reported
  GrowthFit early;
  GrowthFit late;
};

// Late-half rate below this fraction of the early-half rate means the growth is slowing down.
inline constexpr double kSteadyRateRatio = 0.5;
inline constexpr size_t kMinPointsToClassify = 4;
inline constexpr double kMinSamplesForGrowth = 10;
// How far above the window's start a late-half plateau must stand, in units of its noise.
inline constexpr double kPlateauRiseSigmas = 2.5;

// Points (x[i], y[i]), i in [0, n), are the window after warm-up. `bytes_per_sample` is the mean
// weight of the stack's samples (live_bytes / live_samples); 0 when unknown, then the sample rate
// stands in for it (a sample's weight s / (1 - exp(-s/R)) is never below R).
StackVerdict Classify(const double* x, const double* y, size_t n, double sample_rate_bytes,
                      double bytes_per_sample = 0);

}  // namespace clwleak::analysis
