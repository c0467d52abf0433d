// Allocation age as the preload records it: a program of known births (programs/aging_blocks.cc)
// runs under libclwleak.so in exact mode, with glibc after the preload (inline headers) and with
// another allocator after it (the allocation table), and the file must say when its live bytes were
// born: the start-up block and the buffer that realloc grows (its birth kept) in the first bucket,
// the steady leak spread over the run in proportion to each bucket's length, and every stack's
// bytes by birth adding up to its live bytes.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "program_runner.h"
#include "snapshot_reader.h"

namespace clwleak::testing {
namespace {

using analysis::ProfileState;
using analysis::ReadStatus;
using analysis::SnapshotReader;

// Live bytes by birth bucket of the one stack whose frames contain `function`, at the last snapshot.
std::vector<uint64_t> BytesByBirth(const ProfileState& state, const std::string& function) {
  for (const auto& [id, stats] : state.counters) {
    for (const proto::Frame* frame : state.FramesOf(id)) {
      if (frame->function() == function) {
        EXPECT_EQ(stats.live_bytes_by_birth_size() > 0, stats.live_bytes() > 0) << function;
        uint64_t sum = 0;
        for (uint64_t bytes : stats.live_bytes_by_birth()) sum += bytes;
        EXPECT_EQ(sum, stats.live_bytes()) << function << ": bytes by birth add up to live bytes";
        return {stats.live_bytes_by_birth().begin(), stats.live_bytes_by_birth().end()};
      }
    }
  }
  ADD_FAILURE() << "no stack with " << function;
  return {};
}

void CheckAges(const std::map<std::string, std::string>& extra_env) {
  const std::string directory = MakeTempDir("aging");
  ProgramOptions options;
  options.argv = {AGING_BLOCKS};
  options.env = extra_env;
  options.env["CLWLEAK_SAMPLE_RATE"] = "1";
  options.env["CLWLEAK_OUTPUT"] = directory + "/%p.pb";
  ProgramResult result = RunProgram(options);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> files = ListFiles(directory);
  ASSERT_EQ(files.size(), 1u);
  std::string error;
  std::unique_ptr<SnapshotReader> reader = SnapshotReader::Open(files[0], &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->header().birth_bucket_capacity(), 32u);

  // The buckets the file defined: bucket 0 at the start, then one per early snapshot (10, 30, 70,
  // 150, 310 ms ... after the start), in order.
  std::vector<uint64_t> starts;
  ReadStatus status;
  while ((status = reader->Next()) == ReadStatus::kSnapshot) {
    for (const proto::BirthBucket& bucket : reader->last_snapshot().new_birth_buckets()) {
      EXPECT_EQ(bucket.index(), starts.size());
      if (!starts.empty()) {
        EXPECT_GT(bucket.start_monotonic_ns(), starts.back());
      }
      starts.push_back(bucket.start_monotonic_ns());
    }
  }
  ASSERT_EQ(status, ReadStatus::kEnd) << reader->error();
  ASSERT_TRUE(reader->complete());
  ASSERT_GE(starts.size(), 5u) << "a 600 ms run has snapshots at 10, 30, 70, 150, 310 ms";
  EXPECT_EQ(starts[0], reader->header().start_monotonic_ns());
  const ProfileState& file = reader->state();

  // Both start-up allocations were born in the first bucket or, on a loaded machine where the
  // program's start took longer than the first snapshot's 10 ms, in the second; all of each block
  // in one bucket.
  const std::vector<uint64_t> startup = BytesByBirth(file, "startup_state");
  ASSERT_GE(startup.size(), 1u);
  ASSERT_LE(startup.size(), 2u);
  EXPECT_EQ(startup.back(), ValueOf(result.out, "startup_bytes"));

  // Grown 600 times by realloc, moved many times: still born at the start.
  const std::vector<uint64_t> grown = BytesByBirth(file, "grow_buffer");
  ASSERT_GE(grown.size(), 1u);
  ASSERT_LE(grown.size(), 2u) << "realloc keeps a block's birth";
  EXPECT_EQ(grown.back(), ValueOf(result.out, "grown_bytes"));

  // 1,000 bytes a millisecond: each closed bucket holds about its length in ms times 1,000 bytes.
  const std::vector<uint64_t> leaked = BytesByBirth(file, "steady_leak");
  ASSERT_GE(leaked.size(), 4u);
  uint64_t sum = 0;
  for (uint64_t bytes : leaked) sum += bytes;
  EXPECT_EQ(sum, ValueOf(result.out, "leaked_bytes"));
  for (size_t i = 1; i + 1 < leaked.size() && i + 1 < starts.size(); ++i) {
    const double length_ms = static_cast<double>(starts[i + 1] - starts[i]) / 1e6;
    // Sleeps overrun under load: a millisecond's sleep is never shorter, often longer.
    EXPECT_LE(static_cast<double>(leaked[i]), 1000.0 * (length_ms + 2)) << "bucket " << i;
    if (length_ms >= 20) {
      EXPECT_GT(leaked[i], 0u) << "bucket " << i;
    }
  }
}

TEST(AllocationAge, InlineHeadersRecordBirthsAndReallocKeepsThem) { CheckAges({}); }

TEST(AllocationAge, TheAllocationTableRecordsBirthsAndReallocKeepsThem) {
  CheckAges({{"LD_PRELOAD", std::string(CLWLEAK_PRELOAD_PATH) + ":" + NEXT_ALLOCATOR}});
}

}  // namespace
}  // namespace clwleak::testing
