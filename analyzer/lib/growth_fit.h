// GrowthFit: how fast one series of live-byte estimates grows along the run's axis (cumulative
// requests, or seconds), with a 95% interval that accounts for Poisson byte sampling and for
// noise the sampling model does not explain (churn, steps). The derivation is in growth_fit.cc.
// Called by classification.cc for each stack and by analysis.cc for module and total series.
// Pure functions, thread-safe.
#pragma once

#include <cstddef>

namespace clwleak::analysis {

struct GrowthFit {
  bool valid = false;     // at least two points and the axis advanced between the ends
  double span = 0;        // X = x[last] - x[first], in axis units
  double growth = 0;      // ΔY = y[last] - y[first], estimated bytes
  double growth_lo = 0;   // 95% interval for the true growth ΔL over the span
  double growth_hi = 0;
  int intervals = 0;      // increments with Δx > 0 behind the empirical variance

  // Bytes per axis unit (per request, or per second) and its interval.
  double slope() const { return valid ? growth / span : 0; }
  double slope_lo() const { return valid ? growth_lo / span : 0; }
  double slope_hi() const { return valid ? growth_hi / span : 0; }
  // Growth is distinguishable from noise: the interval excludes zero and at least two increments
  // back it (one increment cannot tell a leak from a step or from churn).
  bool Grows() const { return valid && intervals >= 2 && growth_lo > 0; }
};

// Fits points (x[i], y[i]), i in [0, n), x non-decreasing. `sample_rate_bytes` is the mean bytes
// between samples (R); pass 0 or 1 for exact mode (no sampling noise).
GrowthFit FitGrowth(const double* x, const double* y, size_t n, double sample_rate_bytes);

// The sampling part alone (3 in growth_fit.cc): the 95% score interval of a true byte count given
// an estimate `observed` made with sample rate R (0 or 1: exact, a point).
void SamplingInterval(double observed, double sample_rate_bytes, double* lo, double* hi);

// Two-sided 95% quantile of Student's t with `degrees_of_freedom` (>= 1).
double StudentT975(int degrees_of_freedom);

}  // namespace clwleak::analysis
