// Survivor analysis of one stack; see survivors.h for who calls it.
//
// ---------------------------------------------------------------------------------------------
// The model
//
// The preload splits every stack's live bytes by birth bucket: at the last snapshot T, V[j] is
// the (estimated) bytes that were allocated while bucket j was open, [a[j], a[j+1]) on the run's
// axis (requests, or seconds), and are still live at T. A realloc keeps the birth.
//
// 1. Survivors are a compound Poisson process in the birth axis. The V[j] are sums over
//    disjoint sets of allocations, so under Poisson byte sampling they are independent
//    estimates, each with variance at most R * V[j] (growth_fit.cc, section 1); in exact mode
//    they are exact. The cumulative survivor curve S(a[k]) = V[0] + ... + V[k-1] is therefore,
//    in the birth axis, what the live-bytes series is in time, and FitGrowth applies unchanged:
//    over a stretch of buckets the density of survivors (bytes surviving per request, or per
//    second) is sum V / sum width, with the score interval for sampling and the empirical
//    interval from how much the buckets' densities disagree (a stretch that is not uniform gets
//    a wide interval). One snapshot is enough: the buckets play the part of the snapshots.
//
// 2. What each kind of growth leaves behind (the density of survivors born at x):
//      a leak of b bytes per unit from x0 on:    b for every x > x0: nothing it allocates is freed
//      a cache of residency W (LRU, TTL):        its fill rate for x > T - W, nothing before
//      a batch flushed every P:                   only after the last flush, x > T - P
//      start-up growth (lazy init, pools):       only in the first buckets
//      churn (request-scoped, short-lived):      only at the very end (in flight at T)
//      a buffer grown by realloc:                 all in its birth bucket, which grows after
//                                                 it closed (series_recorder.h tracks that)
//    A leak is the one whose survivors reach back across the run at a steady density; that
//    density is its rate, unaffected by the caches and churn of the same stack. A cache whose
//    residency is a large part of the run looks like a leak that started at T - W: survivors
//    alone cannot tell them apart. classification.cc therefore reads them with the time series:
//    a leak's live bytes keep growing at the survivors' density, a full cache's do not.
//
// 3. Onset. Leading buckets of the window are trimmed while the upper end of a bucket's
//    sampling interval, as a density, is below kOnsetDensityRatio (1/2) of the density of all
//    the buckets after it (the youngest also holds allocations in flight at T; over the width of
//    the later buckets that inflates the comparison little). What remains is the steady stretch: a
//    leak that started late is measured from its onset, at its current rate. With the upper end of
//    the interval, sampling noise almost never trims a bucket of a steady leak (survivors_test: 0
//    of 1,000 seeded trials at 4 KiB per request and R = 256 KiB).
//
// 4. Buckets the analysis does not use as such: those that start before the window (warm-up:
//    start-up survivors live there), and degenerate ones: a bucket of zero width on the axis (no
//    request while it was open) or a trailing bucket narrower than kNarrowBucketFraction of the
//    one before it (opened just before the last snapshot) is merged into its neighbour, so that
//    no density is computed over a sliver.
// ---------------------------------------------------------------------------------------------
#include "survivors.h"

#include <algorithm>

namespace clwleak::analysis {
namespace {

// Fits the survivor curve over buckets[first, last) (see 1).
GrowthFit FitSurvivors(const std::vector<BucketSurvivors>& buckets, size_t first, size_t last,
                       double sample_rate_bytes) {
  if (last <= first) return GrowthFit{};
  std::vector<double> x{buckets[first].start}, y{0};
  for (size_t j = first; j < last; ++j) {
    x.push_back(buckets[j].end);
    y.push_back(y.back() + buckets[j].survivors);
  }
  return FitGrowth(x.data(), y.data(), x.size(), sample_rate_bytes);
}

// Appends `bucket` to `into`, or merges it into the last one there.
void Merge(BucketSurvivors* into, const BucketSurvivors& bucket) {
  into->end = bucket.end;
  into->survivors += bucket.survivors;
}

}  // namespace

double SampledUpperBound(double bytes, double sample_rate_bytes) {
  double lo = 0, hi = 0;
  SamplingInterval(bytes, sample_rate_bytes, &lo, &hi);
  return hi;
}

SurvivorProfile ProfileSurvivors(const std::vector<double>& starts, double end,
                                 const std::vector<double>& survivors,
                                 const std::vector<double>& live_at_start,
                                 const std::vector<bool>& live_known, double window_start,
                                 double sample_rate_bytes) {
  SurvivorProfile profile;
  for (size_t j = 0; j < starts.size(); ++j) {
    BucketSurvivors bucket;
    bucket.start = starts[j];
    bucket.end = std::max(j + 1 < starts.size() ? starts[j + 1] : end, bucket.start);
    bucket.survivors = j < survivors.size() ? survivors[j] : 0;
    bucket.live_at_start = j < live_at_start.size() ? live_at_start[j] : 0;
    bucket.live_known = j < live_known.size() && live_known[j];
    if (bucket.start < window_start) {
      profile.before_window += bucket.survivors;
      continue;
    }
    std::vector<BucketSurvivors>& kept = profile.buckets;
    if (bucket.width() <= 0 && !kept.empty()) {
      Merge(&kept.back(), bucket);  // nothing happened on the axis while it was open
    } else if (!kept.empty() && kept.back().width() <= 0) {
      bucket.start = kept.back().start;
      bucket.survivors += kept.back().survivors;
      bucket.live_at_start = kept.back().live_at_start;
      bucket.live_known = kept.back().live_known;
      kept.back() = bucket;
    } else {
      kept.push_back(bucket);
    }
  }
  std::vector<BucketSurvivors>& buckets = profile.buckets;
  if (buckets.size() >= 2 &&
      buckets.back().width() < kNarrowBucketFraction * buckets[buckets.size() - 2].width()) {
    const BucketSurvivors last = buckets.back();
    buckets.pop_back();
    Merge(&buckets.back(), last);
  }
  if (buckets.empty() || !(buckets.back().end > buckets.front().start)) {
    profile.buckets.clear();
    return profile;
  }
  profile.available = true;

  // 3: the onset.
  const size_t n = buckets.size();
  size_t onset = 0;
  while (n - onset >= 2) {
    double bytes = 0, width = 0;
    for (size_t j = onset + 1; j < n; ++j) {
      bytes += buckets[j].survivors;
      width += buckets[j].width();
    }
    const double reference = width > 0 ? bytes / width : 0;
    const BucketSurvivors& leading = buckets[onset];
    const double leading_upper =
        leading.width() > 0
            ? SampledUpperBound(leading.survivors, sample_rate_bytes) / leading.width()
            : 0;
    if (!(reference > 0) || leading_upper >= kOnsetDensityRatio * reference) break;
    ++onset;
  }
  profile.onset = onset;
  profile.window = FitSurvivors(buckets, 0, n, sample_rate_bytes);
  profile.steady = FitSurvivors(buckets, onset, n, sample_rate_bytes);
  profile.old = FitSurvivors(buckets, onset, n - 1, sample_rate_bytes);
  return profile;
}

}  // namespace clwleak::analysis
