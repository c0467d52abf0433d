// Growth rate of a live-bytes series and its 95% interval. See growth_fit.h for who calls it.
//
// ---------------------------------------------------------------------------------------------
// The model and the interval
//
// Let L(x) be a stack's true live bytes at axis position x (cumulative requests, or seconds) and
// Y(x) the estimate the profile records. libclwleak.so samples by bytes: a Poisson process with
// mean spacing R runs over the bytes each thread allocates, and an allocation of size s is
// sampled when a point of that process falls inside it, i.e. with probability p = 1 - exp(-s/R),
// independently of every other allocation (disjoint stretches of a Poisson process). A sampled
// allocation is counted with weight s/p, so its contribution is unbiased, with variance
//     s^2 (1 - p) / p  =  s * [ s / (exp(s/R) - 1) ]  <=  s * R,
// equal to s*R in the limit s << R and smaller otherwise. Summing over allocations: the estimate
// of B bytes has variance at most R * B.
//
// 1. Increments, not levels. For a leak, the bytes allocated in (x[k-1], x[k]] and never freed
//    form the increment D[k] = Y(x[k]) - Y(x[k-1]). Increments over disjoint intervals are sums
//    over disjoint sets of allocations, hence independent, with
//        E D[k] = b * dx[k],    Var D[k] <= R * b * dx[k]          (compound Poisson)
//    where b is the leak rate in bytes per axis unit. Y is therefore a random walk with drift:
//    consecutive values share all earlier noise, and an ordinary least-squares fit of Y against x
//    (which assumes independent residuals) understates the slope's error badly.
//
// 2. The estimator. Weighted least squares on the increments with weights 1/dx[k] (the inverse
//    of their variance) gives
//        b^ = sum D[k] / sum dx[k] = (Y[last] - Y[first]) / X,      X = x[last] - x[first],
//    the best linear unbiased estimator under 1 (and the maximum-likelihood one for Poisson
//    counts). Its variance is R * b / X: on the growth scale, Var(dY) = R * dL with dL = b * X.
//
// 3. The sampling interval. The variance depends on the unknown dL, so instead of plugging in
//    the estimate we invert the score test (as in Wilson's binomial interval):
//        { dL : (dY - dL)^2 <= z^2 * R * |dL| },      z = 1.96.
//    For dY >= 0 its upper part is dY + c/2 +- sqrt(c*dY + c^2/4) with c = z^2 R. It stays wide
//    when few samples back the growth: one sample (dY ~ R) gives about [0.18 R, 5.7 R], not the
//    [-1 R, 3 R] of a plug-in interval, and zero growth gives [-c, c], not a point. Negative
//    growth (sampled allocations freed) is handled symmetrically.
//
// 4. What sampling does not explain. Churn (allocations live at one snapshot and freed by the
//    next), requests in flight at snapshot time, one-off steps (a buffer allocated once), and
//    departures from a straight line all add noise that the bound R * dL knows nothing of, and
//    that exists in exact mode too. We estimate it from the data: treat D[k] = b dx[k] + e[k] with
//    Var e[k] = s2 * dx[k] and s2 unknown; then
//        s2^ = sum (D[k] - b^ dx[k])^2 / dx[k] / (m - 1)
//    over the m increments with dx > 0 is unbiased, Var(dY) = s2 * X, and the interval is
//    dY +- t(0.975, m-1) * sqrt(s2^ * X). Under the pure sampling model s2^ estimates R*b, so this
//    interval agrees with 3. When the extra noise is a level noise instead (Y[k] = L[k] + n[k],
//    n iid with variance v, e.g. churn), each increment carries 2v and s2^ * X comes to about
//    2v * m, more than the 2v actually in dY: conservative by up to a factor m. That is what keeps
//    churn and one-off steps from being reported as leaks: a step of size h in one increment gives
//    an interval of about h +- 2.1 h.
//
// 5. The reported interval is the hull of 3 and 4: it is never narrower than the sampling bound,
//    and it covers the truth when either model holds (coverage above 95% when both do, as in a
//    sampled leak, where the two intervals are of similar width). tests/analyzer/growth_fit_test.cc
//    checks coverage over seeded trials with an honest per-allocation sampler.
// ---------------------------------------------------------------------------------------------
#include "growth_fit.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace clwleak::analysis {
namespace {

constexpr double kZ975 = 1.959963984540054;

// {d : (observed - d)^2 <= c |d|} for c > 0, as its hull [*lo, *hi].
void ScoreInterval(double observed, double c, double* lo, double* hi) {
  if (c <= 0) {
    *lo = *hi = observed;
    return;
  }
  const bool negative = observed < 0;
  const double y = std::fabs(observed);
  // d >= 0:  d^2 - (2y + c) d + y^2 <= 0  (always has real roots for y >= 0).
  const double upper = (2 * y + c + std::sqrt(4 * c * y + c * c)) / 2;
  double lower = (2 * y + c - std::sqrt(4 * c * y + c * c)) / 2;
  // d <= 0:  d^2 - (2y - c) d + y^2 <= 0, real roots when y <= c / 4; both roots are <= 0.
  const double discriminant = c * c - 4 * c * y;
  if (discriminant >= 0) lower = std::min(lower, (2 * y - c - std::sqrt(discriminant)) / 2);
  *lo = negative ? -upper : lower;
  *hi = negative ? -lower : upper;
}

}  // namespace

void SamplingInterval(double observed, double sample_rate_bytes, double* lo, double* hi) {
  const double rate = sample_rate_bytes > 1 ? sample_rate_bytes : 0;
  ScoreInterval(observed, kZ975 * kZ975 * rate, lo, hi);
}

double StudentT975(int degrees_of_freedom) {
  static constexpr double kTable[] = {
      0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
      2.074,  2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (degrees_of_freedom < 1) degrees_of_freedom = 1;
  if (degrees_of_freedom < static_cast<int>(std::size(kTable))) return kTable[degrees_of_freedom];
  // Cornish-Fisher expansion around the normal quantile; error < 1e-4 beyond 30 degrees.
  const double z = kZ975, n = degrees_of_freedom;
  const double z3 = z * z * z, z5 = z3 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n);
}

GrowthFit FitGrowth(const double* x, const double* y, size_t n, double sample_rate_bytes) {
  GrowthFit fit;
  if (n < 2) return fit;
  fit.span = x[n - 1] - x[0];
  if (!(fit.span > 0)) return fit;
  fit.valid = true;
  fit.growth = y[n - 1] - y[0];
  const double slope = fit.growth / fit.span;

  // 3: the sampling interval.
  const double rate = sample_rate_bytes > 1 ? sample_rate_bytes : 0;
  ScoreInterval(fit.growth, kZ975 * kZ975 * rate, &fit.growth_lo, &fit.growth_hi);

  // 4: the empirical interval over increments. An increment with dx == 0 (no requests between
  // two snapshots) is merged into the next one with dx > 0; a trailing one into the last.
  double sum_squares = 0;
  double pending_dy = 0, pending_dx = 0;
  double last_dy = 0, last_dx = 0;
  int m = 0;
  for (size_t k = 1; k < n; ++k) {
    pending_dy += y[k] - y[k - 1];
    pending_dx += x[k] - x[k - 1];
    if (pending_dx > 0) {
      if (m > 0) sum_squares += (last_dy - slope * last_dx) * (last_dy - slope * last_dx) / last_dx;
      last_dy = pending_dy;
      last_dx = pending_dx;
      pending_dy = pending_dx = 0;
      ++m;
    }
  }
  last_dy += pending_dy;
  if (m > 0) sum_squares += (last_dy - slope * last_dx) * (last_dy - slope * last_dx) / last_dx;
  fit.intervals = m;
  if (m >= 2) {
    const double variance_rate = sum_squares / (m - 1);
    const double half_width = StudentT975(m - 1) * std::sqrt(variance_rate * fit.span);
    // 5: the hull of both intervals.
    fit.growth_lo = std::min(fit.growth_lo, fit.growth - half_width);
    fit.growth_hi = std::max(fit.growth_hi, fit.growth + half_width);
  }
  return fit;
}

}  // namespace clwleak::analysis
