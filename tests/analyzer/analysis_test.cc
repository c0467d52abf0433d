// End-to-end tests of the analysis library on synthetic workers with known truth
// (synthetic_worker.h): classification of the four sites, the leak rate, attribution to function
// and module, time to OOM, the time axis, warm-up options and the aggregate over several files.
#include "analysis.h"

#include <gtest/gtest.h>

#include <cmath>

#include "synthetic_worker.h"
#include "synthetic_writer.h"
#include "test_paths.h"
#include "truncation_check.h"

namespace clwleak::analysis {
namespace {

using testing::TempPath;
using testing::WorkerScenario;
using testing::WorkerTruth;
using testing::WriteSyntheticWorker;

const SiteReport& SiteOf(const FileReport& report, uint32_t stack_id) {
  for (const SiteReport& site : report.sites) {
    if (site.stack_id == stack_id) return site;
  }
  ADD_FAILURE() << "no site for stack " << stack_id;
  static SiteReport none;
  return none;
}

FileReport Analyze(const std::string& path, const AnalysisOptions& options = {}) {
  FileReport report;
  std::string error;
  EXPECT_TRUE(AnalyzeFile(path, options, &report, &error)) << error;
  return report;
}

void ExpectFourSitesClassified(const FileReport& report, const WorkerTruth& truth) {
  EXPECT_EQ(SiteOf(report, truth.leak_stack).classification, Classification::kLeak);
  EXPECT_EQ(SiteOf(report, truth.lru_stack).classification, Classification::kBounded);
  EXPECT_EQ(SiteOf(report, truth.churn_stack).classification, Classification::kStable);
  EXPECT_EQ(SiteOf(report, truth.early_stack).classification, Classification::kStable);
}

TEST(AnalysisTest, ExactModeClassifiesFourSitesAndMeasuresTheLeakWithin2Percent) {
  const std::string path = TempPath("exact_worker.pb");
  WorkerScenario scenario;
  const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  ExpectFourSitesClassified(report, truth);

  ASSERT_TRUE(report.leak.detected);
  EXPECT_EQ(report.leak.module, "libclient.so");
  EXPECT_EQ(report.leak.sites, 1u);
  ASSERT_TRUE(report.leak.per_n_requests);
  const double truth_per_1000 = truth.leak_bytes_per_request * 1000;
  EXPECT_NEAR(report.leak.per_n_requests->value, truth_per_1000, 0.02 * truth_per_1000);
  EXPECT_LE(report.leak.per_n_requests->lo, truth_per_1000);
  EXPECT_GE(report.leak.per_n_requests->hi, truth_per_1000);
  // 40 requests per second: bytes per hour = per request * 40 * 3600.
  ASSERT_TRUE(report.leak.per_hour);
  EXPECT_NEAR(report.leak.per_hour->value, truth.leak_bytes_per_request * 40 * 3600,
              0.02 * truth.leak_bytes_per_request * 40 * 3600);
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.axis, "requests");
  EXPECT_EQ(report.snapshots, 100u);
  EXPECT_EQ(report.requests, truth.total_requests);
  ASSERT_TRUE(report.request_rate_per_s);
  EXPECT_NEAR(*report.request_rate_per_s, 40.0, 1e-9);
  EXPECT_EQ(report.sites.front().stack_id, truth.leak_stack);  // worst first
}

TEST(AnalysisTest, AttributesTheLeakToTheFirstFrameOutsideTheRuntime) {
  const std::string path = TempPath("attribution_worker.pb");
  const WorkerTruth truth = WriteSyntheticWorker(path, WorkerScenario{});
  const FileReport report = Analyze(path);
  const SiteReport& leak = SiteOf(report, truth.leak_stack);
  EXPECT_EQ(leak.module, "libclient.so");
  ASSERT_EQ(leak.site_frame, 1);
  EXPECT_EQ(leak.frames[1].function, "client_send");
  EXPECT_EQ(leak.frames[1].file, "client.c");
  EXPECT_EQ(leak.frames[1].line, 42u);
  EXPECT_EQ(leak.frames[0].module, "libclwleak.so");
  EXPECT_EQ(DescribeSite(leak), "client_send (client.c:42) in libclient.so");
  // libclwleak and libstdc++ frames are skipped for the cache too.
  const SiteReport& lru = SiteOf(report, truth.lru_stack);
  EXPECT_EQ(lru.module, "clw-worker");
  EXPECT_EQ(lru.frames[lru.site_frame].function, "Cache::Put(Key, Value)");
  ASSERT_EQ(report.modules.size(), 1u);
  EXPECT_EQ(report.modules[0].module, "libclient.so");
  ASSERT_TRUE(report.modules[0].per_n_requests);
  EXPECT_NEAR(report.modules[0].per_n_requests->value, report.leak.per_n_requests->value, 1e-6);
}

TEST(AnalysisTest, SampledModeClassifiesFourSites) {
  for (uint64_t seed : {11u, 12u, 13u}) {
    const std::string path = TempPath("sampled_worker.pb");
    WorkerScenario scenario;
    scenario.sample_rate_bytes = 64 * 1024;
    scenario.seed = seed;
    const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
    const FileReport report = Analyze(path);
    SCOPED_TRACE("seed " + std::to_string(seed));
    ExpectFourSitesClassified(report, truth);
    ASSERT_TRUE(report.leak.per_n_requests);
    const double truth_per_1000 = truth.leak_bytes_per_request * 1000;
    EXPECT_LE(report.leak.per_n_requests->lo, truth_per_1000);
    EXPECT_GE(report.leak.per_n_requests->hi, truth_per_1000);
  }
}

// The same worker with allocation ages: the survivors give the same four verdicts and rate.
TEST(AnalysisTest, WithAgesTheFourSitesKeepTheirClassesExactAndSampled) {
  for (uint64_t rate : {uint64_t{1}, uint64_t{64 * 1024}}) {
    for (uint64_t seed : {11u, 12u, 13u}) {
      const std::string path = TempPath("ages_worker.pb");
      WorkerScenario scenario;
      scenario.ages = true;
      scenario.sample_rate_bytes = rate;
      scenario.seed = seed;
      const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
      const FileReport report = Analyze(path);
      SCOPED_TRACE("rate " + std::to_string(rate) + " seed " + std::to_string(seed));
      EXPECT_TRUE(report.ages);
      ExpectFourSitesClassified(report, truth);
      ASSERT_TRUE(report.leak.per_n_requests);
      const double truth_per_1000 = truth.leak_bytes_per_request * 1000;
      EXPECT_LE(report.leak.per_n_requests->lo, truth_per_1000);
      EXPECT_GE(report.leak.per_n_requests->hi, truth_per_1000);
      EXPECT_FALSE(SiteOf(report, truth.leak_stack).onset);
      if (rate == 1) break;
    }
  }
}

TEST(AnalysisTest, TimeToOomMatchesTheArithmeticWithin2Percent) {
  const std::string path = TempPath("oom_worker.pb");
  WorkerScenario scenario;
  scenario.lru = scenario.churn = scenario.early = false;
  scenario.memory_limit_bytes = 2ull << 30;
  const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  ASSERT_TRUE(report.oom.projected) << report.oom.reason;
  const double growth_per_s = truth.leak_bytes_per_request * 40;  // 40 requests per second
  const double expected = (static_cast<double>(scenario.memory_limit_bytes) -
                           static_cast<double>(truth.in_use_last)) / growth_per_s;
  EXPECT_NEAR(report.oom.seconds, expected, 0.02 * expected);
  EXPECT_EQ(report.memory.in_use_bytes, static_cast<double>(truth.in_use_last));
  EXPECT_EQ(report.memory.in_use_source, "cgroup memory.current");
  EXPECT_EQ(report.memory.limit_source, "cgroup memory.max");
  EXPECT_LE(report.oom.seconds_lo, report.oom.seconds);
  EXPECT_GE(report.oom.seconds_hi, report.oom.seconds);

  AnalysisOptions options;
  options.memory_limit = 4ull << 30;
  const FileReport overridden = Analyze(path, options);
  const double expected_4g = ((4ull << 30) - static_cast<double>(truth.in_use_last)) / growth_per_s;
  EXPECT_NEAR(overridden.oom.seconds, expected_4g, 0.02 * expected_4g);
  EXPECT_EQ(overridden.memory.limit_source, "--memory-limit");
}

TEST(AnalysisTest, NoLeakMeansNoProjection) {
  const std::string path = TempPath("no_leak_worker.pb");
  WorkerScenario scenario;
  scenario.leak_scale = 0;
  const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  EXPECT_FALSE(report.leak.detected);
  EXPECT_FALSE(report.oom.projected);
  EXPECT_EQ(report.oom.reason, "nothing grows");
  EXPECT_EQ(SiteOf(report, truth.lru_stack).classification, Classification::kBounded);
}

TEST(AnalysisTest, UnknownLimitMeansNoProjection) {
  const std::string path = TempPath("no_limit_worker.pb");
  WorkerScenario scenario;
  scenario.memory_limit_bytes = 0;
  scenario.memory_limit_source = "";
  WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  EXPECT_TRUE(report.leak.detected);
  EXPECT_FALSE(report.oom.projected);
  EXPECT_NE(report.oom.reason.find("--memory-limit"), std::string::npos);
}

TEST(AnalysisTest, WithoutRequestCountsFitsAgainstTime) {
  const std::string path = TempPath("time_worker.pb");
  WorkerScenario scenario;
  scenario.count_requests = false;
  const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  EXPECT_EQ(report.axis, "seconds");
  ExpectFourSitesClassified(report, truth);
  EXPECT_FALSE(report.leak.per_n_requests);
  ASSERT_TRUE(report.leak.per_hour);
  const double per_hour = truth.leak_bytes_per_request * 40 * 3600;
  EXPECT_NEAR(report.leak.per_hour->value, per_hour, 0.02 * per_hour);

  AnalysisOptions options;
  options.request_rate = 40;
  const FileReport with_rate = Analyze(path, options);
  ASSERT_TRUE(with_rate.leak.per_n_requests);
  EXPECT_NEAR(with_rate.leak.per_n_requests->value, truth.leak_bytes_per_request * 1000,
              0.02 * truth.leak_bytes_per_request * 1000);

  options = {};
  options.warmup.kind = Warmup::Kind::kRequests;
  options.warmup.value = 5000;
  FileReport unused;
  std::string error;
  EXPECT_FALSE(AnalyzeFile(path, options, &unused, &error));
  EXPECT_NE(error.find(path + ": --warmup 5,000 counts requests"), std::string::npos) << error;
}

TEST(AnalysisTest, WarmupOptionsMoveTheWindow) {
  const std::string path = TempPath("warmup_worker.pb");
  const WorkerTruth truth = WriteSyntheticWorker(path, WorkerScenario{});
  // No warm-up: the early leak is growth that stopped, i.e. bounded.
  AnalysisOptions options;
  options.warmup.value = 0;
  EXPECT_EQ(SiteOf(Analyze(path, options), truth.early_stack).classification,
            Classification::kBounded);
  // Warm-up past the cache's plateau (40%): the cache is stable, the leak still a leak.
  options.warmup.kind = Warmup::Kind::kRequests;
  options.warmup.value = 9000;
  FileReport late = Analyze(path, options);
  EXPECT_EQ(SiteOf(late, truth.lru_stack).classification, Classification::kStable);
  EXPECT_EQ(SiteOf(late, truth.leak_stack).classification, Classification::kLeak);
  options.warmup.kind = Warmup::Kind::kSeconds;
  options.warmup.value = 250;  // half of the 500 s run
  late = Analyze(path, options);
  EXPECT_EQ(SiteOf(late, truth.lru_stack).classification, Classification::kStable);
  EXPECT_NEAR(late.window_requests, 10000, 1e-9);
}

// Writes a buffer that grows 1 MiB per 100 requests over 6 snapshots, then an exit snapshot whose
// heap is `exit_heap` bytes.
std::string GrowingThenExit(const std::string& name, uint64_t exit_heap) {
  const std::string path = TempPath(name);
  testing::SyntheticProfile profile(path, testing::MakeHeader(1, 1ull << 30, "cgroup memory.max"));
  const uint32_t stack = profile.AddStack({{"Buffer::Append", "buffer.cc", 9, "/opt/app/worker"}});
  for (int i = 1; i <= 7; ++i) {
    const bool exit = i == 7;
    const uint64_t live = exit ? exit_heap : static_cast<uint64_t>(i) << 20;
    profile.SetLive(stack, live, 1, 1);
    testing::SnapshotFacts facts;
    facts.requests = 100u * static_cast<uint64_t>(i);
    facts.seconds = 5.0 * i;
    facts.rss_bytes = 100 << 20;
    profile.WriteSnapshot(facts, exit);
  }
  profile.Close();
  return path;
}

// The exit snapshot is teardown only when the heap fell materially: a heap a few bytes lower is
// the running process (here a buffer that grew until the end), and is kept.
TEST(AnalysisTest, ExitSnapshotAFewBytesLowerIsKept) {
  const FileReport kept = Analyze(GrowingThenExit("exit_few_bytes.pb", (6ull << 20) - 24));
  EXPECT_DOUBLE_EQ(kept.duration_s, 35);
  EXPECT_EQ(kept.requests, 700u);
  for (const std::string& note : kept.notes) EXPECT_EQ(note.find("exit snapshot"), std::string::npos);
  const FileReport dropped = Analyze(GrowingThenExit("exit_teardown.pb", 1ull << 20));
  EXPECT_DOUBLE_EQ(dropped.duration_s, 30);
  bool noted = false;
  for (const std::string& note : dropped.notes) noted = noted || note.find("exit snapshot") == 4;
  EXPECT_TRUE(noted);
}

// Files written before the preload recorded ages are classified on their time series, and a
// short one whose late half cannot be judged is inconclusive, not bounded.
TEST(AnalysisTest, FileWithoutAgesAndFewSnapshotsIsInconclusiveNotBounded) {
  const std::string path = TempPath("few_snapshots_no_ages.pb");
  WorkerScenario scenario;
  scenario.sample_rate_bytes = 64 * 1024;
  scenario.snapshots = 6;
  scenario.lru = scenario.churn = scenario.early = false;
  const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  EXPECT_FALSE(report.ages);
  const SiteReport& leak = SiteOf(report, truth.leak_stack);
  EXPECT_EQ(leak.classification, Classification::kInconclusive);
  EXPECT_EQ(leak.inconclusive_reason, InconclusiveReason::kTooFewSnapshots);
  EXPECT_EQ(report.verdict, Classification::kInconclusive);
  ASSERT_TRUE(report.leak.bound_per_n_requests);
  EXPECT_GT(report.leak.bound_per_n_requests->hi, truth.leak_bytes_per_request * 1000);
}

TEST(AnalysisTest, TruncatedFileIsAnalysedAndMarkedIncomplete) {
  const std::string path = TempPath("killed_worker.pb");
  WorkerScenario scenario;
  scenario.final = false;
  const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
  const FileReport report = Analyze(path);
  EXPECT_FALSE(report.complete);
  EXPECT_EQ(report.end, "truncated");
  EXPECT_NE(report.end_message.find("zstd frame"), std::string::npos) << report.end_message;
  EXPECT_EQ(SiteOf(report, truth.leak_stack).classification, Classification::kLeak);
}

TEST(AnalysisTest, EveryTruncationIsAReportOrAClearError) {
  const std::string path = TempPath("small_worker.pb");
  WorkerScenario scenario;
  scenario.snapshots = 8;
  scenario.requests_per_snapshot = 10;
  scenario.churn = false;
  WriteSyntheticWorker(path, scenario);
  ExpectEveryTruncationReportsOrFails(path);
}

TEST(AnalysisTest, AggregatesAFleetByStackAndModule) {
  std::vector<FileReport> reports;
  double truth_growth = 0;
  for (int worker = 0; worker < 3; ++worker) {
    const std::string path = TempPath("fleet_" + std::to_string(worker) + ".pb");
    WorkerScenario scenario;
    scenario.seed = 100 + worker;
    scenario.leak_scale = worker == 2 ? 0.0 : 1.0;  // the third worker does not leak
    scenario.requests_per_snapshot = 100 * (worker + 1);
    const WorkerTruth truth = WriteSyntheticWorker(path, scenario);
    reports.push_back(Analyze(path));
    truth_growth += truth.leak_bytes_per_request * reports.back().window_requests;
  }
  double fleet_requests = 0;
  double fleet_per_hour = 0;
  for (const FileReport& report : reports) {
    fleet_requests += report.window_requests;
    if (report.leak.per_hour) fleet_per_hour += report.leak.per_hour->value;
  }
  const AggregateReport aggregate = Aggregate(reports, 1000);
  EXPECT_EQ(aggregate.files, 3u);
  ASSERT_TRUE(aggregate.leak.detected);
  EXPECT_EQ(aggregate.leak.module, "libclient.so");
  ASSERT_TRUE(aggregate.leak.per_n_requests);
  const double expected = truth_growth / fleet_requests * 1000;
  EXPECT_NEAR(aggregate.leak.per_n_requests->value, expected, 0.02 * expected);
  ASSERT_TRUE(aggregate.leak.per_hour);
  EXPECT_NEAR(aggregate.leak.per_hour->value, fleet_per_hour, 1e-6 * fleet_per_hour);
  ASSERT_FALSE(aggregate.sites.empty());
  const AggregateSite& top = aggregate.sites.front();
  EXPECT_EQ(top.classification, Classification::kLeak);
  EXPECT_EQ(top.site.module, "libclient.so");
  EXPECT_EQ(top.files_present, 3u);
  EXPECT_EQ(top.files_leaking, 2u);
  ASSERT_EQ(aggregate.modules.size(), 1u);
  EXPECT_EQ(aggregate.modules[0].module, "libclient.so");
  bool cache_bounded = false;
  for (const AggregateSite& entry : aggregate.sites) {
    if (entry.site.frames.size() > 2 && entry.site.frames[2].function == "Cache::Put(Key, Value)") {
      cache_bounded = entry.classification == Classification::kBounded && entry.files_present == 3;
    }
  }
  EXPECT_TRUE(cache_bounded);
}

}  // namespace
}  // namespace clwleak::analysis
