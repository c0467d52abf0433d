// clw-leak-exporter's parts (analyzer/exporter): a file followed while it is written gives the
// same answers as the whole file analysed at once, whatever the byte boundaries its growth stops
// at; the watcher counts truncated, replaced, removed, garbage and header-less files and goes on
// with the others; files age out after the retention; the page carries the labels.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "analysis.h"
#include "file_follower.h"
#include "fleet_watcher.h"
#include "leak_metrics.h"
#include "metrics_page.h"
#include "synthetic_worker.h"
#include "test_paths.h"

namespace clwleak::exporter {
namespace {

using testing::TempPath;
using testing::WorkerScenario;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void Append(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

uint64_t SizeOf(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

std::string MakeDirectory(const std::string& name) {
  const std::string directory = TempPath(name);
  std::string command = "rm -rf '" + directory + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(mkdir(directory.c_str(), 0700), 0);
  return directory;
}

void ExpectSameRate(const std::optional<analysis::Rate>& a, const std::optional<analysis::Rate>& b,
                    const char* what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (!a) return;
  EXPECT_DOUBLE_EQ(a->value, b->value) << what;
  EXPECT_DOUBLE_EQ(a->lo, b->lo) << what;
  EXPECT_DOUBLE_EQ(a->hi, b->hi) << what;
}

// Copies `source` into a new file in pieces of `chunk` bytes (cutting records and zstd blocks
// anywhere), polling a follower after each; the answers must equal the whole file's.
void FollowInChunks(const WorkerScenario& scenario, size_t chunk) {
  const std::string source = TempPath("whole_" + std::to_string(chunk) + ".pb");
  testing::WriteSyntheticWorker(source, scenario);
  const std::string bytes = ReadBytes(source);
  const std::string growing = TempPath("growing_" + std::to_string(chunk) + ".pb");
  std::remove(growing.c_str());

  FollowerSettings settings;
  settings.analysis.series_points = 64;  // fewer points than snapshots: the grid is compacted
  settings.analysis_interval_s = 0;
  settings.header_grace_s = 1e9;  // byte by byte, the header takes many polls
  FileFollower follower(growing, 0, 0, &settings);
  uint64_t snapshots = 0;
  double now = 0;
  for (size_t offset = 0; offset < bytes.size(); offset += chunk) {
    Append(growing, bytes.substr(offset, chunk));
    ASSERT_EQ(follower.Poll(now += 0.001, SizeOf(growing), false), ReadProblem::kNone) << offset;
    snapshots += follower.new_snapshots();
    // A poll that finds nothing new changes nothing.
    ASSERT_EQ(follower.Poll(now += 0.001, SizeOf(growing), false), ReadProblem::kNone) << offset;
    EXPECT_EQ(follower.new_snapshots(), 0u);
  }
  EXPECT_EQ(snapshots, static_cast<uint64_t>(scenario.snapshots));
  ASSERT_TRUE(follower.complete());
  ASSERT_NE(follower.figures(), nullptr);

  analysis::AnalysisOptions options;
  options.series_points = 64;
  analysis::FileReport whole;
  std::string error;
  ASSERT_TRUE(analysis::AnalyzeFile(source, options, &whole, &error)) << error;
  const cli::ProcessFigures expected = cli::FiguresOf(whole);
  const cli::ProcessFigures& got = *follower.figures();
  EXPECT_EQ(got.verdict, expected.verdict);
  EXPECT_EQ(got.verdict, analysis::Classification::kLeak);
  ExpectSameRate(got.leak_per_request, expected.leak_per_request, "per request");
  ExpectSameRate(got.leak_per_second, expected.leak_per_second, "per second");
  ExpectSameRate(got.time_to_oom_s, expected.time_to_oom_s, "time to OOM");
  EXPECT_EQ(got.top_module, "libclient.so");
  EXPECT_EQ(got.snapshots, expected.snapshots);
  EXPECT_EQ(got.requests, expected.requests);
  EXPECT_DOUBLE_EQ(got.in_use_bytes, expected.in_use_bytes);
  EXPECT_EQ(got.live_bytes_by_module, expected.live_bytes_by_module);
  EXPECT_TRUE(got.complete);
}

TEST(FileFollower, FollowingInPiecesGivesTheWholeFilesAnswersExact) {
  WorkerScenario scenario;
  for (size_t chunk : {1, 7, 100, 4096, 1 << 20}) {
    SCOPED_TRACE(chunk);
    scenario.snapshots = chunk == 1 ? 20 : 100;  // byte by byte is slow: a shorter file
    FollowInChunks(scenario, chunk);
  }
}

TEST(FileFollower, FollowingInPiecesGivesTheWholeFilesAnswersSampled) {
  WorkerScenario scenario;
  scenario.sample_rate_bytes = 256 * 1024;
  scenario.ages = true;
  for (size_t chunk : {13, 999, 65536, 100000}) {
    SCOPED_TRACE(chunk);
    FollowInChunks(scenario, chunk);
  }
}

TEST(FileFollower, AnalysisIsRateLimitedButAlwaysDoneAtTheEnd) {
  const std::string source = TempPath("rate_limited.pb");
  WorkerScenario scenario;
  testing::WriteSyntheticWorker(source, scenario);
  const std::string bytes = ReadBytes(source);
  const std::string growing = TempPath("rate_limited_growing.pb");
  std::remove(growing.c_str());
  FollowerSettings settings;
  settings.analysis_interval_s = 1000;
  FileFollower follower(growing, 0, 0, &settings);
  Append(growing, bytes.substr(0, bytes.size() / 2));
  follower.Poll(1, SizeOf(growing), false);
  ASSERT_NE(follower.figures(), nullptr);  // the first analysis is not delayed
  const uint64_t first = follower.figures()->snapshots;
  Append(growing, bytes.substr(bytes.size() / 2, bytes.size() / 4));
  follower.Poll(2, SizeOf(growing), false);
  EXPECT_EQ(follower.figures()->snapshots, first);  // within the interval: not re-analysed
  Append(growing, bytes.substr(bytes.size() / 2 + bytes.size() / 4));
  follower.Poll(3, SizeOf(growing), false);
  EXPECT_EQ(follower.figures()->snapshots, 100u);  // the final snapshot: analysed at once
}

TEST(FileFollower, AnIdleFileKeepsItsAnswersAndIsReadAnewWhenItGrows) {
  const std::string source = TempPath("idle_whole.pb");
  WorkerScenario scenario;
  testing::WriteSyntheticWorker(source, scenario);
  const std::string bytes = ReadBytes(source);
  const std::string growing = TempPath("idle_growing.pb");
  std::remove(growing.c_str());
  FollowerSettings settings;
  settings.analysis_interval_s = 0;
  FileFollower follower(growing, 0, 0, &settings);
  Append(growing, bytes.substr(0, bytes.size() / 2));
  follower.Poll(0, SizeOf(growing), false);
  ASSERT_NE(follower.figures(), nullptr);
  const uint64_t half = follower.figures()->snapshots;
  const uint64_t read = follower.bytes_read();
  // The synthetic file's snapshot period is 5 s: released after 60 s without a snapshot.
  follower.Poll(59, SizeOf(growing), false);
  follower.Poll(61, SizeOf(growing), false);
  EXPECT_TRUE(follower.has_header());
  EXPECT_EQ(follower.bytes_read(), read);
  EXPECT_EQ(follower.figures()->snapshots, half);  // the answers are kept
  EXPECT_EQ(follower.pid(), 4242u);
  Append(growing, bytes.substr(bytes.size() / 2));
  follower.Poll(62, SizeOf(growing), false);
  ASSERT_TRUE(follower.complete());
  analysis::FileReport whole;
  std::string error;
  analysis::AnalysisOptions options;
  options.series_points = settings.analysis.series_points;
  ASSERT_TRUE(analysis::AnalyzeFile(source, options, &whole, &error)) << error;
  ExpectSameRate(follower.figures()->leak_per_request, cli::FiguresOf(whole).leak_per_request,
                 "per request");
  EXPECT_EQ(follower.figures()->snapshots, 100u);
  EXPECT_TRUE(follower.figures()->complete);
}

struct Fleet {
  explicit Fleet(const std::string& directory, double retention_s = 600) {
    options.watch = {directory};
    options.retention_s = retention_s;
    options.header_grace_s = 5;
    options.analysis_interval_s = 0;
    watcher = std::make_unique<FleetWatcher>(options);
  }
  ExporterOptions options;
  std::unique_ptr<FleetWatcher> watcher;
  uint64_t Errors(const char* reason) {
    FleetView view = watcher->View();
    auto found = view.read_errors.find(reason);
    return found == view.read_errors.end() ? 0 : found->second;
  }
  const PublishedProcess* Process(const std::string& file) {
    view = watcher->View();
    for (const PublishedProcess& process : view.processes) {
      if (process.file == file) return &process;
    }
    return nullptr;
  }
  FleetView view;
};

TEST(FleetWatcher, FaultsAreCountedAndEveryOtherFileIsStillServed) {
  const std::string directory = MakeDirectory("fleet_faults");
  WorkerScenario scenario;
  testing::WriteSyntheticWorker(directory + "/good.pb", scenario);
  scenario.final = false;
  const std::string whole = TempPath("fleet_faults_source.pb");
  testing::WriteSyntheticWorker(whole, scenario);
  const std::string bytes = ReadBytes(whole);
  Append(directory + "/truncated.pb", bytes);
  Append(directory + "/replaced.pb", bytes);
  Append(directory + "/removed.pb", bytes);
  Append(directory + "/garbage_midway.pb", bytes.substr(0, bytes.size() / 2));
  for (int i = 0; i < 50; ++i) Append(directory + "/empty" + std::to_string(i) + ".pb", "");
  Append(directory + "/not_clwleak.txt", "hello, this is not a snapshot file\n");

  Fleet fleet(directory);
  fleet.watcher->Poll(100);
  ASSERT_NE(fleet.Process("good.pb"), nullptr);
  EXPECT_EQ(fleet.view.files_followed, 5u);  // the good and the four faulty-to-be files

  // The faults.
  Append(directory + "/garbage_midway.pb", std::string(5000, '\x5a'));
  ASSERT_EQ(truncate((directory + "/truncated.pb").c_str(), 1000), 0);
  const std::string replacement = directory + "/replacement.tmp";
  Append(replacement, bytes);
  ASSERT_EQ(rename(replacement.c_str(), (directory + "/replaced.pb").c_str()), 0);
  ASSERT_EQ(unlink((directory + "/removed.pb").c_str()), 0);
  fleet.watcher->Poll(101);
  EXPECT_EQ(fleet.Errors("corrupt"), 1u);
  EXPECT_EQ(fleet.Errors("truncated"), 1u);
  EXPECT_EQ(fleet.Errors("replaced"), 1u);
  EXPECT_EQ(fleet.Errors("removed"), 1u);
  EXPECT_EQ(fleet.Errors("no_header"), 0u);  // within the grace period
  const PublishedProcess* garbage = fleet.Process("garbage_midway.pb");
  ASSERT_NE(garbage, nullptr);
  EXPECT_FALSE(garbage->up);  // its last answers are kept, marked down
  EXPECT_NE(garbage->figures, nullptr);
  EXPECT_EQ(fleet.Process("removed.pb"), nullptr);
  const PublishedProcess* replaced = fleet.Process("replaced.pb");
  ASSERT_NE(replaced, nullptr);  // the new file under the old name is followed
  EXPECT_TRUE(replaced->up);
  const PublishedProcess* good = fleet.Process("good.pb");
  ASSERT_NE(good, nullptr);
  EXPECT_TRUE(good->up);
  ASSERT_NE(good->figures, nullptr);
  EXPECT_EQ(good->figures->verdict, analysis::Classification::kLeak);
  EXPECT_NEAR(good->figures->leak_per_request->value, 6200, 1);

  // After the grace period the empty files and the text file count once each, never again.
  fleet.watcher->Poll(106);
  fleet.watcher->Poll(107);
  EXPECT_EQ(fleet.Errors("no_header"), 51u);
  // The truncated file is read again from its start: 1000 bytes hold its header, so it is a
  // new process that is followed.
  EXPECT_NE(fleet.Process("truncated.pb"), nullptr);
  EXPECT_NE(fleet.Process("good.pb"), nullptr);
}

TEST(FleetWatcher, FilesAgeOutAfterTheRetentionAndComeBackOnlyWhenTheyGrow) {
  const std::string directory = MakeDirectory("fleet_retention");
  WorkerScenario scenario;
  scenario.final = false;
  const std::string whole = TempPath("fleet_retention_source.pb");
  testing::WriteSyntheticWorker(whole, scenario);
  const std::string bytes = ReadBytes(whole);
  Append(directory + "/old.pb", bytes.substr(0, bytes.size() / 2));
  Fleet fleet(directory, /*retention_s=*/30);
  fleet.watcher->Poll(0);
  ASSERT_NE(fleet.Process("old.pb"), nullptr);
  fleet.watcher->Poll(20);
  ASSERT_NE(fleet.Process("old.pb"), nullptr);
  Append(directory + "/new.pb", bytes);  // a restarted worker: a new file
  fleet.watcher->Poll(31);
  EXPECT_EQ(fleet.Process("old.pb"), nullptr);  // no snapshot for 31 s: aged out
  EXPECT_NE(fleet.Process("new.pb"), nullptr);
  fleet.watcher->Poll(40);
  EXPECT_EQ(fleet.Process("old.pb"), nullptr);  // unchanged: stays out
  Append(directory + "/old.pb", bytes.substr(bytes.size() / 2));
  fleet.watcher->Poll(41);
  EXPECT_NE(fleet.Process("old.pb"), nullptr);  // grew: a running process again, read afresh
  EXPECT_EQ(fleet.view.files_followed, 2u);
  EXPECT_EQ(fleet.Errors("corrupt"), 0u);
}

TEST(FleetWatcher, TooManyFilesAreCountedOnceEach) {
  const std::string directory = MakeDirectory("fleet_limit");
  WorkerScenario scenario;
  scenario.snapshots = 10;
  for (int i = 0; i < 5; ++i) {
    testing::WriteSyntheticWorker(directory + "/w" + std::to_string(i) + ".pb", scenario);
  }
  Fleet fleet(directory);
  fleet.options.max_files = 3;
  fleet.watcher = std::make_unique<FleetWatcher>(fleet.options);
  fleet.watcher->Poll(0);
  fleet.watcher->Poll(1);
  EXPECT_EQ(fleet.watcher->View().files_followed, 3u);
  EXPECT_EQ(fleet.Errors("too_many_files"), 2u);
}

TEST(MetricsPage, LabelsOnEverySeriesAndCountersInBothTextFormats) {
  FleetView view;
  PublishedProcess process;
  process.file = "clwleak.clw-worker.7.pb";
  process.labels = cli::ProcessLabels(process.file,
                                      {{"pod", "web-\"0\""}, {"file", "shadow"}, {"bad-name", "x"}},
                                      {{"pid", "7"}, {"exe", "clw-worker"}});
  auto figures = std::make_shared<cli::ProcessFigures>();
  figures->verdict = analysis::Classification::kLeak;
  figures->leak_per_second = analysis::Rate{100, 90, 110};
  figures->time_to_oom_s = analysis::Rate{3600, 3000, 4000};
  figures->top_module = "libclient.so";
  process.figures = figures;
  process.last_snapshot_wall_s = 1000;
  view.processes.push_back(process);
  view.files_followed = 1;
  view.read_errors["corrupt"] = 2;
  const std::string page = RenderMetricsPage(view, 1012.5, true);
  const std::string labels =
      "{file=\"clwleak.clw-worker.7.pb\",pod=\"web-\\\"0\\\"\",label_file=\"shadow\","
      "bad_name=\"x\",pid=\"7\",exe=\"clw-worker\"";
  for (const char* series :
       {"clwleak_up", "clwleak_last_snapshot_age_seconds", "clwleak_leak_bytes_per_second",
        "clwleak_time_to_oom_seconds", "clwleak_time_to_oom_seconds_ci95_low", "clwleak_verdict",
        "clwleak_leak_top_module_info", "clwleak_memory_in_use_bytes"}) {
    EXPECT_NE(page.find(std::string("\n") + series + labels), std::string::npos) << series;
  }
  EXPECT_NE(page.find("clwleak_last_snapshot_age_seconds" + labels + "} 12.5\n"),
            std::string::npos);
  EXPECT_NE(page.find("clwleak_leak_bytes_per_second" + labels + "} 100\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE clwleak_exporter_read_errors counter\n"), std::string::npos);
  EXPECT_NE(page.find("clwleak_exporter_read_errors_total{reason=\"corrupt\"} 2\n"),
            std::string::npos);
  EXPECT_NE(page.find("clwleak_exporter_files_followed 1\n"), std::string::npos);
  EXPECT_EQ(page.substr(page.size() - 6), "# EOF\n");
  EXPECT_EQ(page.find("per_hour"), std::string::npos);

  const std::string text = RenderMetricsPage(view, 1012.5, false);
  EXPECT_NE(text.find("# TYPE clwleak_exporter_read_errors_total counter\n"), std::string::npos);
  EXPECT_EQ(text.find("# EOF"), std::string::npos);
}

}  // namespace
}  // namespace clwleak::exporter
