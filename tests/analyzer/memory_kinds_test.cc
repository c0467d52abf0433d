// Memory by kind in clw-leak-analyze's reports: a file whose heap leaks 2,000 B per request while a
// shared anonymous segment and a reserved range grow by 1 MiB per request each. Only the heap is a
// site, heap live and the leak; the other two are listed by kind (text and JSON) to the byte.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "synthetic_writer.h"
#include "test_paths.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::FrameSpec;
using testing::MakeHeader;
using testing::RunAnalyzer;
using testing::SnapshotFacts;
using testing::SyntheticProfile;
using testing::TempPath;

constexpr uint64_t kRequestsPerSnapshot = 100;
constexpr uint64_t kSnapshots = 40;
constexpr uint64_t kHeapPerRequest = 2000;
constexpr uint64_t kMappedPerRequest = 1 << 20;

std::vector<FrameSpec> Stack(const std::string& function) {
  return {{"mmap", "", 0, "/lib/x86_64-linux-gnu/libc.so.6"},
          {function, "worker.c", 10, "/usr/bin/worker"},
          {"main", "worker.c", 90, "/usr/bin/worker"}};
}

std::string KindsFile() {
  const std::string path = TempPath("memory_kinds.pb");
  SyntheticProfile profile(path, MakeHeader(1, 64ull << 30, "CLWLEAK_MEMORY_LIMIT"));
  const uint32_t heap = profile.AddStack(Stack("handle_request"), proto::HEAP);
  const uint32_t shared = profile.AddStack(Stack("attach_segment"), proto::SHARED_ANON);
  const uint32_t reserved = profile.AddStack(Stack("reserve_arena"), proto::RESERVED);
  for (uint64_t i = 1; i <= kSnapshots; ++i) {
    const uint64_t requests = i * kRequestsPerSnapshot;
    profile.SetLive(heap, requests * kHeapPerRequest, requests, requests);
    profile.SetLive(shared, requests * kMappedPerRequest, requests, requests);
    profile.SetLive(reserved, requests * kMappedPerRequest, requests, requests);
    SnapshotFacts facts;
    facts.requests = requests;
    facts.seconds = static_cast<double>(i);
    facts.rss_bytes = 100 << 20;
    profile.WriteSnapshot(facts, i == kSnapshots);
  }
  profile.Close();
  return path;
}

TEST(MemoryKinds, SharedAndReservedAreListedByKindNeverAsHeapOrLeak) {
  const std::string file = KindsFile();
  const double total_requests = static_cast<double>(kSnapshots * kRequestsPerSnapshot);
  const std::string json_path = TempPath("memory_kinds.json");
  CommandRun run = RunAnalyzer({"--format", "json", "-o", json_path, file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json report = nlohmann::json::parse(testing::Slurp(json_path));
  const nlohmann::json& one = report.contains("files") ? report["files"][0] : report;
  EXPECT_EQ(one["memory"]["heap_live_bytes"].get<double>(), total_requests * kHeapPerRequest);
  ASSERT_EQ(one["sites"].size(), 1u);
  EXPECT_EQ(one["sites"][0]["kind"], "heap");
  EXPECT_EQ(one["sites"][0]["classification"], "leak");
  EXPECT_NEAR(one["leak"]["bytes_per_n_requests"].get<double>(), kHeapPerRequest * 1000.0,
              kHeapPerRequest);
  ASSERT_EQ(one["memory_by_kind"].size(), 2u);
  EXPECT_EQ(one["memory_by_kind"][0]["kind"], "shared_anon");
  EXPECT_EQ(one["memory_by_kind"][1]["kind"], "reserved");
  for (const nlohmann::json& kind : one["memory_by_kind"]) {
    EXPECT_EQ(kind["live_bytes"].get<double>(), total_requests * kMappedPerRequest);
    EXPECT_EQ(kind["live_count"].get<double>(), total_requests);
    ASSERT_EQ(kind["sites"].size(), 1u);
    EXPECT_EQ(kind["sites"][0]["classification"], "stable");
    EXPECT_EQ(kind["sites_omitted"], 0);
  }
  EXPECT_EQ(one["memory_by_kind"][0]["sites"][0]["frames"][1]["function"], "attach_segment");
  EXPECT_EQ(one["memory_by_kind"][1]["sites"][0]["frames"][1]["function"], "reserve_arena");

  run = RunAnalyzer({file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Mapped memory that cannot leak (not heap, not in the leak figures):\n"
                         "  shared anonymous memory: 3.91 GiB in 4,000 mapping(s)\n"
                         "    3.91 GiB at attach_segment (worker.c:10) in worker\n"
                         "  reserved address space (not committed): 3.91 GiB in 4,000 mapping(s)\n"
                         "    3.91 GiB at reserve_arena (worker.c:10) in worker\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("heap live 7.63 MiB"), std::string::npos) << run.out;
  // The gate sees the heap's 1.91 MiB per 1000 requests, not the mapped 2 GiB.
  run = RunAnalyzer({"--fail-on-leak", "3MiB", file});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  run = RunAnalyzer({"--fail-on-leak", "1MiB", file});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
}

}  // namespace
}  // namespace clwleak
