// The stack cache (preload/stack_cache.h) must be invisible in the output: a program with many
// deep, recursive, multi-threaded stacks is run in exact mode with CLWLEAK_STACK_CACHE=1 and =0,
// both files are decoded with the analyzer's reader, and every stack (its frames by module and
// offset, with their names) must carry the same allocated, freed and live bytes and counts in
// both. The run with the cache must have served a good share of its stacks from it, or the
// comparison proves nothing.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "program_runner.h"
#include "snapshot_reader.h"

namespace clwleak::testing {
namespace {

using analysis::ReadWholeFile;
using analysis::WholeFile;

struct Counters {
  uint64_t allocated_bytes = 0, allocated_count = 0, freed_bytes = 0, freed_count = 0;
  uint64_t live_bytes = 0, live_count = 0;
  bool operator==(const Counters& other) const {
    return allocated_bytes == other.allocated_bytes && allocated_count == other.allocated_count &&
           freed_bytes == other.freed_bytes && freed_count == other.freed_count &&
           live_bytes == other.live_bytes && live_count == other.live_count;
  }
};

std::string Describe(const Counters& c) {
  std::ostringstream text;
  text << "allocated " << c.allocated_bytes << " B / " << c.allocated_count << ", freed "
       << c.freed_bytes << " B / " << c.freed_count << ", live " << c.live_bytes << " B / "
       << c.live_count;
  return text.str();
}

struct Profile {
  std::map<std::string, Counters> by_stack;  // "kind;module+offset function;..." innermost first
  uint64_t cached_stacks = 0;
  uint64_t allocations = 0;  // what the program says it made
};

Profile RunInExactMode(const std::string& cache_switch) {
  Profile profile;
  const std::string directory = MakeTempDir("stack_variety_cache_" + cache_switch);
  ProgramOptions options;
  options.argv = {STACK_VARIETY, "100", "4"};
  options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"},
                 {"CLWLEAK_SAMPLE_RATE", "1"},
                 {"CLWLEAK_STACK_CACHE", cache_switch}};
  options.timeout_seconds = 60;
  const ProgramResult result = RunProgram(options);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  profile.allocations = ValueOf(result.out, "allocations");
  const std::vector<std::string> files = ListFiles(directory);
  if (files.size() != 1) {
    ADD_FAILURE() << "expected one file in " << directory << ", found " << files.size();
    return profile;
  }
  const WholeFile file = ReadWholeFile(files[0]);
  EXPECT_TRUE(file.complete) << file.error;
  EXPECT_TRUE(file.last_snapshot.final());
  profile.cached_stacks = file.last_snapshot.cached_stacks();
  for (const auto& [stack_id, stats] : file.state.counters) {
    std::ostringstream key;
    const auto stack = file.state.stacks.find(stack_id);
    key << (stack != file.state.stacks.end() ? static_cast<int>(stack->second.kind()) : -1);
    for (const proto::Frame* frame : file.state.FramesOf(stack_id)) {
      const proto::Module* module = file.state.ModuleOf(*frame);
      std::string path = module != nullptr ? module->path() : "?";
      key << ';' << path.substr(path.rfind('/') + 1) << "+0x" << std::hex << frame->module_offset()
          << std::dec << ' ' << frame->function();
    }
    Counters& counters = profile.by_stack[key.str()];  // two ids, one stack: summed on both sides
    counters.allocated_bytes += stats.allocated_bytes();
    counters.allocated_count += stats.allocated_count();
    counters.freed_bytes += stats.freed_bytes();
    counters.freed_count += stats.freed_count();
    counters.live_bytes += stats.live_bytes();
    counters.live_count += stats.live_count();
  }
  return profile;
}

TEST(StackCacheOutput, TheCacheSwitchChangesNoRecordedStack) {
  const Profile with_cache = RunInExactMode("1");
  const Profile without_cache = RunInExactMode("0");
  ASSERT_GT(with_cache.allocations, 50000u);
  ASSERT_EQ(with_cache.allocations, without_cache.allocations);
  // The cache was used (hits are counted per thread in batches of 256, so a little behind).
  EXPECT_GT(with_cache.cached_stacks, with_cache.allocations / 4);
  EXPECT_EQ(without_cache.cached_stacks, 0u);
  EXPECT_GT(with_cache.by_stack.size(), 100u);

  int differences = 0;
  auto report = [&](const std::string& stack, const std::string& what) {
    if (++differences <= 5) ADD_FAILURE() << what << "\n  stack: " << stack;
  };
  for (const auto& [stack, counters] : with_cache.by_stack) {
    const auto other = without_cache.by_stack.find(stack);
    if (other == without_cache.by_stack.end()) {
      report(stack, "only with the cache: " + Describe(counters));
    } else if (!(other->second == counters)) {
      report(stack,
             "with the cache " + Describe(counters) + "; without " + Describe(other->second));
    }
  }
  for (const auto& [stack, counters] : without_cache.by_stack) {
    if (with_cache.by_stack.count(stack) == 0) {
      report(stack, "only without the cache: " + Describe(counters));
    }
  }
  EXPECT_EQ(differences, 0) << "stacks differing between CLWLEAK_STACK_CACHE=1 and =0";
}

}  // namespace
}  // namespace clwleak::testing
