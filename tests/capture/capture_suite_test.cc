// The capture suite (programs/, one program per situation): each runs bare, then under
// libclwleak.so in exact mode and at the default rate. Under the preload it must print exactly what
// it printed bare, end the same way (exit status, or the signal that killed it) and warn nothing.
// In exact mode every `truth` line it printed (truth.h) must match the profile of the process it
// names, to the byte and to the block.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include "analysis.h"
#include "memory_kinds.h"
#include "program_runner.h"
#include "snapshot_reader.h"

namespace clwleak::testing {
namespace {

using analysis::ReadStatus;
using analysis::ReadWholeFile;
using analysis::WholeFile;

std::string Program(const std::string& name) { return std::string(CAPTURE_PROGRAMS) + "/" + name; }

struct Case {
  std::string label;  // the test's name
  std::vector<std::string> argv;
  int signal = 0;              // the signal that ends it, or 0
  bool final_snapshot = true;  // its files end with a final snapshot (complete)
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.label; }

struct Truth {
  std::string process;  // main, forked or spawned
  std::string function;
  uint64_t bytes = 0;
  uint64_t count = 0;
  std::string kind;  // empty: any
};

std::vector<Truth> TruthOf(const std::string& out) {
  std::vector<Truth> truths;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string word;
    Truth truth;
    if (fields >> word && word == "truth" &&
        fields >> truth.process >> truth.function >> truth.bytes >> truth.count) {
      fields >> truth.kind;
      truths.push_back(truth);
    }
  }
  return truths;
}

struct PreloadedRun {
  ProgramResult result;
  std::vector<std::string> files;
};

PreloadedRun RunUnderPreload(const Case& c, const std::string& rate) {
  const std::string directory = MakeTempDir(c.label);
  ProgramOptions options;
  options.argv = c.argv;
  options.timeout_seconds = 120;
  options.env = {{"CLWLEAK_SAMPLE_RATE", rate}, {"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"}};
  PreloadedRun run;
  run.result = RunProgram(options);
  run.files = ListFiles(directory);
  return run;
}

// The profiles of one run by process: "main" is the program this test started (its parent is
// this test), "forked" a child made by fork, "spawned" a child that exec'd a new image, "exec" the
// image that the main process replaced itself with (its header names the file before it).
std::map<std::string, WholeFile> ProfilesByProcess(const std::vector<std::string>& files) {
  std::map<std::string, WholeFile> profiles;
  for (const std::string& path : files) {
    WholeFile file = ReadWholeFile(path);
    EXPECT_TRUE(file.opened) << path << ": " << file.error;
    EXPECT_NE(file.end, ReadStatus::kError) << path << ": " << file.error;
    std::string process = "spawned";
    if (file.header.forked_child()) {
      process = "forked";
    } else if (!file.header.previous_file().empty()) {
      process = "exec";
    } else if (file.header.ppid() == static_cast<uint32_t>(getpid())) {
      process = "main";
    }
    EXPECT_EQ(profiles.count(process), 0u) << "two profiles of the " << process << " process";
    profiles[process] = std::move(file);
  }
  return profiles;
}

// Live bytes of the stacks through `function` whose allocation kind is `kind`.
uint64_t LiveBytesOfKind(const analysis::ProfileState& state, const std::string& function,
                         const std::string& kind) {
  uint64_t bytes = 0;
  for (const auto& [stack_id, stats] : state.counters) {
    auto stack = state.stacks.find(stack_id);
    if (stack == state.stacks.end() || analysis::KindName(stack->second.kind()) != kind) continue;
    for (const proto::Frame* frame : state.FramesOf(stack_id)) {
      if (frame->function() == function) {
        bytes += stats.live_bytes();
        break;
      }
    }
  }
  return bytes;
}

class CaptureSuite : public ::testing::TestWithParam<Case> {};

TEST_P(CaptureSuite, SameOutputAsBareAndExactToTheByte) {
  const Case& c = GetParam();
  ProgramOptions bare;
  bare.argv = c.argv;
  bare.preload = false;
  bare.timeout_seconds = 120;
  const ProgramResult expected = RunProgram(bare);
  ASSERT_FALSE(expected.timed_out);
  ASSERT_EQ(expected.signal, c.signal) << expected.err;
  const std::vector<Truth> truths = TruthOf(expected.out);

  for (const char* rate : {"1", "256K"}) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const PreloadedRun run = RunUnderPreload(c, rate);
    ASSERT_FALSE(run.result.timed_out) << run.result.out;
    EXPECT_EQ(run.result.out, expected.out);
    EXPECT_EQ(run.result.exited, expected.exited);
    EXPECT_EQ(run.result.exit_code, expected.exit_code);
    EXPECT_EQ(run.result.signal, expected.signal);
    EXPECT_EQ(run.result.err.find("[clwleak]"), std::string::npos) << run.result.err;
    ASSERT_FALSE(run.files.empty());
    std::map<std::string, WholeFile> profiles = ProfilesByProcess(run.files);
    for (const auto& [process, profile] : profiles) {
      // A SIGKILLed process ends with the last snapshot it completed; every other ends complete.
      EXPECT_EQ(profile.complete, c.final_snapshot) << process;
    }
    if (std::string(rate) != "1") continue;
    for (const Truth& truth : truths) {
      SCOPED_TRACE(truth.process + " " + truth.function);
      ASSERT_EQ(profiles.count(truth.process), 1u)
          << "no profile of the " << truth.process << " process";
      const SiteTotals site = TotalsFor(profiles[truth.process].state, truth.function);
      EXPECT_EQ(site.live_bytes, truth.bytes);
      EXPECT_EQ(site.live_count, truth.count);
      if (!truth.kind.empty()) {
        EXPECT_EQ(LiveBytesOfKind(profiles[truth.process].state, truth.function, truth.kind),
                  truth.bytes);
      }
    }
  }
}

std::vector<Case> Cases() {
  std::vector<Case> cases = {
      {"basic_allocations", {Program("basic_allocations")}},
      {"mappings", {Program("mappings")}},
      {"fork_children", {Program("fork_children")}},
      {"exit_nested", {Program("exit_nested")}},
      {"dlopen_plugin", {Program("dlopen_plugin"), CAPTURE_PLUGIN}},
      {"cross_thread", {Program("cross_thread")}},
      {"longjmp_out", {Program("longjmp_out")}},
      {"exceptions", {Program("exceptions")}},
      {"thread_local_ctor", {Program("thread_local_ctor")}},
      {"spawn_child", {Program("spawn_child")}},
      {"signal_alloc", {Program("signal_alloc")}},
      {"sigkill_self", {Program("sigkill_self")}, SIGKILL, false},
      {"many_threads", {Program("many_threads")}},
      {"linkage_lazy_direct", {Program("linkage_lazy"), "direct"}},
      {"linkage_lazy_pointers", {Program("linkage_lazy"), "pointers"}},
      {"linkage_now_direct", {Program("linkage_now"), "direct"}},
      {"linkage_now_pointers", {Program("linkage_now"), "pointers"}},
      {"deepbind_path_now", {Program("deepbind_host"), CAPTURE_DEEPBIND, "path", "now"}},
      {"deepbind_path_lazy", {Program("deepbind_host"), CAPTURE_DEEPBIND, "path", "lazy"}},
      {"deepbind_byname_lazy", {Program("deepbind_host"), CAPTURE_DEEPBIND, "byname", "lazy"}},
      {"dlmopen_namespace", {Program("dlmopen_namespace"), CAPTURE_DEEPBIND}},
      {"rtld_next_host", {Program("rtld_next_host")}},
      {"libc_names", {Program("libc_names")}},
      {"ctor_host", {Program("ctor_host"), CAPTURE_TLS}},
      {"immediate_exit_underscore", {Program("immediate_exit"), "_exit"}},
      {"immediate_exit_capital", {Program("immediate_exit"), "_Exit"}},
      {"immediate_exit_exit_group", {Program("immediate_exit"), "exit_group"}},
      {"immediate_exit_in_signal_handler", {Program("immediate_exit"), "handler"}, 0, false},
      {"exec_chain_execve", {Program("exec_chain"), "execve"}},
      {"exec_chain_execvp", {Program("exec_chain"), "execvp"}},
      {"exec_chain_execl", {Program("exec_chain"), "execl"}},
      {"exec_chain_after_failed_exec", {Program("exec_chain"), "failed"}},
      {"sigterm_handler_exit", {Program("sigterm_exit")}},
      {"anonymous_kinds", {Program("anonymous_kinds")}},
  };
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Programs, CaptureSuite, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.label;
                         });

// The profile of one exact-mode run of `argv` by the main process.
WholeFile ExactProfile(const std::vector<std::string>& argv) {
  const PreloadedRun run = RunUnderPreload({"exact", argv}, "1");
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  std::map<std::string, WholeFile> profiles = ProfilesByProcess(run.files);
  EXPECT_EQ(profiles.count("main"), 1u);
  return std::move(profiles["main"]);
}

// An image that replaced itself by exec: its file ends with a final snapshot whose trigger is
// "exec" and which names the program; the new image's header names that file.
TEST(CaptureSuiteEndings, ExecLeavesACompleteFileThatTheNewImageNames) {
  for (const char* way : {"execve", "execvp", "execl", "failed"}) {
    SCOPED_TRACE(way);
    const PreloadedRun run =
        RunUnderPreload({std::string("exec_") + way, {Program("exec_chain"), way}}, "1");
    ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
    ASSERT_EQ(run.files.size(), 2u);
    std::string before_path;
    WholeFile before, after;
    for (const std::string& path : run.files) {
      WholeFile file = ReadWholeFile(path);
      if (file.header.previous_file().empty()) {
        before_path = path;
        before = std::move(file);
      } else {
        after = std::move(file);
      }
    }
    ASSERT_FALSE(before_path.empty());
    EXPECT_TRUE(before.complete);
    EXPECT_EQ(before.last_snapshot.trigger(), "exec");
    EXPECT_TRUE(before.last_snapshot.final());
    const std::string program = before.last_snapshot.exec_program();
    EXPECT_EQ(program.substr(program.rfind('/') + 1), "exec_chain");
    EXPECT_EQ(after.header.previous_file(), before_path);
    EXPECT_EQ(after.header.pid(), before.header.pid());
    EXPECT_TRUE(after.complete);
    EXPECT_EQ(after.last_snapshot.trigger(), "exit");
  }
}

bool HasFrameIn(const analysis::ProfileState& state, uint32_t stack_id, const std::string& module) {
  for (const proto::Frame* frame : state.FramesOf(stack_id)) {
    const proto::Module* owner = state.ModuleOf(*frame);
    if (owner != nullptr && owner->path().find(module) != std::string::npos) return true;
  }
  return false;
}

// A library's constructor runs before libclwleak.so's: its block is recorded, at its own stack.
TEST(CaptureSuiteFork, SiblingsDrawSamplesOfTheirOwn) {
  // Four children of one parent allocate the same 4,000 x 1,000 B from the same stack. At a mean of
  // 64 KiB between samples each takes about 61 samples; siblings replaying the parent's random
  // sequence would take exactly the same ones.
  const std::string directory = MakeTempDir("fork_siblings");
  ProgramOptions options;
  options.argv = {Program("fork_siblings")};
  options.timeout_seconds = 120;
  options.env = {{"CLWLEAK_SAMPLE_RATE", "64K"},
                 {"CLWLEAK_CHILDREN", "follow"},
                 {"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"}};
  const ProgramResult result = RunProgram(options);
  ASSERT_FALSE(result.timed_out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::set<uint64_t> distinct_samples;
  int children = 0;
  for (const std::string& path : ListFiles(directory)) {
    const WholeFile file = ReadWholeFile(path);
    ASSERT_TRUE(file.opened) << path << ": " << file.error;
    if (!file.header.forked_child()) continue;
    ++children;
    uint64_t samples = 0;
    for (const auto& [id, stats] : file.state.counters) {
      for (const proto::Frame* frame : file.state.FramesOf(id)) {
        if (frame->function() == "sibling_alloc") {
          samples += stats.allocated_samples();
          break;
        }
      }
    }
    // 4,000,000 B at 64 KiB: 61 samples expected; far outside 25..110 is not sampling noise.
    EXPECT_GT(samples, 25u) << path;
    EXPECT_LT(samples, 110u) << path;
    distinct_samples.insert(samples);
  }
  EXPECT_EQ(children, 4);
  // Independent Poisson draws of mean 61 all agree with probability below 1e-4.
  EXPECT_GT(distinct_samples.size(), 1u) << "every sibling took the same samples";
}

TEST(CaptureSuiteStartUp, ConstructorOfALinkedLibraryIsRecordedAtItsStack) {
  const WholeFile profile = ExactProfile({Program("ctor_host"), CAPTURE_TLS});
  const SiteTotals site = TotalsFor(profile.state, "ctor_allocates");
  EXPECT_EQ(site.live_bytes, 777777u);
  EXPECT_EQ(site.live_count, 1u);
  EXPECT_EQ(site.modules, std::vector<std::string>{"libcapture_ctor.so"});
}

// libstdc++'s emergency exception pool (72,704 bytes with GCC 12's libstdc++ on x86-64) is
// allocated by libstdc++'s initializer, before the preload's: a C++ program's profile holds it.
TEST(CaptureSuiteStartUp, LibstdcxxEmergencyPoolOfACxxProgramIsVisible) {
  const WholeFile profile = ExactProfile({Program("exceptions")});
  int pools = 0;
  for (const auto& [stack_id, stats] : profile.state.counters) {
    if (stats.live_bytes() == 72704 && stats.live_count() == 1 &&
        HasFrameIn(profile.state, stack_id, "libstdc++.so")) {
      ++pools;
    }
  }
  EXPECT_EQ(pools, 1);
}

// In a C program libstdc++ (and protobuf, zstd, libdw) are there only for the preload: what their
// initializers allocate is not the host's memory.
TEST(CaptureSuiteStartUp, PreloadsOwnDependenciesAreNotInACProgramsProfile) {
  const WholeFile profile = ExactProfile({Program("basic_allocations")});
  for (const auto& [stack_id, stats] : profile.state.counters) {
    if (stats.allocated_count() == 0) continue;
    for (const char* module : {"libstdc++.so", "libprotobuf", "libzstd", "libdw"}) {
      EXPECT_FALSE(HasFrameIn(profile.state, stack_id, module))
          << "stack " << stack_id << " (" << stats.live_bytes() << " bytes) runs through "
          << module;
    }
  }
}

// Shared anonymous memory and reserved address space are listed by kind, never heap, never a leak:
// the leak figures are the private memory committed per request and the heap blocks, exactly.
TEST(CaptureSuiteKinds, OnlyHeapAndPrivateMemoryCountInTheLeakFigures) {
  const PreloadedRun run = RunUnderPreload({"kinds_analysis", {Program("anonymous_kinds")}}, "1");
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  std::map<std::string, WholeFile> profiles = ProfilesByProcess(run.files);
  ASSERT_EQ(profiles.count("main"), 1u);
  const WholeFile& profile = profiles["main"];
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t n = 24;
  EXPECT_EQ(profile.last_snapshot.shared_anonymous_live_bytes(), (16 * n + 12) * page);
  EXPECT_EQ(profile.last_snapshot.reserved_live_bytes(), (58 * n + 6) * page);
  uint64_t leakable = 0;
  for (const auto& [stack_id, stats] : profile.state.counters) {
    auto stack = profile.state.stacks.find(stack_id);
    if (stack != profile.state.stacks.end() && analysis::KindCanLeak(stack->second.kind())) {
      leakable += stats.live_bytes();
    }
  }
  EXPECT_EQ(profile.last_snapshot.heap_live_bytes(), leakable);

  std::string path;
  for (const std::string& file : run.files) path = file;
  analysis::AnalysisOptions options;
  analysis::FileReport report;
  std::string error;
  ASSERT_TRUE(analysis::AnalyzeFile(path, options, &report, &error)) << error;
  EXPECT_DOUBLE_EQ(report.memory.heap_live_bytes, static_cast<double>(leakable));
  std::map<std::string, double> by_kind;
  for (const analysis::KindMemory& kind : report.memory_by_kind)
    by_kind[kind.kind] = kind.live_bytes;
  EXPECT_EQ(by_kind["shared_anon"], static_cast<double>((16 * n + 12) * page));
  EXPECT_EQ(by_kind["reserved"], static_cast<double>((58 * n + 6) * page));
  EXPECT_EQ(by_kind.size(), 2u);
  for (const analysis::SiteReport& site : report.sites) {
    EXPECT_TRUE(site.kind == "heap" || site.kind == "mmap") << site.kind;
  }
  // Per request: 4 + 2 pages committed, 1 private page, 1,000 heap bytes. Counting the shared
  // segment (16 pages) or the reservations (58 pages) would more than triple it; the tolerance is
  // for the analyzer's estimate on a loaded machine (allocation ages place request counts by time).
  ASSERT_TRUE(report.leak.detected) << path << ": " << report.sites.size() << " sites, "
                                    << report.snapshots << " snapshots, axis " << report.axis;
  ASSERT_TRUE(report.leak.per_n_requests.has_value());
  const double per_request = 7.0 * static_cast<double>(page) + 1000;
  EXPECT_NEAR(report.leak.per_n_requests->value / 1000, per_request, 0.12 * per_request);
  for (const analysis::SiteReport& site : report.sites) {
    if (site.classification != analysis::Classification::kLeak) continue;
    EXPECT_TRUE(site.per_n_requests.has_value());
  }
}

}  // namespace
}  // namespace clwleak::testing
