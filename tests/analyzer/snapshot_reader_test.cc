// Unit tests of SnapshotReader (analyzer/lib/snapshot_reader.h): framing, carried-forward
// counters, a truncated tail at every byte offset, and rejection of garbage, unknown versions,
// oversized and corrupt records. Files are made with the test-only SyntheticWriter.
#include "snapshot_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "synthetic_writer.h"

namespace clwleak::analysis {
namespace {

using testing::FrameSpec;
using testing::MakeHeader;
using testing::SnapshotFacts;
using testing::SyntheticProfile;
using testing::SyntheticWriter;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "clwleak_reader_" + std::to_string(getpid()) + "_" + name;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const std::vector<FrameSpec> kLeakFrames = {
    {"malloc", "", 0, "/usr/lib/libclwleak.so"},
    {"client_send", "client.c", 42, "/opt/app/libclient.so"},
    {"main", "worker.cc", 7, "/opt/app/clw-worker"},
};
const std::vector<FrameSpec> kCacheFrames = {
    {"operator new(unsigned long)", "", 0, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"},
    {"Cache::Put", "cache.cc", 19, "/opt/app/clw-worker"},
};

// Writes header + `count` snapshots (the last one final when `final`), returning the file size
// after each record's flush: offsets[0] is the header, offsets[k] snapshot k-1.
std::vector<uint64_t> WriteSmallFile(const std::string& path, int count, bool final,
                                     bool end_frame) {
  SyntheticProfile profile(path, MakeHeader(1, 1 << 30, "cgroup memory.max"));
  std::vector<uint64_t> offsets;
  offsets.push_back(ReadBytes(path).size());
  uint32_t leak = profile.AddStack(kLeakFrames);
  uint32_t cache = profile.AddStack(kCacheFrames);
  for (int i = 0; i < count; ++i) {
    profile.SetLive(leak, 1000u * (i + 1), i + 1, i + 1);
    if (i < 2) profile.SetLive(cache, 500u * (i + 1), i + 1, i + 1);
    SnapshotFacts facts;
    facts.requests = 100u * (i + 1);
    facts.seconds = 5.0 * (i + 1);
    facts.rss_bytes = 10'000'000;
    offsets.push_back(profile.WriteSnapshot(facts, final && i == count - 1));
  }
  profile.Close(end_frame);
  return offsets;
}

TEST(SnapshotReaderTest, ReadsHeaderSnapshotsAndCarriesCountersForward) {
  const std::string path = TempPath("roundtrip.pb");
  WriteSmallFile(path, 5, /*final=*/true, /*end_frame=*/true);
  std::string error;
  auto reader = SnapshotReader::Open(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->header().pid(), 4242u);
  EXPECT_EQ(reader->header().memory_limit_bytes(), 1u << 30);
  EXPECT_EQ(reader->path(), path);

  int seen = 0;
  ReadStatus status;
  while ((status = reader->Next()) == ReadStatus::kSnapshot) {
    ++seen;
    EXPECT_EQ(reader->last_snapshot().sequence(), static_cast<uint64_t>(seen - 1));
    EXPECT_EQ(reader->last_snapshot().requests(), 100u * seen);
    // The cache stack stops changing after snapshot 2: not listed, but its value is kept.
    EXPECT_EQ(reader->state().counters.at(2).live_bytes(), seen >= 2 ? 1000u : 500u);
    EXPECT_EQ(reader->state().counters.at(1).live_bytes(), 1000u * seen);
    if (seen >= 3 && seen < 5) {
      EXPECT_EQ(reader->last_snapshot().stacks_size(), 1);
    }
  }
  EXPECT_EQ(status, ReadStatus::kEnd);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(reader->snapshots_read(), 5u);
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->Next(), ReadStatus::kEnd);  // stays at the end

  const ProfileState& state = reader->state();
  auto frames = state.FramesOf(1);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1]->function(), "client_send");
  EXPECT_EQ(frames[1]->line(), 42u);
  const proto::Module* module = state.ModuleOf(*frames[1]);
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->path(), "/opt/app/libclient.so");
  EXPECT_TRUE(state.FramesOf(99).empty());
}

// Allocation ages: birth buckets are defined once, in order, and each stack's live bytes by birth
// are carried forward with its other counters.
TEST(SnapshotReaderTest, FoldsBirthBucketsAndLiveBytesByBirth) {
  const std::string path = TempPath("ages.pb");
  proto::Header header = MakeHeader(1);
  header.set_birth_bucket_capacity(32);
  SyntheticProfile profile(path, header);
  const uint32_t leak = profile.AddStack(kLeakFrames);
  const uint32_t cache = profile.AddStack(kCacheFrames);
  profile.OpenBirthBucket(0, 0);
  for (int i = 0; i < 3; ++i) {
    proto::StackStats stats;
    stats.set_live_bytes(100u * (i + 1));
    for (int b = 0; b <= i; ++b) stats.add_live_bytes_by_birth(100);
    profile.SetCounters(leak, stats);
    if (i == 0) {
      proto::StackStats once;
      once.set_live_bytes(7);
      once.add_live_bytes_by_birth(7);
      profile.SetCounters(cache, once);
    }
    SnapshotFacts facts;
    facts.requests = 10u * (i + 1);
    facts.seconds = 0.01 * (i + 1);
    profile.OpenBirthBucket(facts.requests, facts.seconds);
    profile.WriteSnapshot(facts, i == 2);
  }
  profile.Close();
  const WholeFile whole = ReadWholeFile(path);
  ASSERT_TRUE(whole.opened) << whole.error;
  ASSERT_EQ(whole.state.birth_buckets.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(whole.state.birth_buckets[i].index(), i);
  EXPECT_EQ(whole.state.birth_buckets[2].start_requests(), 20u);
  EXPECT_EQ(whole.state.birth_buckets[2].start_monotonic_ns(),
            header.start_monotonic_ns() + 20'000'000u);
  EXPECT_EQ(whole.state.counters.at(leak).live_bytes_by_birth_size(), 3);
  ASSERT_EQ(whole.state.counters.at(cache).live_bytes_by_birth_size(), 1);
  EXPECT_EQ(whole.state.counters.at(cache).live_bytes_by_birth(0), 7u);
}

TEST(SnapshotReaderTest, WholeFileMatchesStreaming) {
  const std::string path = TempPath("whole.pb");
  WriteSmallFile(path, 4, true, true);
  WholeFile whole = ReadWholeFile(path);
  ASSERT_TRUE(whole.opened) << whole.error;
  EXPECT_EQ(whole.snapshots, 4u);
  EXPECT_EQ(whole.end, ReadStatus::kEnd);
  EXPECT_TRUE(whole.complete);
  EXPECT_TRUE(whole.last_snapshot.final());
  EXPECT_EQ(whole.state.counters.at(1).live_bytes(), 4000u);
  EXPECT_EQ(whole.state.stacks.size(), 2u);
}

TEST(SnapshotReaderTest, KilledWriterIsTruncatedNotComplete) {
  const std::string path = TempPath("killed.pb");
  WriteSmallFile(path, 3, /*final=*/false, /*end_frame=*/false);
  WholeFile whole = ReadWholeFile(path);
  ASSERT_TRUE(whole.opened) << whole.error;
  EXPECT_EQ(whole.snapshots, 3u);
  EXPECT_EQ(whole.end, ReadStatus::kTruncated);
  EXPECT_FALSE(whole.complete);
  EXPECT_NE(whole.error.find(path), std::string::npos) << whole.error;
}

TEST(SnapshotReaderTest, FinalSnapshotWithoutFrameEndIsNotComplete) {
  const std::string path = TempPath("final_unclosed.pb");
  WriteSmallFile(path, 3, /*final=*/true, /*end_frame=*/false);
  WholeFile whole = ReadWholeFile(path);
  EXPECT_EQ(whole.snapshots, 3u);
  EXPECT_FALSE(whole.complete);
}

TEST(SnapshotReaderTest, CleanEndWithoutFinalSnapshotIsNotComplete) {
  const std::string path = TempPath("no_final.pb");
  WriteSmallFile(path, 3, /*final=*/false, /*end_frame=*/true);
  WholeFile whole = ReadWholeFile(path);
  EXPECT_EQ(whole.end, ReadStatus::kEnd);
  EXPECT_FALSE(whole.complete);
}

// Every prefix of a file is what a writer killed at that byte leaves. The reader must return
// exactly the snapshots whose flushed blocks are whole, and never crash or report an error.
TEST(SnapshotReaderTest, TruncatedAtEveryByteReturnsEveryWholeSnapshot) {
  const std::string path = TempPath("full.pb");
  const std::vector<uint64_t> offsets = WriteSmallFile(path, 6, true, true);
  const std::string bytes = ReadBytes(path);
  const std::string cut = TempPath("cut.pb");
  for (size_t length = 0; length <= bytes.size(); ++length) {
    WriteBytes(cut, bytes.substr(0, length));
    WholeFile whole = ReadWholeFile(cut);
    if (length < offsets[0]) {
      EXPECT_FALSE(whole.opened) << "length " << length;
      EXPECT_NE(whole.error.find(cut), std::string::npos) << whole.error;
      continue;
    }
    ASSERT_TRUE(whole.opened) << "length " << length << ": " << whole.error;
    uint64_t expected = 0;
    for (size_t k = 1; k < offsets.size(); ++k) expected += offsets[k] <= length ? 1 : 0;
    EXPECT_EQ(whole.snapshots, expected) << "length " << length;
    if (length == bytes.size()) {
      EXPECT_EQ(whole.end, ReadStatus::kEnd);
      EXPECT_TRUE(whole.complete);
    } else {
      EXPECT_EQ(whole.end, ReadStatus::kTruncated) << "length " << length << ": " << whole.error;
      EXPECT_FALSE(whole.complete);
    }
    if (expected > 0) {
      EXPECT_EQ(whole.state.counters.at(1).live_bytes(), 1000u * expected);
    }
  }
}

TEST(SnapshotReaderTest, RejectsUnknownFormatVersion) {
  const std::string path = TempPath("v7.pb");
  proto::Header header = MakeHeader(1);
  header.set_format_version(7);
  SyntheticWriter writer(path);
  writer.WriteMessage(header);
  writer.Close();
  std::string error;
  EXPECT_EQ(SnapshotReader::Open(path, &error), nullptr);
  EXPECT_EQ(error, path + ": unknown format version 7 (this reader knows version 1)");
}

TEST(SnapshotReaderTest, RejectsGarbageWithFileAndOffset) {
  const std::string path = TempPath("garbage.pb");
  std::mt19937 rng(7);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  WriteBytes(path, bytes);
  std::string error;
  EXPECT_EQ(SnapshotReader::Open(path, &error), nullptr);
  EXPECT_NE(error.find(path + ": not a clwleak snapshot file (those are zstd-compressed, starting "
                                "28 b5 2f fd): this looks like binary data of an unknown kind"),
            std::string::npos)
      << error;
}

TEST(SnapshotReaderTest, RejectsEmptyAndMissingFiles) {
  const std::string empty = TempPath("empty.pb");
  WriteBytes(empty, "");
  std::string error;
  EXPECT_EQ(SnapshotReader::Open(empty, &error), nullptr);
  EXPECT_EQ(error, empty + ": empty file, not a clwleak snapshot file");
  EXPECT_EQ(SnapshotReader::Open(TempPath("does_not_exist.pb"), &error), nullptr);
  EXPECT_NE(error.find("cannot open: No such file or directory"), std::string::npos) << error;
}

TEST(SnapshotReaderTest, RejectsOversizedRecordWithoutAllocatingIt) {
  const std::string path = TempPath("oversized.pb");
  SyntheticWriter writer(path);
  writer.WriteMessage(MakeHeader(1));
  // varint32 of 0xF0000000 (about 4 GiB), then a few bytes: no reader may try to buffer it.
  writer.WriteUnframed(std::string("\x80\x80\x80\x80\x0f", 5) + "abc");
  writer.Close();
  auto reader = SnapshotReader::Open(path, nullptr);
  ASSERT_NE(reader, nullptr);
  const uint64_t header_bytes = MakeHeader(1).ByteSizeLong();
  const uint64_t header_size = header_bytes + (header_bytes < 128 ? 1 : 2);  // + varint prefix
  EXPECT_EQ(reader->Next(), ReadStatus::kError);
  EXPECT_NE(reader->error().find("record length 4026531840 at byte " + std::to_string(header_size)),
            std::string::npos)
      << reader->error();
  EXPECT_NE(reader->error().find("exceeds the limit"), std::string::npos);
  EXPECT_EQ(reader->Next(), ReadStatus::kError);
}

TEST(SnapshotReaderTest, RejectsRecordThatDoesNotParse) {
  const std::string path = TempPath("badrecord.pb");
  SyntheticWriter writer(path);
  writer.WriteMessage(MakeHeader(1));
  writer.WriteRecord(std::string("\xff\xff\xff\xff\xff\xff", 6));
  writer.Close();
  auto reader = SnapshotReader::Open(path, nullptr);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->Next(), ReadStatus::kError);
  EXPECT_NE(reader->error().find(path + ": the snapshot record at byte"), std::string::npos)
      << reader->error();
}

TEST(SnapshotReaderTest, GarbageAfterValidSnapshotsNamesTheCompressedOffset) {
  const std::string path = TempPath("tail_garbage.pb");
  WriteSmallFile(path, 2, false, true);
  std::string bytes = ReadBytes(path);
  const size_t good = bytes.size();
  WriteBytes(path, bytes + std::string(64, 'x'));
  WholeFile whole = ReadWholeFile(path);
  ASSERT_TRUE(whole.opened);
  EXPECT_EQ(whole.snapshots, 2u);
  EXPECT_EQ(whole.end, ReadStatus::kError);
  EXPECT_NE(whole.error.find("corrupt zstd data at compressed byte " + std::to_string(good)),
            std::string::npos)
      << whole.error;
}

TEST(SnapshotReaderTest, CorruptBlockInsideTheFrameIsAnError) {
  const std::string path = TempPath("flipped.pb");
  WriteSmallFile(path, 4, true, true);
  std::string bytes = ReadBytes(path);
  // Flip bytes in the middle of the compressed data: zstd must reject it (or the record then
  // fails to parse); either way an error, never a crash.
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 8; ++i) bytes[i] ^= 0x5a;
  WriteBytes(path, bytes);
  WholeFile whole = ReadWholeFile(path);
  if (whole.opened) {
    EXPECT_NE(whole.end, ReadStatus::kEnd);
    EXPECT_NE(whole.error.find(path), std::string::npos);
  }
}

TEST(SnapshotReaderTest, LargeRecordSpanningManyBlocks) {
  const std::string path = TempPath("large.pb");
  SyntheticProfile profile(path, MakeHeader(1));
  std::vector<uint32_t> ids;
  for (int i = 0; i < 20000; ++i) {
    ids.push_back(profile.AddStack({{"f" + std::to_string(i), "x.cc", 1u + i, "/bin/app"}}));
  }
  for (int s = 0; s < 3; ++s) {
    for (uint32_t id : ids) profile.SetLive(id, id * (s + 1), 1, 1);
    profile.WriteSnapshot({}, s == 2);
  }
  profile.Close();
  WholeFile whole = ReadWholeFile(path);
  ASSERT_TRUE(whole.opened) << whole.error;
  EXPECT_EQ(whole.snapshots, 3u);
  EXPECT_TRUE(whole.complete);
  EXPECT_EQ(whole.state.counters.at(20000).live_bytes(), 60000u);
}

}  // namespace
}  // namespace clwleak::analysis
