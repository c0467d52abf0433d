// Unit tests of the survivor analysis (analyzer/lib/survivors.h) on hand-made birth buckets, of
// the gates' interval rule (gates.h, verdict.h) and of the exit snapshot's teardown rule
// (exit_snapshot.h).
#include "survivors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>

#include "exit_snapshot.h"
#include "gates.h"
#include "verdict.h"

namespace clwleak::analysis {
namespace {

// Buckets at 0, 100, 300, 700, 1500 (doubling widths), the run ending at 3100.
const std::vector<double> kStarts = {0, 100, 300, 700, 1500};
constexpr double kEnd = 3100;

std::vector<double> Survivors(const std::function<double(double, double)>& born) {
  std::vector<double> survivors;
  for (size_t j = 0; j < kStarts.size(); ++j) {
    survivors.push_back(born(kStarts[j], j + 1 < kStarts.size() ? kStarts[j + 1] : kEnd));
  }
  return survivors;
}

TEST(SurvivorsTest, SteadyLeakIsSteadyFromTheWindowStartAtItsRate) {
  const auto survivors = Survivors([](double a, double b) { return 64 * (b - a); });
  const SurvivorProfile profile = ProfileSurvivors(kStarts, kEnd, survivors, {}, {}, 300, 1);
  ASSERT_TRUE(profile.available);
  ASSERT_EQ(profile.buckets.size(), 3u);  // 300, 700, 1500: the first two are warm-up
  EXPECT_DOUBLE_EQ(profile.before_window, 64 * 300);
  EXPECT_EQ(profile.onset, 0u);
  EXPECT_DOUBLE_EQ(profile.steady.slope(), 64);
  EXPECT_DOUBLE_EQ(profile.old.slope(), 64);
  EXPECT_DOUBLE_EQ(profile.window.span, kEnd - 300);
}

TEST(SurvivorsTest, LeakThatStartedLateIsTrimmedToItsOnset) {
  // Nothing survives from before 1000; 64 bytes per unit after.
  const auto survivors =
      Survivors([](double a, double b) { return 64 * std::max(0.0, b - std::max(a, 1000.0)); });
  const SurvivorProfile profile = ProfileSurvivors(kStarts, kEnd, survivors, {}, {}, 100, 1);
  ASSERT_EQ(profile.buckets.size(), 4u);
  // 100..300 (empty) and 300..700 (empty) go; 700..1500 holds the onset (density 32 of 64):
  // not clearly under half, so it stays.
  EXPECT_EQ(profile.onset, 2u);
  EXPECT_EQ(profile.buckets[profile.onset].start, 700);
}

TEST(SurvivorsTest, CacheLeavesOnlyRecentSurvivors) {
  // An LRU cache of residency 1000 units: only what was born after 2100 survives.
  const auto survivors =
      Survivors([](double a, double b) { return 10 * std::max(0.0, b - std::max(a, 2100.0)); });
  const SurvivorProfile profile = ProfileSurvivors(kStarts, kEnd, survivors, {}, {}, 100, 1);
  EXPECT_EQ(profile.steady_buckets(), 1u);  // the youngest bucket alone
  EXPECT_FALSE(profile.old.valid);
}

TEST(SurvivorsTest, NarrowAndEmptyTrailingBucketsAreMerged) {
  // A bucket opened just before the last snapshot (3100..3150) and one of zero width.
  const std::vector<double> starts = {0, 100, 300, 700, 1500, 3100, 3150};
  const std::vector<double> survivors = {1, 2, 3, 4, 5, 6, 7};
  const SurvivorProfile profile = ProfileSurvivors(starts, 3150, survivors, {}, {}, 300, 1);
  ASSERT_EQ(profile.buckets.size(), 3u);
  EXPECT_EQ(profile.buckets.back().start, 1500);
  EXPECT_EQ(profile.buckets.back().end, 3150);
  EXPECT_EQ(profile.buckets.back().survivors, 5 + 6 + 7);
}

TEST(SurvivorsTest, NoBucketAfterTheWarmupIsNotAvailable) {
  const SurvivorProfile profile = ProfileSurvivors({0}, 100, {50}, {}, {}, 10, 1);
  EXPECT_FALSE(profile.available);
}

// Sampled at R = 256 KiB, a steady leak's buckets are never trimmed: the upper end of a bucket's
// interval stands far above half its density.
TEST(SurvivorsTest, SamplingNoiseDoesNotTrimASteadySampledLeak) {
  const double rate = 256 * 1024;
  std::mt19937_64 rng(7);
  int trimmed = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<double> survivors;
    for (size_t j = 0; j < kStarts.size(); ++j) {
      const double width = (j + 1 < kStarts.size() ? kStarts[j + 1] : kEnd) - kStarts[j];
      // 4 KiB per unit, sampled: a Poisson count of samples of weight about R.
      std::poisson_distribution<int> samples(4096 * width / rate);
      survivors.push_back(samples(rng) * rate);
    }
    trimmed += ProfileSurvivors(kStarts, kEnd, survivors, {}, {}, 300, rate).onset > 0;
  }
  std::printf("steady sampled leak trimmed in %d of 1000 trials\n", trimmed);
  EXPECT_LE(trimmed, 5);
}

TEST(GatesTest, TheIntervalAgainstTheLimit) {
  EXPECT_EQ(Compare(Rate{5, 4, 6}, 7), GateOutcome::kPassed);
  EXPECT_EQ(Compare(Rate{5, 4, 6}, 6), GateOutcome::kPassed);  // at the limit: not above it
  EXPECT_EQ(Compare(Rate{5, 4, 6}, 3), GateOutcome::kFailed);
  EXPECT_EQ(Compare(Rate{5, 4, 6}, 5), GateOutcome::kInconclusive);
  EXPECT_EQ(Compare(Rate{0, 0, std::numeric_limits<double>::infinity()}, 1e12),
            GateOutcome::kInconclusive);
}

TEST(GatesTest, InconclusiveSitesAndTheResolutionWidenTheUpperEnd) {
  const Rate leak{100, 90, 110};
  // No inconclusive site, no resolution: the leak's own interval.
  Rate bound = GateBound(leak, {}, 0);
  EXPECT_DOUBLE_EQ(bound.lo, 90);
  EXPECT_DOUBLE_EQ(bound.hi, 110);
  // An inconclusive site adds its estimate and, in quadrature, its upper deviation.
  bound = GateBound(leak, {Rate{20, -10, 50}}, 0);
  EXPECT_DOUBLE_EQ(bound.lo, 90);
  EXPECT_NEAR(bound.hi, 120 + std::sqrt(10 * 10 + 30 * 30), 1e-9);
  // Nothing leaking in sampled mode: the resolution is the upper end.
  bound = GateBound(Rate{}, {}, 42);
  EXPECT_DOUBLE_EQ(bound.lo, 0);
  EXPECT_DOUBLE_EQ(bound.hi, 42);
}

TEST(GatesTest, SumOfIndependentRates) {
  const Rate sum = SumIndependent({Rate{10, 7, 14}, Rate{5, 1, 8}});
  EXPECT_DOUBLE_EQ(sum.value, 15);
  EXPECT_DOUBLE_EQ(sum.lo, 15 - 5);
  EXPECT_DOUBLE_EQ(sum.hi, 15 + 5);
}

TEST(ExitSnapshotTest, OnlyAMaterialFallIsTeardown) {
  TeardownJudge judge(1);
  for (double heap : {100e6, 200e6, 300e6}) judge.ObserveRunning(heap);
  EXPECT_FALSE(judge.IsTeardown(300e6 - 64));     // a few bytes lower: the running process
  EXPECT_FALSE(judge.IsTeardown(300e6 * 0.995));  // under 1%
  EXPECT_TRUE(judge.IsTeardown(150e6));           // half freed: caches released at exit
  // A process whose heap already fell by 20 MB between two snapshots: the exit must fall more.
  TeardownJudge noisy(1);
  for (double heap : {100e6, 120e6, 100e6, 130e6}) noisy.ObserveRunning(heap);
  EXPECT_FALSE(noisy.IsTeardown(115e6));
  EXPECT_TRUE(noisy.IsTeardown(105e6));
  // Sampled: less than z^2 R is what a few samples can move.
  TeardownJudge sampled(512 * 1024);
  for (double heap : {10e6, 20e6, 30e6}) sampled.ObserveRunning(heap);
  EXPECT_FALSE(sampled.IsTeardown(30e6 - 1.5e6));
  EXPECT_TRUE(sampled.IsTeardown(30e6 - 2.5e6));
  // With fewer than three running snapshots the exit snapshot is the evidence: kept.
  TeardownJudge short_run(1);
  short_run.ObserveRunning(10e6);
  short_run.ObserveRunning(20e6);
  EXPECT_FALSE(short_run.IsTeardown(1e6));
}

}  // namespace
}  // namespace clwleak::analysis
