// Leak / bounded / stable classification of one stack; see classification.h.
#include "classification.h"

#include <algorithm>
#include <cmath>

namespace clwleak::analysis {

const char* ClassificationName(Classification classification) {
  switch (classification) {
    case Classification::kLeak:
      return "leak";
    case Classification::kBounded:
      return "bounded";
    case Classification::kStable:
      return "stable";
  }
  return "stable";
}

// A cache that filled early in the window and then churned: its late half is a plateau whose level
// stands clearly above where the window started. The late half is roughly stationary, so its
// spread measures churn and sampling noise of a level; the start point's own sampling noise is
// R * y0 (the variance of a sampled estimate of y0 bytes). The rise must exceed
// kPlateauRiseSigmas (2.5) of that noise and be backed by enough samples.
bool RoseToAPlateau(const double* y, size_t n, size_t split, double sample_rate_bytes,
                    double bytes_per_sample) {
  const size_t m = n - split;
  if (m < 2) return false;
  double mean = 0;
  for (size_t i = split; i < n; ++i) mean += y[i];
  mean /= static_cast<double>(m);
  double spread = 0;
  for (size_t i = split; i < n; ++i) spread += (y[i] - mean) * (y[i] - mean);
  spread /= static_cast<double>(m - 1);
  const double rise = mean - y[0];
  const double start_variance = sample_rate_bytes > 1 ? sample_rate_bytes * std::max(y[0], 0.0) : 0;
  const double noise = std::sqrt(spread * (1 + 1.0 / static_cast<double>(m)) + start_variance);
  const bool enough_samples =
      sample_rate_bytes <= 1 || rise / bytes_per_sample >= kMinSamplesForGrowth;
  return rise > 0 && rise > kPlateauRiseSigmas * noise && enough_samples;
}

StackVerdict Classify(const double* x, const double* y, size_t n, double sample_rate_bytes,
                      double bytes_per_sample) {
  StackVerdict verdict;
  verdict.whole = FitGrowth(x, y, n, sample_rate_bytes);
  if (n < kMinPointsToClassify) return verdict;
  const double weight = bytes_per_sample > 0 ? bytes_per_sample : sample_rate_bytes;
  // Growth backed by too few samples is noise, whatever its interval says.
  auto enough_samples = [&](const GrowthFit& fit) {
    return sample_rate_bytes <= 1 || fit.growth / weight >= kMinSamplesForGrowth;
  };

  const double middle = (x[0] + x[n - 1]) / 2;
  size_t split = static_cast<size_t>(std::lower_bound(x, x + n, middle) - x);
  split = std::clamp<size_t>(split, 1, n - 2);
  verdict.early = FitGrowth(x, y, split + 1, sample_rate_bytes);
  verdict.late = FitGrowth(x + split, y + split, n - split, sample_rate_bytes);

  if (verdict.whole.Grows() && enough_samples(verdict.whole)) {
    const bool steady = verdict.late.slope() >= kSteadyRateRatio * verdict.early.slope();
    verdict.classification = verdict.late.Grows() && steady ? Classification::kLeak
                                                            : Classification::kBounded;
  } else if (!verdict.late.Grows() && RoseToAPlateau(y, n, split, sample_rate_bytes, weight)) {
    verdict.classification = Classification::kBounded;
  }
  return verdict;
}

}  // namespace clwleak::analysis
