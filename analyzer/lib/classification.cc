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
//   churn replaces what was there: more died than the level gained). In exact mode, growth of
//   fewer than kMinSamplesForGrowth allocations is a one-off (stdout's buffer made by the last
//   printf, an object built lazily at the end), not the start of a rate: it is `stable`.
// - When survivors reach back but the youngest bucket is too noisy to say whether the live bytes
//   still grow (a churning cache turns its whole content over inside it), the time series over
//   the window decides: a plateau there is `bounded`, steady growth a leak, anything else
//   `inconclusive`.
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
// Growth only in the youngest bucket is a leak (that started late) when it grew steadily over at
// least this fraction of the window; a shorter stretch is too recent to tell from a filling cache.
constexpr double kMinOnsetSpan = 0.25;
constexpr double kZ975 = 1.959963984540054;

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

// Splits the window at the middle of its axis range and fits both halves into verdict->early and
// ->late; returns the index of the first point of the late half. Needs n >= kMinPointsToClassify.
size_t FitHalves(const StackEvidence& evidence, StackVerdict* verdict) {
  const double* x = evidence.x;
  const double* y = evidence.y;
  const size_t n = evidence.n;
  const double middle = (x[0] + x[n - 1]) / 2;
  size_t split = static_cast<size_t>(std::lower_bound(x, x + n, middle) - x);
  split = std::clamp<size_t>(split, 1, n - 2);
  verdict->early = FitGrowth(x, y, split + 1, evidence.sample_rate_bytes);
  verdict->late = FitGrowth(x + split, y + split, n - split, evidence.sample_rate_bytes);
  return split;
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
  const size_t split = FitHalves(evidence, &verdict);

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

// The steps up of a growing buffer's bytes `level` (x[i], level[i]), i in [0, n): increments above
// `tolerance` that take it to a new high.
struct Steps {
  size_t count = 0;
  size_t first = 0, last = 0;  // the points just after the first and the last step
  double previous = -1;        // where the step before the last one was, on the axis
};
Steps FindSteps(const double* x, const double* level, size_t n, double tolerance) {
  Steps steps;
  double high = level[0];
  for (size_t i = 1; i < n; ++i) {
    if (level[i] - level[i - 1] > tolerance && level[i] > high + tolerance) {
      if (steps.count == 0) steps.first = i;
      if (steps.count > 0) steps.previous = x[steps.last];
      steps.last = i;
      ++steps.count;
    }
    high = std::max(high, level[i]);
  }
  return steps;
}

// Whether a buffer whose bytes `level` grew by `total` still grows: growth in the late half of the
// window, or a last step no older than twice the spacing of the steps before it (a buffer whose
// capacity doubles grows in ever wider steps).
Regrowth StillGrowsInSteps(const double* x, const double* level, size_t n, double total,
                           const Steps& steps) {
  const double middle = (x[0] + x[n - 1]) / 2;
  double late = 0;
  for (size_t i = 1; i < n; ++i) {
    if (x[i - 1] >= middle) late += level[i] - level[i - 1];
  }
  if (late >= kRegrowthLateFraction * total) return Regrowth::kContinuing;
  const double previous = steps.count >= 2 ? steps.previous : x[0];
  if (steps.count > 0 && x[n - 1] - x[steps.last] <= 2 * (x[steps.last] - previous)) {
    return Regrowth::kContinuing;
  }
  return Regrowth::kStopped;
}

// Bytes born in closed buckets that grew (a buffer grown by realloc): still growing or stopped.
Regrowth JudgeRegrowth(const StackEvidence& evidence) {
  const double* change = evidence.closed_bucket_change;
  const size_t n = evidence.n;
  if (change == nullptr || n < 2) return Regrowth::kNone;
  const double rate = Rate(evidence.sample_rate_bytes);
  const double total = change[n - 1] - change[0];
  if (!Positive(total, rate) || !EnoughSamples(total, rate)) return Regrowth::kNone;
  const double tolerance = std::max(kRegrowthStepFraction * total, 2 * rate);
  const Steps steps = FindSteps(evidence.x, change, n, tolerance);
  return StillGrowsInSteps(evidence.x, change, n, total, steps);
}

// A buffer grown by replacement (new, copy, free: std::string, std::vector), or by realloc when
// sampling lost its birth: the stack holds at most kFewBlocks blocks at the end and its live bytes
// rose to new highs in at least two steps, each new block young (so survivors cannot show it). Its rate is that of its content: when a
// block is replaced, the content has just filled it, so the level before each step is the
// content at that step; the fit runs between the first and the last step.
Regrowth JudgeReplacement(const StackEvidence& evidence, GrowthFit* content,
                          double* content_start) {
  const size_t n = evidence.n;
  if (n < 3 || !(evidence.live_count > 0) || evidence.live_count > kFewBlocks) {
    return Regrowth::kNone;
  }
  const double rate = Rate(evidence.sample_rate_bytes);
  const double* x = evidence.x;
  const double* y = evidence.y;
  const double total = y[n - 1] - y[0];
  if (!Positive(total, rate) || !EnoughSamples(total, rate)) return Regrowth::kNone;
  // No sampling term: with at least 10 R of growth in a few blocks, each block is larger than
  // 2.5 R and sampled with a weight within a few percent of its size.
  const Steps steps = FindSteps(x, y, n, kRegrowthStepFraction * total);
  if (steps.count < 2) return Regrowth::kNone;
  const Regrowth judged = StillGrowsInSteps(x, y, n, total, steps);
  if (judged == Regrowth::kContinuing) {
    // At a step the content has just outgrown the old block: it is the old block's size then. A
    // step happened somewhere between the snapshot before it and the one showing it, so the
    // content's rate is measured between the middles of those two intervals, and its interval
    // spans the shortest and the longest time the steps can be apart.
    const double before_first = x[steps.first - 1], after_first = x[steps.first];
    const double before_last = x[steps.last - 1], after_last = x[steps.last];
    const double cx[] = {(before_first + after_first) / 2, (before_last + after_last) / 2};
    const double cy[] = {y[steps.first - 1], y[steps.last - 1]};
    *content = FitGrowth(cx, cy, 2, evidence.sample_rate_bytes);
    *content_start = cx[0];
    const double longest = after_last - before_first;
    const double shortest = before_last - after_first;
    if (content->valid && shortest > 0) {
      content->growth_lo *= content->span / longest;
      content->growth_hi *= content->span / shortest;
    }
  }
  return judged;
}

// Bytes born in the window's buckets before `last` (and before the window): S(a[last]).
double BornBefore(const SurvivorProfile& survivors, size_t last) {
  double bytes = survivors.before_window;
  for (size_t j = 0; j < last; ++j) bytes += survivors.buckets[j].survivors;
  return bytes;
}

// The time series of a leak that started late, from the bucket where its survivors begin: the
// bucket before `first` when its survivors are real (the onset is inside it), else `first`. Its
// leading points are trimmed while an increment stands clearly (its sampling upper bound) under
// half the rate of what follows, within the buckets searched: the rate is measured from the first
// point of steady growth, and the leak started after the point before it.
struct OnsetFit {
  GrowthFit fit;
  double rate_start = 0;     // where `fit` starts
  double started_after = 0;  // the leak had not started before this point
};
OnsetFit FitFromOnset(const StackEvidence& evidence, const SurvivorProfile& survivors,
                      size_t first) {
  const double rate = Rate(evidence.sample_rate_bytes);
  size_t from = first;
  if (from > 0 && Positive(survivors.buckets[from - 1].survivors, rate) &&
      survivors.buckets[from - 1].live_known) {
    --from;
  }
  const BucketSurvivors& bucket = survivors.buckets[from];
  const double search_end = survivors.buckets[first].end;
  std::vector<double> x{bucket.start}, y{bucket.live_at_start};
  for (size_t i = 0; i < evidence.n; ++i) {
    if (evidence.x[i] > bucket.start) {
      x.push_back(evidence.x[i]);
      y.push_back(evidence.y[i]);
    }
  }
  size_t k = 0;
  while (k + 2 < x.size() && x[k + 1] <= search_end) {
    const double rest_slope = (y.back() - y[k + 1]) / (x.back() - x[k + 1]);
    const double step_upper = SampledUpperBound(std::max(y[k + 1] - y[k], 0.0), rate);
    if (!(rest_slope > 0) || step_upper >= kSteadyRateRatio * rest_slope * (x[k + 1] - x[k])) break;
    ++k;
  }
  OnsetFit onset;
  onset.fit = FitGrowth(x.data() + k, y.data() + k, x.size() - k, evidence.sample_rate_bytes);
  onset.rate_start = x[k];
  onset.started_after = k > 0 ? x[k - 1] : bucket.start;
  return onset;
}

// Sets a leak's rate: the time series over the window, or from its onset; the survivors' density
// when there is no time series to fit.
void LeakRate(const StackEvidence& evidence, const SurvivorProfile& survivors, size_t first,
              StackVerdict* verdict) {
  verdict->classification = Classification::kLeak;
  if (first > 0 && evidence.n > 0 && survivors.buckets[first].live_known) {
    const OnsetFit onset = FitFromOnset(evidence, survivors, first);
    verdict->late_onset = true;
    verdict->onset = onset.started_after;
    verdict->rate = onset.fit;
    verdict->rate_start = onset.rate_start;
  } else if (first > 0) {
    verdict->late_onset = true;
    verdict->onset = survivors.buckets[first].start;
    verdict->rate = GrowthFit{};
  }
  if (!verdict->rate.valid) {
    verdict->rate = survivors.steady;
    verdict->rate_start = survivors.buckets[first].start;
  }
}

enum class Retention { kGrowing, kSlowed, kUnclear };

// Whether the live bytes still grow at no less than kSteadyRateRatio of the density of the older
// buckets of the steady stretch (without its first bucket when two or more follow it), judged over
// the youngest bucket and over its second half (from the first snapshot at or after its middle).
// The growth over a span is what was born in it and stays, minus what was alive at its start and
// died since: two disjoint sets of allocations, so its sampling variance is at most R times their
// sum. Over the youngest bucket both are known (its survivors; `mortal`, alive at its opening and
// dead by the end); over its second half they are bounded by the youngest bucket's survivors and by
// what was alive at the span's start and not born before the bucket. Slowed when a span's growth
// plus its 95% sampling noise (taken at the threshold) falls short; growing when a span whose
// noise is under the threshold reaches it; unclear otherwise.
Retention StillGrowing(const StackEvidence& evidence, const SurvivorProfile& survivors,
                       double mortal) {
  const double rate = Rate(evidence.sample_rate_bytes);
  const BucketSurvivors& youngest = survivors.buckets.back();
  // The density of the older buckets of the stretch, without its first when two or more follow
  // it: the first may hold the onset and part of the stretch before it.
  const size_t last = survivors.buckets.size() - 1;
  double bytes = 0, width = 0;
  for (size_t j = last - survivors.onset >= 2 ? survivors.onset + 1 : survivors.onset; j < last;
       ++j) {
    bytes += survivors.buckets[j].survivors;
    width += survivors.buckets[j].width();
  }
  const double density = width > 0 ? bytes / width : 0;
  const double end_x = evidence.x[evidence.n - 1];
  const double end_y = evidence.y[evidence.n - 1];
  const double born_before = BornBefore(survivors, last);
  struct Span {
    double start, live_at_start, died;
  };
  std::vector<Span> spans{{youngest.start, youngest.live_at_start, std::max(mortal, 0.0)}};
  const double middle = (youngest.start + end_x) / 2;
  for (size_t i = 0; i + 1 < evidence.n; ++i) {
    if (evidence.x[i] >= middle && evidence.x[i] > youngest.start) {
      spans.push_back({evidence.x[i], evidence.y[i], std::max(evidence.y[i] - born_before, 0.0)});
      break;
    }
  }
  bool decided = false;
  for (const Span& span : spans) {
    const double growth = end_y - span.live_at_start;
    const double wanted = kSteadyRateRatio * density * (end_x - span.start);
    // The noise at the threshold (a score test): a bucket that should hold `wanted` may show
    // far fewer survivors by sampling alone.
    const double noise =
        kZ975 * std::sqrt(rate * (std::max(youngest.survivors, wanted) + span.died));
    if (growth + noise < wanted) return Retention::kSlowed;  // clearly short of it
    // At or above it, on a span whose sampling could not have carried it across: growing.
    if (noise < wanted && growth >= wanted) decided = true;
  }
  return decided ? Retention::kGrowing : Retention::kUnclear;
}

// For survivors that reach back when the youngest bucket cannot say whether the live bytes still
// grow: the time series' late half against its early half. The survivors already show bytes that
// stay at a steady density, so the late half's point estimate suffices for `growing`; `slowed`
// needs the late half clearly (the upper end of its interval) under kSteadyRateRatio of the early
// half's rate, or a plateau above the window's start (a cache that filled early) whose growth
// sampling alone cannot bring up to that rate (a sparse leak leaves flat stretches too).
Retention SeriesRetention(const StackEvidence& evidence) {
  if (evidence.n < kMinPointsToClassify) return Retention::kUnclear;
  StackVerdict halves;
  const size_t split = FitHalves(evidence, &halves);
  const double wanted = kSteadyRateRatio * halves.early.slope();
  if (halves.late.slope_hi() < wanted) return Retention::kSlowed;
  // A plateau: flat against the level's own noise (churn), and lower than sampling alone could
  // make a late half growing at `wanted`.
  double sampled_lo = 0, sampled_hi = 0;
  SamplingInterval(halves.late.growth, evidence.sample_rate_bytes, &sampled_lo, &sampled_hi);
  if (halves.late.slope() < wanted && sampled_hi < wanted * halves.late.span &&
      RoseToAPlateau(evidence.y, evidence.n, split, Rate(evidence.sample_rate_bytes))) {
    return Retention::kSlowed;
  }
  if (halves.late.growth > 0 && halves.late.slope() >= wanted) return Retention::kGrowing;
  return Retention::kUnclear;
}

// Survivors that start late (onset > 0) while what was alive when the onset bucket opened has
// died since: clearly (beyond sampling noise) some, and at least kSteadyRateRatio as many bytes as
// were born in the steady stretch and stay. That is a cache whose residency is the steady
// stretch, not a leak that started late: a leak adds to what was there.
bool ReplacedSinceOnset(const SurvivorProfile& survivors, double rate) {
  if (survivors.onset == 0) return false;
  const BucketSurvivors& onset = survivors.buckets[survivors.onset];
  if (!onset.live_known) return false;
  const double died = onset.live_at_start - BornBefore(survivors, survivors.onset);
  const double born = std::max(survivors.steady.growth, 0.0);
  const double noise = kZ975 * std::sqrt(rate * (std::max(died, 0.0) + born));
  return died - noise > 0 && died >= kSteadyRateRatio * born;
}

StackVerdict ClassifyWithAges(const StackEvidence& evidence, StackVerdict verdict) {
  const SurvivorProfile& survivors = *evidence.survivors;
  const double rate = Rate(evidence.sample_rate_bytes);
  const double* x = evidence.x;
  const double* y = evidence.y;
  const size_t n = evidence.n;
  const size_t last = survivors.buckets.size() - 1;
  const BucketSurvivors& youngest = survivors.buckets[last];
  const double window_start = n > 0 ? x[0] : survivors.buckets.front().start;
  const double window_span = youngest.end - window_start;

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

  // 1b. A buffer that keeps growing by replacement.
  GrowthFit content;
  double content_start = 0;
  const Regrowth replacement = JudgeReplacement(evidence, &content, &content_start);
  if (replacement == Regrowth::kContinuing) {
    verdict.classification = Classification::kLeak;
    verdict.growing_buffer = true;
    if (content.valid) {
      verdict.rate = content;
      verdict.rate_start = content_start;
    }
    return verdict;
  }

  // The live bytes' growth over the youngest bucket, and its sampling noise: it is what was born
  // there and stays, minus what was alive when it opened and died since, two disjoint sets of
  // allocations (variance at most R per byte of each).
  const bool late_known = youngest.live_known && n > 0;
  const double late_growth = late_known ? y[n - 1] - youngest.live_at_start : 0;
  const double mortal = late_known ? youngest.live_at_start - BornBefore(survivors, last) : 0;
  const double late_sd =
      std::sqrt(rate * (std::max(youngest.survivors, 0.0) + std::max(mortal, 0.0)));

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
    if (ReplacedSinceOnset(survivors, rate)) {
      verdict.classification = Classification::kBounded;  // a cache: its residency, turned over
      return verdict;
    }
    if (late_known) {
      // Still growing at no less than half the older buckets' density, over the youngest bucket
      // and over its second half (where a cache that filled recently is flat)?
      switch (StillGrowing(evidence, survivors, mortal)) {
        case Retention::kGrowing:
          break;
        case Retention::kSlowed:
          verdict.classification = Classification::kBounded;  // it clearly slowed: a cache
          return verdict;
        case Retention::kUnclear:
          // The youngest bucket alone cannot say: the time series over the window decides.
          switch (SeriesRetention(evidence)) {
            case Retention::kGrowing:
              break;
            case Retention::kSlowed:
              verdict.classification = Classification::kBounded;
              return verdict;
            case Retention::kUnclear:
              CannotJudge(evidence, InconclusiveReason::kTooFewSamples, survivors.steady,
                          steady_start, &verdict);
              return verdict;
          }
          break;
      }
    }
    LeakRate(evidence, survivors, survivors.onset, &verdict);
    return verdict;
  }

  // 3. A buffer that grew in place, or by replacement, and stopped.
  if (regrowth == Regrowth::kStopped || replacement == Regrowth::kStopped) {
    verdict.classification = Classification::kBounded;
    return verdict;
  }

  // 4. Growth that lives only in the youngest bucket, at a new level, without turnover: a leak
  // that started late when it grew steadily over a good part of the window, else too recent to
  // tell from a cache that is filling; a one-off in exact mode is neither.
  const bool one_off = rate <= 0 && evidence.bytes_per_allocation > 0 &&
                      late_growth < kMinSamplesForGrowth * evidence.bytes_per_allocation;
  if (late_known && Positive(youngest.survivors, rate) && !one_off) {
    double previous_high = youngest.live_at_start;
    for (size_t i = 0; i < n && x[i] <= youngest.start; ++i) {
      previous_high = std::max(previous_high, y[i]);
    }
    if (late_growth - kZ975 * late_sd > 0 && mortal < late_growth &&
        y[n - 1] - previous_high >= kSteadyRateRatio * late_growth) {
      const OnsetFit onset = FitFromOnset(evidence, survivors, last);
      if (!EnoughSamples(late_growth, rate)) {
        CannotJudge(evidence, InconclusiveReason::kTooFewSamples, onset.fit, onset.rate_start,
                    &verdict);
        return verdict;
      }
      std::vector<double> sx, sy;
      for (size_t i = 0; i < n; ++i) {
        if (x[i] >= onset.rate_start) {
          sx.push_back(x[i]);
          sy.push_back(y[i]);
        }
      }
      StackEvidence stretch = evidence;
      stretch.x = sx.data();
      stretch.y = sy.data();
      stretch.n = sx.size();
      stretch.survivors = nullptr;
      stretch.closed_bucket_change = nullptr;
      const StackVerdict steady = Classify(stretch);
      if (steady.classification == Classification::kLeak &&
          youngest.end - onset.started_after >= kMinOnsetSpan * window_span) {
        LeakRate(evidence, survivors, last, &verdict);
        return verdict;
      }
      CannotJudge(evidence, InconclusiveReason::kGrowthTooRecent, onset.fit, onset.rate_start,
                  &verdict);
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

  // 6. New bytes that stay, too few to judge: inconclusive, unless the stack turns over (more of
  // what was alive when the window's first bucket opened has died than was born and stays:
  // churn, whose survivors are only what is in flight at the end).
  const BucketSurvivors& first = survivors.buckets.front();
  const double window_survivors = survivors.window.growth;
  if (Positive(window_survivors, rate) && !EnoughSamples(window_survivors, rate) &&
      first.live_known &&
      first.live_at_start - survivors.before_window < kSteadyRateRatio * window_survivors) {
    CannotJudge(evidence, InconclusiveReason::kTooFewSamples, survivors.window, first.start,
                &verdict);
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
    verdict = ClassifyWithAges(evidence, verdict);
  } else {
    verdict = ClassifyBySeries(evidence, verdict);
  }
  // A leak is growth beyond sampling noise: a sampled rate whose 95% interval reaches zero has not
  // shown one, whatever the shape of its series (a cache that filled early in a short run). A
  // buffer that grows in place or by replacement is shown by its blocks, not by the rate's fit.
  if (verdict.classification == Classification::kLeak && !verdict.growing_buffer &&
      evidence.sample_rate_bytes > 1 && verdict.rate.valid && !(verdict.rate.growth_lo > 0)) {
    CannotJudge(evidence, InconclusiveReason::kTooFewSamples, verdict.rate, verdict.rate_start,
                &verdict);
  }
  return verdict;
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
