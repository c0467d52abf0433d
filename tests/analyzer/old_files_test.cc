// Files written by earlier preloads still decode to the same content: every seed file of the fuzz
// corpus (tests/fuzz/data, real libclwleak.so output) is read with ReadWholeFile and reduced to a
// digest of everything it defines (header, modules, frames, stacks, last counters, last snapshot).
// The expected digests were taken with the reader of the time the files were written, so a change
// to proto/clwleak.proto that alters how old bytes decode fails here. A file that reader could not
// read (a text field that was not UTF-8) reads now.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "snapshot_reader.h"

namespace clwleak::analysis {
namespace {

// FNV-1a, 64 bits: a stable digest of the canonical text below.
class Digest {
 public:
  Digest& Add(const std::string& field, const std::string& value) {
    Mix(field);
    Mix(std::to_string(value.size()) + ":");
    Mix(value);
    return *this;
  }
  Digest& Add(const std::string& field, uint64_t value) {
    return Add(field, std::to_string(value));
  }
  std::string Hex() const {
    char text[32];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  void Mix(const std::string& bytes) {
    for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 0x100000001b3ull;
  }
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

template <typename Map>
std::vector<uint32_t> SortedIds(const Map& map) {
  std::vector<uint32_t> ids;
  for (const auto& [id, value] : map) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// "snapshots=N modules=N frames=N stacks=N digest=HEX" of everything the file holds.
std::string Describe(const WholeFile& file) {
  Digest digest;
  const proto::Header& h = file.header;
  digest.Add("version", h.format_version()).Add("clwleak_version", h.clwleak_version());
  digest.Add("pid", h.pid()).Add("ppid", h.ppid()).Add("exe", h.exe()).Add("host", h.host());
  for (const std::string& argument : h.cmdline()) digest.Add("arg", argument);
  digest.Add("start", h.start_time_unix_ns()).Add("start_mono", h.start_monotonic_ns());
  digest.Add("rate", h.sample_rate_bytes()).Add("limit", h.memory_limit_bytes());
  digest.Add("limit_source", h.memory_limit_source()).Add("page", h.page_size());
  digest.Add("unwinder", h.unwinder()).Add("depth", h.max_depth()).Add("mmap", h.track_mmap());
  digest.Add("table", h.allocation_table_capacity()).Add("stack_table", h.stack_table_capacity());
  digest.Add("interval", h.snapshot_interval_ns()).Add("forked", h.forked_child());

  const ProfileState& state = file.state;
  for (uint32_t id : SortedIds(state.modules)) {
    const proto::Module& m = state.modules.at(id);
    digest.Add("module", id).Add("path", m.path()).Add("build_id", m.build_id());
    digest.Add("load", m.load_address()).Add("size", m.size());
  }
  for (uint32_t id : SortedIds(state.frames)) {
    const proto::Frame& f = state.frames.at(id);
    digest.Add("frame", id).Add("address", f.address()).Add("module_id", f.module_id());
    digest.Add("function", f.function()).Add("file", f.file()).Add("line", f.line());
    digest.Add("offset", f.module_offset());
  }
  for (uint32_t id : SortedIds(state.stacks)) {
    const proto::Stack& s = state.stacks.at(id);
    digest.Add("stack", id).Add("kind", s.kind());
    for (uint32_t frame : s.frame_ids()) digest.Add("frame_id", frame);
  }
  for (uint32_t id : SortedIds(state.counters)) {
    const proto::StackStats& c = state.counters.at(id);
    digest.Add("counters", id).Add("live", c.live_bytes()).Add("live_count", c.live_count());
    digest.Add("allocated", c.allocated_bytes()).Add("allocated_count", c.allocated_count());
    digest.Add("freed", c.freed_bytes()).Add("freed_count", c.freed_count());
    digest.Add("live_samples", c.live_samples()).Add("samples", c.allocated_samples());
  }
  const proto::Snapshot& last = file.last_snapshot;
  digest.Add("sequence", last.sequence()).Add("wall", last.wall_time_unix_ns());
  digest.Add("mono", last.monotonic_ns()).Add("requests", last.requests());
  digest.Add("rss", last.rss_bytes()).Add("cgroup", last.cgroup_memory_current());
  digest.Add("heap_live", last.heap_live_bytes()).Add("final", last.final());
  digest.Add("trigger", last.trigger()).Add("cached", last.cached_stacks());
  digest.Add("drops", last.drops().SerializeAsString());
  digest.Add("end", static_cast<uint64_t>(file.end)).Add("complete", file.complete);

  return "snapshots=" + std::to_string(file.snapshots) +
         " modules=" + std::to_string(state.modules.size()) +
         " frames=" + std::to_string(state.frames.size()) +
         " stacks=" + std::to_string(state.stacks.size()) + " digest=" + digest.Hex();
}

TEST(OldFiles, SeedFilesDecodeAsTheyDidWhenTheyWereWritten) {
  // Taken with the reader of the format's first release.
  const std::map<std::string, std::string> expected = {
      {"ls-exact.pb", "snapshots=4 modules=2 frames=81 stacks=38 digest=5b83140dc91452d1"},
      {"perl-4k.pb", "snapshots=71 modules=2 frames=305 stacks=141 digest=16a0759912d45743"},
      {"py-requests-256k.pb", "snapshots=8 modules=2 frames=77 stacks=8 digest=0240902d75997905"},
      {"py-sigkilled-64k.pb",
       "snapshots=13 modules=2 frames=129 stacks=18 digest=66b9ee08af99b391"},
      {"sqlite-exact.pb", "snapshots=1 modules=3 frames=320 stacks=244 digest=ad792a8fb261273b"},
      {"timeout-256k.pb", "snapshots=24 modules=0 frames=0 stacks=0 digest=89a2807d84e4d40f"},
  };
  for (const auto& [name, description] : expected) {
    const WholeFile file = ReadWholeFile(std::string(FUZZ_DATA_DIR) + "/" + name);
    ASSERT_TRUE(file.opened) << name << ": " << file.error;
    EXPECT_EQ(Describe(file), description) << name;
  }
}

TEST(OldFiles, AFileWithAnArgumentThatIsNotUtf8Reads) {
  // `/bin/echo $'caf\xe9'` in exact mode, written when the text fields were `string`: the writer
  // logged about the argument, wrote its bytes all the same, and the reader of the time rejected
  // the header, so the whole file was lost.
  const WholeFile file = ReadWholeFile(std::string(FUZZ_DATA_DIR) + "/echo-nonutf8-arg.pb");
  ASSERT_TRUE(file.opened) << file.error;
  EXPECT_TRUE(file.complete);
  ASSERT_EQ(file.header.cmdline_size(), 2);
  EXPECT_EQ(file.header.cmdline(0), "/bin/echo");
  EXPECT_EQ(file.header.cmdline(1), "caf\xE9");
  EXPECT_FALSE(file.state.stacks.empty());
}

}  // namespace
}  // namespace clwleak::analysis
