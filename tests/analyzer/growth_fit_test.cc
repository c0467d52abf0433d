// Statistical tests of GrowthFit and Classify (analyzer/lib/growth_fit.cc): the interval's shape
// in the cases its derivation works out by hand, its coverage over seeded trials with an honest
// per-allocation Poisson sampler (directly, and through files and the whole analysis), and that
// a stack seen through few samples gets a wide interval and is not called a leak.
#include "growth_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "analysis.h"
#include "classification.h"
#include "sampled_heap.h"
#include "synthetic_worker.h"
#include "synthetic_writer.h"
#include "test_paths.h"

namespace clwleak::analysis {
namespace {

TEST(GrowthFitTest, ExactStraightLineHasAPointInterval) {
  std::vector<double> x, y;
  for (int i = 0; i <= 20; ++i) {
    x.push_back(100.0 * i);
    y.push_back(5000 + 64.0 * 100 * i);
  }
  GrowthFit fit = FitGrowth(x.data(), y.data(), x.size(), 1);
  ASSERT_TRUE(fit.valid);
  EXPECT_DOUBLE_EQ(fit.slope(), 64.0);
  EXPECT_DOUBLE_EQ(fit.slope_lo(), 64.0);
  EXPECT_DOUBLE_EQ(fit.slope_hi(), 64.0);
  EXPECT_EQ(fit.intervals, 20);
  EXPECT_TRUE(fit.Grows());
}

TEST(GrowthFitTest, OneStepIsNotGrowth) {
  std::vector<double> x, y;
  for (int i = 0; i <= 20; ++i) {
    x.push_back(i);
    y.push_back(i < 13 ? 1000.0 : 1000.0 + (1 << 20));
  }
  GrowthFit fit = FitGrowth(x.data(), y.data(), x.size(), 1);
  EXPECT_GT(fit.growth, 0);
  EXPECT_LT(fit.growth_lo, 0);  // about h - 2.1 h
  EXPECT_FALSE(fit.Grows());
}

TEST(GrowthFitTest, NoAxisProgressIsNotAFit) {
  const double x[] = {5, 5, 5}, y[] = {1, 2, 3};
  EXPECT_FALSE(FitGrowth(x, y, 3, 1).valid);
  EXPECT_FALSE(FitGrowth(x, y, 1, 1).valid);
}

TEST(GrowthFitTest, SamplingIntervalMatchesTheScoreInversion) {
  const double R = 65536;
  const double z2 = 1.959963984540054 * 1.959963984540054;
  // One increment: only the sampling interval applies.
  const double x[] = {0, 1000}, one_sample[] = {0, R}, none[] = {7, 7};
  GrowthFit fit = FitGrowth(x, one_sample, 2, R);
  const double c = z2 * R;
  EXPECT_NEAR(fit.growth_lo, R + c / 2 - std::sqrt(c * R + c * c / 4), 1e-6 * R);
  EXPECT_NEAR(fit.growth_hi, R + c / 2 + std::sqrt(c * R + c * c / 4), 1e-6 * R);
  EXPECT_NEAR(fit.growth_lo / R, 0.18, 0.01);
  EXPECT_NEAR(fit.growth_hi / R, 5.7, 0.05);
  EXPECT_FALSE(fit.Grows());  // one increment cannot tell a leak from a step
  fit = FitGrowth(x, none, 2, R);
  EXPECT_NEAR(fit.growth_lo, -c, 1e-6 * R);
  EXPECT_NEAR(fit.growth_hi, c, 1e-6 * R);
}

TEST(GrowthFitTest, StudentQuantiles) {
  EXPECT_NEAR(StudentT975(1), 12.706, 1e-3);
  EXPECT_NEAR(StudentT975(10), 2.228, 1e-3);
  EXPECT_NEAR(StudentT975(60), 2.000, 2e-3);
  EXPECT_NEAR(StudentT975(1000), 1.962, 1e-3);
}

// A leak sampled the way the preload samples: each allocation independently with
// p = 1 - exp(-s/R), weight s/p, sizes mixed from far below R to above it.
std::vector<double> SampledLeakSeries(std::mt19937_64& rng, double R, int points,
                                      int allocations_per_point, double* true_growth) {
  std::uniform_real_distribution<double> uniform(0, 1);
  const double sizes[] = {48, 512, 4096, 32768, 200000};
  std::vector<double> y{0};
  double estimate = 0, truth = 0;
  for (int p = 1; p < points; ++p) {
    for (int a = 0; a < allocations_per_point; ++a) {
      const double s = sizes[a % 5];
      const double prob = -std::expm1(-s / R);
      truth += s;
      if (uniform(rng) < prob) estimate += s / prob;
    }
    y.push_back(estimate);
  }
  *true_growth = truth;
  return y;
}

TEST(GrowthFitTest, IntervalCoversTheTruthAtTheNominalRate) {
  const double R = 512 * 1024;
  std::mt19937_64 rng(20240601);
  std::vector<double> x;
  for (int i = 0; i < 40; ++i) x.push_back(250.0 * i);
  int covered = 0, width_sum_ok = 0;
  const int trials = 1000;
  for (int t = 0; t < trials; ++t) {
    double truth = 0;
    std::vector<double> y = SampledLeakSeries(rng, R, 40, 25, &truth);
    GrowthFit fit = FitGrowth(x.data(), y.data(), x.size(), R);
    covered += fit.growth_lo <= truth && truth <= fit.growth_hi ? 1 : 0;
    width_sum_ok += (fit.growth_hi - fit.growth_lo) < truth ? 1 : 0;
  }
  RecordProperty("covered_of_1000", covered);
  std::printf("direct trials: interval covered the truth in %d of %d\n", covered, trials);
  // At least nominal, and not so conservative that it is useless.
  EXPECT_GE(covered, 945) << covered << " of " << trials;
  EXPECT_LE(covered, 995) << covered << " of " << trials;
  EXPECT_GT(width_sum_ok, trials * 9 / 10);
}

// The acceptance test: through files and the whole analysis, the leak site's reported
// 95% interval per 1000 requests contains the truth in at least 95 of 100 seeded trials.
TEST(GrowthFitTest, LeakRateIntervalCoversTruthIn95Of100SeededTrials) {
  const std::string path = testing::TempPath("coverage_worker.pb");
  int covered = 0, classified_leak = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    testing::WorkerScenario scenario;
    scenario.sample_rate_bytes = 256 * 1024;
    scenario.seed = seed;
    scenario.churn = false;  // not needed for the leak's interval; keeps 100 trials quick
    const testing::WorkerTruth truth = testing::WriteSyntheticWorker(path, scenario);
    FileReport report;
    std::string error;
    ASSERT_TRUE(AnalyzeFile(path, AnalysisOptions{}, &report, &error)) << error;
    for (const SiteReport& site : report.sites) {
      if (site.stack_id != truth.leak_stack) continue;
      ASSERT_TRUE(site.per_n_requests);
      const double expected = truth.leak_bytes_per_request * 1000;
      covered += site.per_n_requests->lo <= expected && expected <= site.per_n_requests->hi;
      classified_leak += site.classification == Classification::kLeak;
    }
  }
  RecordProperty("covered_of_100", covered);
  std::printf("file trials: interval covered the truth in %d of 100\n", covered);
  EXPECT_GE(covered, 95);
  EXPECT_EQ(classified_leak, 100);
}

// A real but tiny leak seen through about three samples (64-byte allocations at R = 512 KiB):
// the interval is wide and the stack is not called a leak.
TEST(GrowthFitTest, FewSamplesGiveAWideIntervalAndNoLeak) {
  const uint64_t R = 512 * 1024;
  int few = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    testing::SampledHeap heap(R, seed);
    std::vector<double> x, y;
    for (int point = 0; point < 100; ++point) {
      for (int a = 0; a < 240; ++a) heap.Allocate(1, 64);
      x.push_back(point * 240.0);
      y.push_back(static_cast<double>(heap.Stats(1).live_bytes()));
    }
    const proto::StackStats stats = heap.Stats(1);
    const double weight = stats.live_samples() > 0
                              ? static_cast<double>(stats.live_bytes()) / stats.live_samples()
                              : 0;
    const size_t start = 10;
    StackVerdict verdict =
        Classify(x.data() + start, y.data() + start, x.size() - start, R, weight);
    const GrowthFit& fit = verdict.whole;
    SCOPED_TRACE("seed " + std::to_string(seed) + ", samples " +
                 std::to_string(stats.live_samples()));
    // Wide: the interval includes zero or is wider than the estimate itself.
    EXPECT_TRUE(fit.growth_lo <= 0 || fit.growth_hi - fit.growth_lo > std::fabs(fit.growth));
    if (stats.live_samples() < kMinSamplesForGrowth) {
      ++few;
      EXPECT_NE(verdict.classification, Classification::kLeak);
    }
  }
  EXPECT_GE(few, 28);  // Poisson with mean 2.9: 10 or more samples is rare
}

// Churn seen through samples: sampled live bytes go up and down; never a leak.
TEST(GrowthFitTest, SampledChurnIsNotALeak) {
  const uint64_t R = 64 * 1024;
  int not_stable = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    testing::SampledHeap heap(R, seed);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<uint64_t> size(256, 64 * 1024);
    std::vector<size_t> live;
    std::vector<double> x, y;
    for (int point = 0; point < 100; ++point) {
      for (int a = 0; a < 200; ++a) {
        live.push_back(heap.Allocate(1, size(rng)));
        if (live.size() > 300) {
          std::uniform_int_distribution<size_t> pick(0, live.size() - 1);
          const size_t i = pick(rng);
          heap.Free(live[i]);
          live[i] = live.back();
          live.pop_back();
        }
      }
      x.push_back(point * 200.0);
      y.push_back(static_cast<double>(heap.Stats(1).live_bytes()));
    }
    StackVerdict verdict = Classify(x.data() + 10, y.data() + 10, x.size() - 10, R);
    not_stable += verdict.classification != Classification::kStable;
  }
  EXPECT_LE(not_stable, 1);
}

}  // namespace
}  // namespace clwleak::analysis
