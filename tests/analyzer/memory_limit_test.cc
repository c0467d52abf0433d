// The limit a projection uses and the kernel's limit over the run (analyzer/lib/memory_limit.h),
// through AnalyzeFile on synthetic files: the kernel's limit as of the last snapshot, its changes,
// settings that win and how they compare, physical memory without a cgroup limit, shared use, and
// files from preloads that did not record the kernel's limit.
#include "memory_limit.h"

#include <gtest/gtest.h>

#include <functional>

#include "analysis.h"
#include "synthetic_writer.h"
#include "test_paths.h"

namespace clwleak::analysis {
namespace {

using testing::FrameSpec;
using testing::MakeHeader;
using testing::SnapshotFacts;
using testing::SyntheticProfile;
using testing::TempPath;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kGiB = 1 << 30;
constexpr int kSnapshots = 20;
constexpr uint64_t kLeakPerSecond = 4 * kMiB;

// A worker leaking kLeakPerSecond, one snapshot a second at 100 requests a second, in use
// 100 MiB + what leaked. `facts_at(i, facts)` adds the memory facts of snapshot i.
std::string WriteLeakingWorker(const std::string& name, proto::Header header,
                               const std::function<void(int, SnapshotFacts*)>& facts_at) {
  const std::string path = TempPath(name);
  SyntheticProfile profile(path, header);
  const uint32_t leak = profile.AddStack({{"client_send", "client.c", 42, "/usr/lib/libclient.so"},
                                          {"main", "main.cc", 7, "/usr/bin/clw-worker"}});
  for (int i = 0; i < kSnapshots; ++i) {
    const uint64_t live = kLeakPerSecond * static_cast<uint64_t>(i + 1);
    profile.SetLive(leak, live, static_cast<uint64_t>(i + 1) * 100,
                    static_cast<uint64_t>(i + 1) * 100);
    SnapshotFacts facts;
    facts.seconds = i + 1;
    facts.requests = static_cast<uint64_t>(i + 1) * 100;
    facts.rss_bytes = 100 * kMiB + live;
    facts_at(i, &facts);
    profile.WriteSnapshot(facts);
  }
  profile.Close(false);
  return path;
}

// A header from a preload that records the kernel's limit (physical_memory_bytes set).
proto::Header RecordingHeader(uint64_t limit, const std::string& source, bool setting) {
  proto::Header header = MakeHeader(1, limit, source);
  header.set_memory_limit_explicit(setting);
  header.set_physical_memory_bytes(16 * kGiB);
  return header;
}

// In a 1 GiB cgroup that holds this process alone.
void InLimitedGroup(int, SnapshotFacts* facts) {
  facts->memory_limit_bytes = kGiB;
  facts->memory_limit_source = "cgroup v2 memory.max of /system.slice/worker.service";
  facts->cgroup_memory_current = facts->rss_bytes + 8 * kMiB;
  facts->memory_in_use_source =
      "cgroup v2 memory.current - inactive_file of /system.slice/worker.service";
  facts->cgroup_process_count = 1;
}

FileReport Analyze(const std::string& path, const AnalysisOptions& options = {}) {
  FileReport report;
  std::string error;
  EXPECT_TRUE(AnalyzeFile(path, options, &report, &error)) << error;
  return report;
}

TEST(MemoryLimit, TheKernelsCgroupLimitIsUsedWithTheGroupsUse) {
  const std::string path = WriteLeakingWorker(
      "cgroup_limit.pb",
      RecordingHeader(kGiB, "cgroup v2 memory.max of /system.slice/worker.service", false),
      InLimitedGroup);
  const FileReport report = Analyze(path);
  EXPECT_EQ(report.memory.limit_bytes, static_cast<double>(kGiB));
  EXPECT_EQ(report.memory.limit_source, "cgroup v2 memory.max of /system.slice/worker.service");
  EXPECT_EQ(report.memory.limit_check, LimitCheck::kEnforced);
  EXPECT_EQ(report.memory.enforced_limit_bytes, static_cast<double>(kGiB));
  ASSERT_EQ(report.memory.enforced_limit_changes.size(), 1u);
  const double in_use = static_cast<double>(108 * kMiB + kSnapshots * kLeakPerSecond);
  EXPECT_EQ(report.memory.in_use_bytes, in_use);
  EXPECT_EQ(report.memory.in_use_source,
            "cgroup v2 memory.current - inactive_file of /system.slice/worker.service");
  EXPECT_EQ(report.memory.in_use_processes, 1u);
  ASSERT_TRUE(report.oom.projected) << report.oom.reason;
  const double expected = (static_cast<double>(kGiB) - in_use) / kLeakPerSecond;
  EXPECT_NEAR(report.oom.seconds, expected, 0.02 * expected);
}

TEST(MemoryLimit, TheLimitAsOfTheLastSnapshotWinsAndItsChangesAreListed) {
  // `systemctl set-property worker.service MemoryMax=512M` at 10 s.
  const std::string path = WriteLeakingWorker(
      "changed_limit.pb",
      RecordingHeader(kGiB, "cgroup v2 memory.max of /system.slice/worker.service", false),
      [](int i, SnapshotFacts* facts) {
        InLimitedGroup(i, facts);
        if (i >= 9) facts->memory_limit_bytes = 512 * kMiB;
      });
  const FileReport report = Analyze(path);
  EXPECT_EQ(report.memory.limit_bytes, static_cast<double>(512 * kMiB));
  const auto& changes = report.memory.enforced_limit_changes;
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].limit_bytes, static_cast<double>(kGiB));
  EXPECT_DOUBLE_EQ(changes[0].seconds, 1.0);
  EXPECT_EQ(changes[1].limit_bytes, static_cast<double>(512 * kMiB));
  EXPECT_DOUBLE_EQ(changes[1].seconds, 10.0);
  EXPECT_FALSE(report.memory.enforced_limit_changes_truncated);
  ASSERT_TRUE(report.oom.projected);
  const double expected =
      (512.0 * kMiB - (108.0 * kMiB + kSnapshots * kLeakPerSecond)) / kLeakPerSecond;
  EXPECT_NEAR(report.oom.seconds, expected, 0.02 * expected);
}

TEST(MemoryLimit, ALimitThatKeepsChangingIsListedUpToABound) {
  const std::string path = WriteLeakingWorker(
      "flapping_limit.pb", RecordingHeader(kGiB, "cgroup", false), [](int i, SnapshotFacts* facts) {
        InLimitedGroup(i, facts);
        facts->memory_limit_bytes = kGiB + static_cast<uint64_t>(i) * kMiB;
      });
  // 20 changes fit; the bound is checked on the history itself.
  EXPECT_EQ(Analyze(path).memory.enforced_limit_changes.size(), static_cast<size_t>(kSnapshots));
  proto::Header header = RecordingHeader(kGiB, "cgroup", false);
  EnforcedLimitHistory history(header);
  for (uint64_t i = 0; i < 3 * EnforcedLimitHistory::kMaxChanges; ++i) {
    proto::Snapshot snapshot;
    snapshot.set_monotonic_ns(header.start_monotonic_ns() + i * 1'000'000'000ull);
    snapshot.set_memory_limit_bytes(kGiB + i);
    snapshot.set_memory_limit_source("cgroup v2 memory.max of /x");
    history.Observe(snapshot);
  }
  EXPECT_EQ(history.changes().size(), EnforcedLimitHistory::kMaxChanges);
  EXPECT_TRUE(history.truncated());
  EXPECT_EQ(history.bytes(), static_cast<double>(kGiB + 3 * EnforcedLimitHistory::kMaxChanges - 1));
}

TEST(MemoryLimit, ASettingWinsAndIsComparedWithTheKernelsLimit) {
  const std::string above = WriteLeakingWorker(
      "setting_above.pb", RecordingHeader(2 * kGiB, "CLW_MEMORY_LIMIT", true), InLimitedGroup);
  FileReport report = Analyze(above);
  EXPECT_EQ(report.memory.limit_bytes, static_cast<double>(2 * kGiB));
  EXPECT_EQ(report.memory.limit_source, "CLW_MEMORY_LIMIT");
  EXPECT_EQ(report.memory.limit_check, LimitCheck::kSettingAbove);
  EXPECT_EQ(report.memory.enforced_limit_bytes, static_cast<double>(kGiB));
  EXPECT_EQ(report.memory.enforced_limit_source,
            "cgroup v2 memory.max of /system.slice/worker.service");

  AnalysisOptions options;
  options.memory_limit = 256 * kMiB;
  report = Analyze(above, options);
  EXPECT_EQ(report.memory.limit_source, "--memory-limit");
  EXPECT_EQ(report.memory.limit_check, LimitCheck::kSettingBelow);

  options.memory_limit = kGiB;
  EXPECT_EQ(Analyze(above, options).memory.limit_check, LimitCheck::kSettingMatches);
}

TEST(MemoryLimit, WithoutACgroupLimitTheKernelsLimitIsPhysicalMemoryAndInUseIsRss) {
  const std::string path =
      WriteLeakingWorker("physical.pb", RecordingHeader(16 * kGiB, "physical memory", false),
                         [](int, SnapshotFacts*) {});
  const FileReport report = Analyze(path);
  EXPECT_EQ(report.memory.limit_bytes, static_cast<double>(16 * kGiB));
  EXPECT_EQ(report.memory.limit_source, "physical memory");
  EXPECT_EQ(report.memory.limit_check, LimitCheck::kEnforced);
  EXPECT_EQ(report.memory.in_use_source, "rss");
  EXPECT_EQ(report.memory.in_use_processes, 0u);
}

TEST(MemoryLimit, SharedGroupUseCountsItsProcesses) {
  const std::string path = WriteLeakingWorker("shared.pb", RecordingHeader(kGiB, "cgroup", false),
                                              [](int i, SnapshotFacts* facts) {
                                                InLimitedGroup(i, facts);
                                                facts->cgroup_process_count = 3;
                                              });
  EXPECT_EQ(Analyze(path).memory.in_use_processes, 3u);
}

TEST(MemoryLimit, FilesThatDoNotRecordTheKernelsLimitKeepTheHeaders) {
  // An older preload: no physical_memory_bytes, no snapshot limit, memory.current of its group.
  std::string path = WriteLeakingWorker(
      "old_cgroup.pb", MakeHeader(1, kGiB, "cgroup memory.max"),
      [](int, SnapshotFacts* facts) { facts->cgroup_memory_current = facts->rss_bytes; });
  FileReport report = Analyze(path);
  EXPECT_EQ(report.memory.limit_source, "cgroup memory.max");
  EXPECT_EQ(report.memory.limit_check, LimitCheck::kNotRecorded);
  EXPECT_TRUE(report.memory.enforced_limit_changes.empty());
  EXPECT_EQ(report.memory.in_use_source, "cgroup memory.current");

  // Its setting is known by the source's name.
  path = WriteLeakingWorker("old_setting.pb", MakeHeader(1, 2 * kGiB, "CLW_MEMORY_LIMIT"),
                            [](int, SnapshotFacts*) {});
  report = Analyze(path);
  EXPECT_EQ(report.memory.limit_bytes, static_cast<double>(2 * kGiB));
  EXPECT_EQ(report.memory.limit_source, "CLW_MEMORY_LIMIT");
  EXPECT_EQ(report.memory.limit_check, LimitCheck::kNotRecorded);
}

}  // namespace
}  // namespace clwleak::analysis
