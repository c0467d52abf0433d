// Survivor analysis: what each stretch of the run allocated that is still live at the end, from a
// stack's live bytes by birth bucket (allocation ages, see BirthBucket in clwleak.proto). Called
// by classification.cc for every stack of a file with ages; pure, thread-safe. The maths, and why
// survivors tell a leak from a cache, a flush or start-up growth, is in survivors.cc.
#pragma once

#include <cstddef>
#include <vector>

#include "growth_fit.h"

namespace clwleak::analysis {

// One birth bucket of a stack, on the run's axis (requests, or seconds).
struct BucketSurvivors {
  double start = 0;          // where the bucket opened
  double end = 0;            // where the next one opened (the last: the last snapshot)
  double survivors = 0;      // bytes born in it and live at the last snapshot
  double live_at_start = 0;  // the stack's live bytes when it opened
  bool live_known = false;   // live_at_start was observed
  double width() const { return end - start; }
  double density() const { return width() > 0 ? survivors / width() : 0; }
};

struct SurvivorProfile {
  // At least one bucket inside the window (after the warm-up); otherwise nothing below is set.
  bool available = false;
  // The buckets inside the window, oldest first (empty and narrow trailing ones merged).
  std::vector<BucketSurvivors> buckets;
  // Survivors born before the window starts (warm-up buckets and the one straddling the cut).
  double before_window = 0;
  // First bucket of the steady stretch: leading buckets whose survivors are clearly sparser
  // than the later ones' are trimmed (a leak that started late, a cache whose oldest entries
  // have gone). 0 when survivors are steady from the window's start.
  size_t onset = 0;
  // Survivor curve fits (cumulative survivors against the birth axis; growth = survivors born in
  // the stretch, span = its width, so slope() is a density: bytes surviving per axis unit).
  GrowthFit window;  // every bucket in the window
  GrowthFit steady;  // buckets[onset..]
  GrowthFit old;     // buckets[onset..last-1]: the steady stretch without the youngest bucket;
                     // invalid when the stretch is the youngest bucket alone
  size_t steady_buckets() const { return buckets.size() - onset; }
};

// A stack's birth buckets at the last snapshot: bucket j starts at starts[j] (ascending, on the
// axis) and ends at starts[j+1], the last one at `end`. survivors[j], live_at_start[j] and
// live_known[j] as in BucketSurvivors (shorter vectors: the missing values are 0 / unknown).
// Buckets that start before `window_start` count as before the window. `sample_rate_bytes` R
// (0 or 1: exact) sets the sampling variance (at most R per byte).
SurvivorProfile ProfileSurvivors(const std::vector<double>& starts, double end,
                                 const std::vector<double>& survivors,
                                 const std::vector<double>& live_at_start,
                                 const std::vector<bool>& live_known, double window_start,
                                 double sample_rate_bytes);

// The upper end of the 95% score interval of a sampled estimate of `bytes` (exact: `bytes`).
double SampledUpperBound(double bytes, double sample_rate_bytes);

// Leading buckets are trimmed while their survivors' upper bound stands below this fraction of
// the density of the buckets after them.
inline constexpr double kOnsetDensityRatio = 0.5;
// A trailing bucket narrower than this fraction of the one before it is merged into it.
inline constexpr double kNarrowBucketFraction = 0.25;

}  // namespace clwleak::analysis
