// Leak / bounded / stable / inconclusive classification of one stack; see classification.h.
//
// Why the rules with ages look as they do (the survivor maths is in survivors.cc):
// - A leak is growth that stays. Its survivors reach back over the window at a steady density
//   (their rate), and the live bytes keep growing at that density. Each half of that is shared
//   with a benign pattern: a cache whose residency is most of the run also leaves survivors far
//   back, but once full its live bytes stop growing; a batch flushed with a period close to the
//   snapshot interval makes the live bytes climb in a straight line from snapshot to snapshot
//   (a stroboscope), but nothing it allocated survives past the last flush. Requiring both
//   rejects both.
// - "Keep growing" is judged over the youngest birth bucket: the live bytes' growth there (time
//   series, from the snapshot where the bucket opened to the last one) against the density of
//   the older buckets of the steady stretch. The youngest bucket's own survivors are not used for
//   the density: they include allocations in flight at the end.
// - A leak that started late is measured from its onset (the first bucket of the steady
//   stretch), on the time series: end-point growth from the snapshot where that bucket opened,
//   which is unbiased under churn, unlike survivors (which count churn in flight at the end).
// - Growth that lives only in the youngest bucket cannot be told from a cache that is filling or
//   from a leak that just began: `inconclusive`, when the level is new (above every earlier
//   one) and the bytes alive when the bucket opened have not all turned over (a periodic flush or
//   churn replaces what was there: more died than the level gained).
// - A buffer grown by realloc keeps its birth: its bytes sit in an old bucket that grows after it
//   closed, which no other pattern does (bytes born in a closed bucket can only be freed). It is
//   a leak while it keeps growing: regrowth in the late half of the window, or a last step no
//   older than twice the spacing of the steps before it (a buffer whose capacity doubles grows
//   in ever wider steps); a buffer that stopped growing is bounded.
// - Nothing is judged on fewer than kMinSamplesForGrowth sample intervals of growth (growth / R):
//   such growth is `inconclusive` when its upper bound reaches the caller's material rate.
#include "classification.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace clwleak::analysis {
namespace {

// Steps of regrowth: an increment above this fraction of the window's regrowth (and above two
// sample intervals in sampled mode).
constexpr double kRegrowthStepFraction = 0.05;
// Regrowth in the late half at least this fraction of the window's: still growing.
constexpr double kRegrowthLateFraction = 0.25;

double Rate(double sample_rate_bytes) { return sample_rate_bytes > 1 ? sample_rate_bytes : 0; }

bool EnoughSamples(double growth, double rate) {
  return rate <= 0 || growth / rate >= kMinSamplesForGrowth;
}

// Real growth: positive beyond sampling (exact: positive).
bool Positive(double bytes, double rate) {
  if (!(bytes > 0)) return false;
  double lo = 0, hi = 0;
  SamplingInterval(bytes, rate, &lo, &hi);
  return lo > 0;
}

// `inconclusive` (with `bound` as the reported fit) when the upper end of `bound` could matter,
// else `stable`.
void CannotJudge(const StackEvidence& evidence, InconclusiveReason reason, const GrowthFit& bound,
                 double bound_start, StackVerdict* verdict) {
  if (bound.valid && bound.slope_hi() > 0 && bound.slope_hi() >= evidence.material_slope) {
    verdict->classification = Classification::kInconclusive;
    verdict->reason = reason;
    verdict->remedies = RemediesFor(reason, evidence.sample_rate_bytes > 1);
    verdict->rate = bound;
    verdict->rate_start = bound_start;
  } else {
    verdict->classification = Classification::kStable;
  }
}

// The time series from (start_x, start_y) on: that point, then every point after it.
GrowthFit FitFrom(const StackEvidence& evidence, double start_x, double start_y) {
  std::vector<double> x{start_x}, y{start_y};
  for (size_t i = 0; i < evidence.n; ++i) {
    if (evidence.x[i] > start_x) {
      x.push_back(evidence.x[i]);
      y.push_back(evidence.y[i]);
    }
  }
  return FitGrowth(x.data(), y.data(), x.size(), evidence.sample_rate_bytes);
}

// A cache that filled early in the window and then churned: its late half is a plateau whose
// level stands clearly above where the window started. The late half is roughly stationary, so
// its spread measures churn and sampling noise of a level; the start point's own sampling noise
// is R * y0 (the variance of a sampled estimate of y0 bytes). The rise must exceed
// kPlateauRiseSigmas (2.5) of that noise and be backed by enough samples.
bool RoseToAPlateau(const double* y, size_t n, size_t split, double rate) {
  const size_t m = n - split;
  if (m < 2) return false;
  double mean = 0;
  for (size_t i = split; i < n; ++i) mean += y[i];
  mean /= static_cast<double>(m);
  double spread = 0;
  for (size_t i = split; i < n; ++i) spread += (y[i] - mean) * (y[i] - mean);
  spread /= static_cast<double>(m - 1);
  const double rise = mean - y[0];
  const double start_variance = rate * std::max(y[0], 0.0);
  const double noise = std::sqrt(spread * (1 + 1.0 / static_cast<double>(m)) + start_variance);
  return rise > 0 && rise > kPlateauRiseSigmas * noise && EnoughSamples(rise, rate);
}

// Files without ages: the time series alone.
StackVerdict ClassifyBySeries(const StackEvidence& evidence, StackVerdict verdict) {
  const double* x = evidence.x;
  const double* y = evidence.y;
  const size_t n = evidence.n;
  const double rate = Rate(evidence.sample_rate_bytes);
  if (n < 2) return verdict;
  if (n < kMinPointsToClassify) {
    if (Positive(verdict.whole.growth, rate)) {
      CannotJudge(evidence, InconclusiveReason::kTooFewSnapshots, verdict.whole, x[0], &verdict);
    }
    return verdict;
  }
  const double middle = (x[0] + x[n - 1]) / 2;
  size_t split = static_cast<size_t>(std::lower_bound(x, x + n, middle) - x);
  split = std::clamp<size_t>(split, 1, n - 2);
  verdict.early = FitGrowth(x, y, split + 1, evidence.sample_rate_bytes);
  verdict.late = FitGrowth(x + split, y + split, n - split, evidence.sample_rate_bytes);

  if (verdict.whole.Grows()) {
    if (!EnoughSamples(verdict.whole.growth, rate)) {
      CannotJudge(evidence, InconclusiveReason::kTooFewSamples, verdict.whole, x[0], &verdict);
    } else if (verdict.late.intervals < 2) {
      CannotJudge(evidence, InconclusiveReason::kTooFewSnapshots, verdict.whole, x[0], &verdict);
    } else {
      const double wanted = kSteadyRateRatio * verdict.early.slope();
      if (verdict.late.Grows() && verdict.late.slope() >= wanted) {
        verdict.classification = Classification::kLeak;
      } else if (verdict.late.slope_hi() < wanted) {
        verdict.classification = Classification::kBounded;  // clearly slowed down
      } else {
        // The late half might still grow at the early rate: too few snapshots to say.
        CannotJudge(evidence, InconclusiveReason::kTooFewSnapshots, verdict.whole, x[0], &verdict);
      }
    }
  } else if (!verdict.late.Grows() && RoseToAPlateau(y, n, split, rate)) {
    verdict.classification = Classification::kBounded;
  }
  return verdict;
}

enum class Regrowth { kNone, kContinuing, kStopped };

// Bytes born in closed buckets that grew (a buffer grown by realloc): still growing or stopped.
Regrowth JudgeRegrowth(const StackEvidence& evidence) {
  const double* change = evidence.closed_bucket_change;
  const size_t n = evidence.n;
  if (change == nullptr || n < 2) return Regrowth::kNone;
  const double rate = Rate(evidence.sample_rate_bytes);
  const double total = change[n - 1] - change[0];
  if (!Positive(total, rate) || !EnoughSamples(total, rate)) return Regrowth::kNone;
  const double* x = evidence.x;
  const double tolerance = std::max(kRegrowthStepFraction * total, 2 * rate);
  double last_step = -1, previous_step = x[0];
  for (size_t i = 1; i < n; ++i) {
    if (change[i] - change[i - 1] > tolerance) {
      if (last_step >= 0) previous_step = last_step;
      last_step = x[i];
    }
  }
  const double middle = (x[0] + x[n - 1]) / 2;
  double late = 0;
  for (size_t i = 1; i < n; ++i) {
    if (x[i - 1] >= middle) late += change[i] - change[i - 1];
  }
  if (late >= kRegrowthLateFraction * total) return Regrowth::kContinuing;
  if (last_step >= 0 && x[n - 1] - last_step <= 2 * (last_step - previous_step)) {
    return Regrowth::kContinuing;
  }
  return Regrowth::kStopped;
}

StackVerdict ClassifyWithAges(const StackEvidence& evidence, StackVerdict verdict) {
  const SurvivorProfile& survivors = *evidence.survivors;
  const double rate = Rate(evidence.sample_rate_bytes);
  const double* x = evidence.x;
  const double* y = evidence.y;
  const size_t n = evidence.n;
  const BucketSurvivors& youngest = survivors.buckets.back();
  const double window_start = n > 0 ? x[0] : survivors.buckets.front().start;

  // 1. A buffer that keeps growing in place.
  const Regrowth regrowth = JudgeRegrowth(evidence);
  if (regrowth == Regrowth::kContinuing) {
    verdict.classification = Classification::kLeak;
    verdict.growing_buffer = true;
    if (!(verdict.whole.growth > 0)) {
      verdict.rate = FitGrowth(x, evidence.closed_bucket_change, n, evidence.sample_rate_bytes);
    }
    return verdict;
  }

  // 2. Survivors that reach back at a steady density.
  const bool reaches_back = survivors.steady_buckets() >= 2 && survivors.old.valid &&
                            Positive(survivors.old.growth, rate) && survivors.steady.growth > 0;
  if (reaches_back) {
    const double steady_start = survivors.buckets[survivors.onset].start;
    if (!EnoughSamples(survivors.steady.growth, rate)) {
      CannotJudge(evidence, InconclusiveReason::kTooFewSamples, survivors.steady, steady_start,
                  &verdict);
      return verdict;
    }
    bool leak = true;
    if (youngest.live_known && n > 0) {
      const GrowthFit late = FitFrom(evidence, youngest.start, youngest.live_at_start);
      const double wanted = kSteadyRateRatio * survivors.old.slope();
      if (!late.valid || late.slope() < wanted) {
        leak = false;
        if (late.valid && late.slope_hi() >= wanted) {
          CannotJudge(evidence,
                      rate > 0 ? InconclusiveReason::kTooFewSamples
                               : InconclusiveReason::kTooFewSnapshots,
                      survivors.steady, steady_start, &verdict);
          return verdict;
        }
        verdict.classification = Classification::kBounded;
        return verdict;
      }
    }
    if (leak) {
      verdict.classification = Classification::kLeak;
      const BucketSurvivors& onset = survivors.buckets[survivors.onset];
      if (survivors.onset > 0) {
        verdict.late_onset = true;
        verdict.rate_start = onset.start;
        verdict.rate = onset.live_known && n > 0 ? FitFrom(evidence, onset.start, onset.live_at_start)
                                                 : GrowthFit{};
      }
      if (!verdict.rate.valid) {  // no time series to measure it on: the survivors' density
        verdict.rate = survivors.steady;
        verdict.rate_start = onset.start;
      }
      return verdict;
    }
  }

  // 3. A buffer that grew in place and stopped.
  if (regrowth == Regrowth::kStopped) {
    verdict.classification = Classification::kBounded;
    return verdict;
  }

  // 4. Growth that lives only in the youngest bucket, at a new level, without turnover.
  if (n > 0 && youngest.live_known && Positive(youngest.survivors, rate)) {
    const double live_end = y[n - 1];
    const double growth = live_end - youngest.live_at_start;
    double born_before = survivors.before_window;
    for (size_t j = 0; j + 1 < survivors.buckets.size(); ++j) {
      born_before += survivors.buckets[j].survivors;
    }
    const double mortal = youngest.live_at_start - born_before;  // alive then, gone by the end
    double previous_high = youngest.live_at_start;
    for (size_t i = 0; i < n && x[i] <= youngest.start; ++i) {
      previous_high = std::max(previous_high, y[i]);
    }
    if (Positive(growth, rate) && mortal < growth &&
        live_end - previous_high >= kSteadyRateRatio * growth) {
      const GrowthFit late = FitFrom(evidence, youngest.start, youngest.live_at_start);
      CannotJudge(evidence,
                  EnoughSamples(growth, rate) ? InconclusiveReason::kGrowthTooRecent
                                              : InconclusiveReason::kTooFewSamples,
                  late, youngest.start, &verdict);
      return verdict;
    }
  }

  // 5. The live bytes grew, but what was born in the window does not stay: turnover.
  if (verdict.whole.Grows()) {
    if (!EnoughSamples(verdict.whole.growth, rate)) {
      CannotJudge(evidence, InconclusiveReason::kTooFewSamples, verdict.whole, window_start,
                  &verdict);
    } else {
      verdict.classification = Classification::kBounded;
    }
    return verdict;
  }

  // 6. Survivors too few to say whether they reach back.
  if (Positive(survivors.window.growth, rate) && !EnoughSamples(survivors.window.growth, rate) &&
      survivors.buckets.size() >= 2 && Positive(survivors.window.growth - youngest.survivors, rate)) {
    CannotJudge(evidence, InconclusiveReason::kTooFewSamples, survivors.window,
                survivors.buckets.front().start, &verdict);
  }
  return verdict;
}

}  // namespace

const char* ClassificationName(Classification classification) {
  switch (classification) {
    case Classification::kLeak:
      return "leak";
    case Classification::kBounded:
      return "bounded";
    case Classification::kStable:
      return "stable";
    case Classification::kInconclusive:
      return "inconclusive";
  }
  return "stable";
}

unsigned RemediesFor(InconclusiveReason reason, bool sampled) {
  const unsigned exact = sampled ? kRemedyExactMode : 0u;
  switch (reason) {
    case InconclusiveReason::kNone:
      return 0;
    case InconclusiveReason::kTooFewSnapshots:
      return kRemedyLongerRun | kRemedyShorterInterval;
    case InconclusiveReason::kTooFewSamples:
      return exact | kRemedyLongerRun;
    case InconclusiveReason::kGrowthTooRecent:
      return kRemedyLongerRun;
    case InconclusiveReason::kRunTooShort:
      return exact | kRemedyLongerRun;
  }
  return 0;
}

StackVerdict Classify(const StackEvidence& evidence) {
  StackVerdict verdict;
  verdict.whole = FitGrowth(evidence.x, evidence.y, evidence.n, evidence.sample_rate_bytes);
  verdict.rate = verdict.whole;
  verdict.rate_start = evidence.n > 0 ? evidence.x[0] : 0;
  if (evidence.survivors != nullptr && evidence.survivors->available) {
    return ClassifyWithAges(evidence, verdict);
  }
  return ClassifyBySeries(evidence, verdict);
}

StackVerdict Classify(const double* x, const double* y, size_t n, double sample_rate_bytes,
                      double /*bytes_per_sample*/) {
  StackEvidence evidence;
  evidence.x = x;
  evidence.y = y;
  evidence.n = n;
  evidence.sample_rate_bytes = sample_rate_bytes;
  return Classify(evidence);
}

}  // namespace clwleak::analysis
