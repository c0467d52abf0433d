// Classification of one stack's growth after warm-up: `leak` (grows steadily to the end, from
// bytes that stay), `bounded` (grew, then stopped or slowed: a cache, a pool, a flush),
// `stable` (no growth that sampling and churn do not explain) or `inconclusive` (growth that
// could matter but that the evidence cannot judge: too few samples, too few snapshots, or too
// recent). Called by analysis.cc for every stack; pure, thread-safe. The rules are below and in
// docs/analyzer.md; classification.cc says why.
//
// With allocation ages (survivors.h), the survivors decide, read with the time series:
//   leak:    bytes born in buckets that had closed keep growing (a buffer grown by realloc); or
//            a stack of at most kFewBlocks blocks whose live bytes keep rising to new highs in
//            steps (a buffer grown by new-and-copy: its rate is its content's); or
//            survivors born in the window reach back at a steady density over at least two birth
//            buckets, backed by at least kMinSamplesForGrowth sample intervals, and the live bytes
//            still grow at no less than kSteadyRateRatio (1/2) of the older buckets' density over
//            the youngest bucket and its second half; or survivors only in the youngest bucket,
//            at a new level that did not replace what was there, growing steadily over at least a
//            quarter of the window (a leak that started late);
//   bounded: survivors reach back but the live bytes clearly stopped growing (a cache that
//            filled); a buffer that grew in place and stopped; the live bytes grew while nothing
//            born in the window stays (turnover);
//   inconclusive: growth in the youngest bucket alone over a shorter stretch (a leak that just
//            started, or a cache still filling), except in exact mode when it is fewer than
//            kMinSamplesForGrowth allocations (a one-off: a buffer made at the end); growth backed
//            by too few samples; survivors that reach back while neither the youngest bucket nor
//            the time series can tell whether the live bytes still grow;
//   stable:  anything else.
// Without ages (older files), the time series alone, split at the middle of its axis range:
//   leak:    the whole window grows, the late half grows on its own (two increments or more),
//            and the late half's rate is at least half the early half's;
//   bounded: the window grows but the late half's rate is clearly (its upper bound) under half
//            the early half's; or the late half is a plateau standing well above the window's
//            start;
//   inconclusive: growth seen over fewer than kMinPointsToClassify points, or a late half that
//            neither grows on its own nor clearly slowed (too few snapshots to say), or growth
//            backed by too few samples;
//   stable:  anything else.
// In sampled mode growth backed by fewer than kMinSamplesForGrowth sample intervals (growth / R)
// is never judged: it is `inconclusive` when its upper bound could matter (the caller's
// `material_slope`), else `stable`.
#pragma once

#include <cstddef>

#include "growth_fit.h"
#include "survivors.h"

namespace clwleak::analysis {

enum class Classification { kLeak, kBounded, kStable, kInconclusive };

// "leak", "bounded", "stable", "inconclusive".
const char* ClassificationName(Classification classification);

// Why a stack, or a run, could not be judged. Worded by analyzer/cli.
enum class InconclusiveReason {
  kNone,
  kTooFewSnapshots,  // the window holds too few snapshots (or birth buckets) to judge the growth
  kTooFewSamples,    // the growth is backed by too few samples (sampled mode)
  kGrowthTooRecent,  // the growth is all in the youngest birth bucket: new, leak or cache filling
  kRunTooShort,      // run level: a leak too small to leave a sample could still matter
};

// What would decide it: a set of these bits.
enum Remedy : unsigned {
  kRemedyExactMode = 1u,        // CLWLEAK_SAMPLE_RATE=1
  kRemedyLongerRun = 2u,        // more requests, or a longer time
  kRemedyShorterInterval = 4u,  // CLWLEAK_INTERVAL shorter: more snapshots in the same run
};
unsigned RemediesFor(InconclusiveReason reason, bool sampled);

struct StackVerdict {
  Classification classification = Classification::kStable;
  GrowthFit whole;  // the time series over the whole window
  GrowthFit early;  // its halves (files without ages)
  GrowthFit late;
  // The fit whose rate is reported: `whole`, or for a leak that started late the time series from
  // its onset, or the survivors when the window has no time series to fit.
  GrowthFit rate;
  double rate_start = 0;    // where `rate` starts on the axis
  bool late_onset = false;  // the leak started after the window's start: after `onset`
  double onset = 0;
  bool growing_buffer = false;  // leak: bytes born in closed buckets kept growing (realloc)
  InconclusiveReason reason = InconclusiveReason::kNone;  // set when kInconclusive
  unsigned remedies = 0;
};

// Late-half rate below this fraction of the early-half rate means the growth is slowing down.
inline constexpr double kSteadyRateRatio = 0.5;
inline constexpr size_t kMinPointsToClassify = 4;
// Growth worth judging in sampled mode, in sample intervals: growth / R. The sampling variance of
// an estimate of B bytes is at most R * B, so this keeps its relative error under about 1/3.
inline constexpr double kMinSamplesForGrowth = 10;
// How far above the window's start a late-half plateau must stand, in units of its noise.
inline constexpr double kPlateauRiseSigmas = 2.5;
// A stack holding at most this many blocks whose bytes rose in steps is a buffer grown by
// replacement (std::string, std::vector), not a collection of leaked blocks.
inline constexpr double kFewBlocks = 4;

// Everything known about one stack after warm-up.
struct StackEvidence {
  // The window's time series: points (x[i], y[i]), i in [0, n), on the file's axis.
  const double* x = nullptr;
  const double* y = nullptr;
  size_t n = 0;
  // Same points: cumulative change of the bytes born in buckets that had closed (realloc growth
  // of old blocks, minus their frees); null when it never changed.
  const double* closed_bucket_change = nullptr;
  double sample_rate_bytes = 0;  // R; 0 or 1: exact
  // Survivors by birth bucket; null for a file without ages.
  const SurvivorProfile* survivors = nullptr;
  // The smallest rate (bytes per axis unit) that could matter: growth that cannot be judged is
  // `inconclusive` when its upper bound reaches it, else `stable`. 0: any growth matters.
  double material_slope = 0;
  // Exact mode: the stack's live bytes per live allocation at the end (0: unknown). Growth worth
  // fewer than kMinSamplesForGrowth of its allocations is a one-off, not a rate.
  double bytes_per_allocation = 0;
  // The stack's live allocations at the last snapshot (estimated in sampled mode); 0: unknown.
  double live_count = 0;
};

StackVerdict Classify(const StackEvidence& evidence);

// The series-only classification of points (x[i], y[i]), i in [0, n): the window after warm-up
// of a stack in a file without ages. `bytes_per_sample` is kept for callers of the older form and
// not used (growth is judged in sample intervals of R).
StackVerdict Classify(const double* x, const double* y, size_t n, double sample_rate_bytes,
                      double bytes_per_sample = 0);

}  // namespace clwleak::analysis
