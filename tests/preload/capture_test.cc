// What libclwleak.so captures, checked end to end: test programs run under the preload and the
// files they leave are read back with the analyzer's SnapshotReader. Each program prints its own
// truth (bytes and counts it leaked), and the profile must match it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cmath>
#include <map>

#include "program_runner.h"
#include "snapshot_reader.h"

namespace clwleak::testing {
namespace {

using analysis::ReadStatus;
using analysis::ReadWholeFile;
using analysis::WholeFile;

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Runs `argv` under the preload with the output in a fresh directory; returns the one file written.
struct ProfiledRun {
  ProgramResult result;
  std::string directory;
  std::vector<std::string> files;
};

ProfiledRun RunProfiled(const std::vector<std::string>& argv,
                        std::map<std::string, std::string> env = {}, double timeout = 60) {
  ProfiledRun run;
  run.directory = MakeTempDir(Basename(argv[0]));
  env.emplace("CLWLEAK_OUTPUT", run.directory + "/%e.%p.pb");
  ProgramOptions options;
  options.argv = argv;
  options.env = env;
  options.timeout_seconds = timeout;
  run.result = RunProgram(options);
  run.files = ListFiles(run.directory);
  return run;
}

TEST(Capture, ExactModeMatchesTheLeakToTheByte) {
  // 5000 leaked blocks of 1000 bytes, 5000 more allocated and freed in between.
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "5000", "1000"}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_FALSE(run.result.timed_out);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.opened) << file.error;
  EXPECT_TRUE(file.complete);
  EXPECT_TRUE(file.last_snapshot.final());
  EXPECT_EQ(file.header.sample_rate_bytes(), 1u);

  SiteTotals leak = TotalsFor(file.state, "leaky_retain_buffer");
  EXPECT_EQ(leak.live_bytes, ValueOf(run.result.out, "leaked_bytes"));
  EXPECT_EQ(leak.live_count, ValueOf(run.result.out, "leaked_count"));
  EXPECT_EQ(leak.allocated_count, 5000u);
  EXPECT_EQ(leak.modules, std::vector<std::string>{"libleaky.so"});

  // The churn is allocated and freed in full: nothing of it is live.
  SiteTotals churn = TotalsFor(file.state, "leaky_churn");
  EXPECT_EQ(churn.allocated_count, 5000u);
  EXPECT_EQ(churn.allocated_bytes, 5000u * 1000u);
  EXPECT_EQ(churn.freed_count, 5000u);
  EXPECT_EQ(churn.live_bytes, 0u);
}

TEST(Capture, DefaultRateEstimateIsWithinTenPercent) {
  // Statistics: at the default rate R = 256 KiB, 1000-byte blocks are sampled with p = 1000/R
  // (to 0.2%) and each sample stands for ~R bytes, so the estimate of L leaked bytes is R times a
  // Poisson count with mean L/R. Leaking L = 512 MiB gives ~2048 samples: a relative standard
  // deviation of 1/sqrt(2048) = 2.2%, so 10% is 4.5 standard deviations (failure odds ~1e-5).
  constexpr uint64_t kCount = 512 * 1024, kSize = 1024;
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, std::to_string(kCount), std::to_string(kSize)});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.opened) << file.error;
  EXPECT_EQ(file.header.sample_rate_bytes(), 256u * 1024u);

  const double truth = static_cast<double>(kCount * kSize);
  SiteTotals leak = TotalsFor(file.state, "leaky_retain_buffer");
  EXPECT_NEAR(static_cast<double>(leak.live_bytes), truth, 0.10 * truth);
  EXPECT_NEAR(static_cast<double>(leak.live_count), static_cast<double>(kCount), 0.10 * kCount);
  EXPECT_EQ(leak.modules, std::vector<std::string>{"libleaky.so"});
  // The churn allocated as much as the leak, and none of it stays.
  SiteTotals churn = TotalsFor(file.state, "leaky_churn");
  EXPECT_NEAR(static_cast<double>(churn.allocated_bytes), truth, 0.10 * truth);
  EXPECT_EQ(churn.live_bytes, 0u);
}

// interpose_exercise prints, at each sample rate, exactly what it prints without the preload.
void ExpectInterposedFunctionsUnchanged(
    const std::map<std::string, std::string>& extra_env = {}) {
  ProgramOptions bare;
  bare.argv = {INTERPOSE_EXERCISE};
  bare.preload = false;
  ProgramResult expected = RunProgram(bare);
  ASSERT_EQ(expected.exit_code, 0);
  for (const char* rate : {"1", "4096", "256K"}) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    std::map<std::string, std::string> env = extra_env;
    env["CLWLEAK_SAMPLE_RATE"] = rate;
    ProfiledRun run = RunProfiled({INTERPOSE_EXERCISE}, env);
    EXPECT_EQ(run.result.exit_code, 0);
    EXPECT_EQ(run.result.out, expected.out);
    EXPECT_EQ(run.result.err, "");
    ASSERT_EQ(run.files.size(), 1u);
    EXPECT_TRUE(ReadWholeFile(run.files[0]).complete);
  }
}

TEST(Capture, InterposedFunctionsBehaveAsWithoutThePreload) { ExpectInterposedFunctionsUnchanged(); }

TEST(Capture, PartialUnmapsTrimTrackedMappings) {
  // interpose_exercise maps 16 pages, unmaps 4 in the middle and 2 at the head, moves the last 8
  // with mremap (to 32 pages) and unmaps everything: in exact mode nothing mapped stays live.
  ProfiledRun run = RunProfiled({INTERPOSE_EXERCISE}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete);
  uint64_t mapped = 0, live = 0;
  for (const auto& [id, stack] : file.state.stacks) {
    if (stack.kind() != proto::MMAP) continue;
    const proto::StackStats& stats = file.state.counters.at(id);
    mapped += stats.allocated_bytes();
    live += stats.live_bytes();
  }
  const uint64_t page = file.header.page_size();
  EXPECT_GE(mapped, (16 + 32 + 1) * page);  // the three anonymous mappings the program makes
  EXPECT_EQ(live, 0u);
}

TEST(Capture, CallocDuringDlsymIsServedBeforeTheAllocatorIsKnown) {
  ProfiledRun run = RunProfiled({INTERPOSE_EXERCISE},
                                {{"LD_PRELOAD", std::string(CLWLEAK_PRELOAD_PATH) + ":" + DLSYM_SHIM},
                                 {"CLWLEAK_SAMPLE_RATE", "1"}});
  EXPECT_EQ(run.result.exit_code, 0);
  EXPECT_NE(run.result.err.find("[shim] calloc during dlsym: zeroed=1"), std::string::npos)
      << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  EXPECT_TRUE(ReadWholeFile(run.files[0]).complete);
}

TEST(Capture, EightThreadsLoseAndDoubleCountNothing) {
  ProfiledRun run = RunProfiled({THREADS_EXACT, "8", "4"}, {{"CLWLEAK_SAMPLE_RATE", "1"},
                                                            {"CLWLEAK_INTERVAL", "500ms"}});
  ASSERT_FALSE(run.result.timed_out);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete) << file.error;
  // Interval snapshots were written while the threads ran (at least one besides the final one:
  // on a loaded CI machine the writer may get little CPU, so no more is asserted).
  EXPECT_GE(file.snapshots, 2u);
  EXPECT_EQ(file.last_snapshot.drops().allocation_table_full(), 0u);

  SiteTotals site = TotalsFor(file.state, "keep_block");
  EXPECT_GT(ValueOf(run.result.out, "allocations"), 100000u);
  EXPECT_EQ(site.allocated_count, ValueOf(run.result.out, "allocations"));
  EXPECT_EQ(site.freed_count, ValueOf(run.result.out, "frees"));
  EXPECT_EQ(site.live_count, ValueOf(run.result.out, "live_count"));
  EXPECT_EQ(site.live_bytes, ValueOf(run.result.out, "live_bytes"));
}

TEST(Capture, PthreadKeysThatWouldAllocateAreLeftAloneAndTotalsStayExact) {
  // The host took the first 40 keys before the preload started (from its .preinit_array, which
  // runs before any allocation), so pthread_setspecific of the preload's keys would allocate,
  // which a sample taken in a signal handler that interrupted malloc must never do. The preload
  // then does without them: no per-thread stack cache, counter shards shared. Nothing is lost:
  // the totals stay exact.
  ProfiledRun run =
      RunProfiled({THREADS_EXACT_MANY_KEYS, "4", "1"}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_NE(run.result.err.find("[many_keys] last key 39"), std::string::npos) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete) << file.error;
  EXPECT_EQ(file.last_snapshot.cached_stacks(), 0u);
  SiteTotals site = TotalsFor(file.state, "keep_block");
  EXPECT_GT(ValueOf(run.result.out, "allocations"), 10000u);
  EXPECT_EQ(site.allocated_count, ValueOf(run.result.out, "allocations"));
  EXPECT_EQ(site.freed_count, ValueOf(run.result.out, "frees"));
  EXPECT_EQ(site.live_bytes, ValueOf(run.result.out, "live_bytes"));

  // The same run without the keys taken: the stack cache serves most stacks.
  ProfiledRun plain = RunProfiled({THREADS_EXACT, "4", "1"}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_EQ(plain.result.exit_code, 0) << plain.result.err;
  ASSERT_EQ(plain.files.size(), 1u);
  WholeFile plain_file = ReadWholeFile(plain.files[0]);
  EXPECT_GT(plain_file.last_snapshot.cached_stacks(), ValueOf(plain.result.out, "allocations") / 2);
}

uint64_t LiveBytesOf(const std::string& path, const std::string& function) {
  WholeFile file = ReadWholeFile(path);
  EXPECT_TRUE(file.complete) << path << ": " << file.error;
  return TotalsFor(file.state, function).live_bytes;
}

TEST(Capture, SingleThreadedHostGetsNoWriterThreadUntilItStartsOne) {
  // A writer thread would switch glibc's malloc to its multi-thread paths for the whole process:
  // while the host has one thread, snapshots are written inline; once it starts a thread of its
  // own, the writer thread starts too. Snapshots keep coming in both phases.
  ProgramOptions bare;
  bare.argv = {THREAD_MODES, "600"};
  bare.preload = false;
  ProgramResult expected = RunProgram(bare);
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  EXPECT_NE(expected.out.find("phase1 single_threaded=1 threads=1\n"), std::string::npos);
  EXPECT_NE(expected.out.find("phase2 single_threaded=0 threads=2\n"), std::string::npos);

  ProfiledRun run = RunProfiled({THREAD_MODES, "600"},
                                {{"CLWLEAK_SAMPLE_RATE", "1"}, {"CLWLEAK_INTERVAL", "100ms"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_NE(run.result.out.find("phase1 single_threaded=1 threads=1\n"), std::string::npos)
      << run.result.out;
  EXPECT_NE(run.result.out.find("phase2 single_threaded=0 threads=3\n"), std::string::npos)
      << run.result.out;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete) << file.error;
  EXPECT_GE(file.snapshots, 5u);  // ~6 interval snapshots a phase, and the final one
  const uint64_t per_phase = ValueOf(run.result.out, "leaked_per_phase");
  EXPECT_EQ(TotalsFor(file.state, "phase_one_retain").live_bytes, per_phase);
  EXPECT_EQ(TotalsFor(file.state, "phase_two_retain").live_bytes, per_phase);
}

TEST(Capture, ForkExecAndDlopenEachLeaveADecodableFile) {
  ProfiledRun run = RunProfiled({PROCESS_EVENTS, PLUGIN_LIBRARY}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const std::string exe = Basename(PROCESS_EVENTS);
  const uint64_t parent = ValueOf(run.result.out, "parent");
  const uint64_t fork_child = ValueOf(run.result.out, "fork_child");
  const uint64_t exec_child = ValueOf(run.result.out, "exec_child");
  EXPECT_EQ(ValueOf(run.result.out, "snapshot_now"), 0u);

  // The parent: its own leak, and the plugin's, named although the plugin was unloaded since.
  const std::string parent_file = run.directory + "/" + exe + "." + std::to_string(parent) + ".pb";
  WholeFile parent_profile = ReadWholeFile(parent_file);
  ASSERT_TRUE(parent_profile.complete) << parent_profile.error;
  EXPECT_FALSE(parent_profile.header.forked_child());
  EXPECT_EQ(TotalsFor(parent_profile.state, "parent_retain").live_bytes, 2u * 6000u);
  SiteTotals plugin = TotalsFor(parent_profile.state, "plugin_retain");
  EXPECT_EQ(plugin.live_bytes, 4u * 3000u);
  EXPECT_EQ(plugin.modules, std::vector<std::string>{"libplugin.so"});
  EXPECT_EQ(TotalsFor(parent_profile.state, "child_retain").live_bytes, 0u);

  // The forked child: a file of its own, marked as such.
  const std::string child_file = run.directory + "/" + exe + "." + std::to_string(fork_child) + ".pb";
  WholeFile child_profile = ReadWholeFile(child_file);
  ASSERT_TRUE(child_profile.complete) << child_profile.error;
  EXPECT_TRUE(child_profile.header.forked_child());
  EXPECT_EQ(child_profile.header.pid(), fork_child);
  EXPECT_EQ(TotalsFor(child_profile.state, "child_retain").live_bytes, 3u * 5000u);

  // fork + exec: the new image profiles itself under the child's pid; the pre-exec child never
  // took a snapshot, so it left no file of its own.
  const std::string exec_file = run.directory + "/" + exe + "." + std::to_string(exec_child) + ".pb";
  EXPECT_EQ(LiveBytesOf(exec_file, "exec_child_retain"), 7u * 1000u);
  EXPECT_EQ(run.files.size(), 3u);
}

TEST(Capture, ForkedChildrenAreSilentWithChildrenOff) {
  ProfiledRun run = RunProfiled({PROCESS_EVENTS, PLUGIN_LIBRARY},
                                {{"CLWLEAK_SAMPLE_RATE", "1"}, {"CLWLEAK_CHILDREN", "off"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  // The parent and the exec'd image (a new process image starts profiling afresh); no fork child.
  EXPECT_EQ(run.files.size(), 2u);
  const uint64_t fork_child = ValueOf(run.result.out, "fork_child");
  for (const std::string& file : run.files) {
    EXPECT_EQ(file.find("." + std::to_string(fork_child) + ".pb"), std::string::npos) << file;
  }
}

bool PrintedStarted(const std::string& out) { return out.find("started") != std::string::npos; }

TEST(Capture, SigkilledProcessLeavesEverySnapshotItCompleted) {
  std::string directory = MakeTempDir("sigkill");
  ProgramOptions options;
  options.argv = {STEADY_LEAKER};
  options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"},
                 {"CLWLEAK_INTERVAL", "100ms"},
                 {"CLWLEAK_SAMPLE_RATE", "1"}};
  options.timeout_seconds = 30;
  // Let it run for ~1 s of snapshots after "started", then kill it like the OOM killer would.
  options.wait_for_line = [](const std::string& out) {
    static int polls = 0;
    return PrintedStarted(out) && ++polls > 200;
  };
  options.signal_after_line = SIGKILL;
  ProgramResult result = RunProgram(options);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.signal, SIGKILL);
  std::vector<std::string> files = ListFiles(directory);
  ASSERT_EQ(files.size(), 1u);
  WholeFile file = ReadWholeFile(files[0]);
  ASSERT_TRUE(file.opened) << file.error;
  EXPECT_FALSE(file.complete);
  EXPECT_FALSE(file.last_snapshot.final());
  EXPECT_GE(file.snapshots, 3u);
  EXPECT_NE(file.end, ReadStatus::kError) << file.error;
  // The leak grows snapshot by snapshot: 4096 bytes a millisecond.
  SiteTotals leak = TotalsFor(file.state, "steady_retain");
  EXPECT_GT(leak.live_bytes, 100u * 4096u);
  EXPECT_EQ(leak.live_bytes % 4096u, 0u);
}

// LD_PRELOAD for table mode: an allocator other than glibc's after libclwleak.so.
std::map<std::string, std::string> WithNextAllocator(std::map<std::string, std::string> env) {
  env["LD_PRELOAD"] = std::string(CLWLEAK_PRELOAD_PATH) + ":" + NEXT_ALLOCATOR;
  return env;
}

TEST(Capture, GlibcKeepsSampledRecordsInlineAndNeedsNoTable) {
  // Inline mode: no allocation table (capacity 0 in the header), so even 100000 exact-mode blocks
  // live with a tiny configured capacity drop nothing.
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "100000", "64"},
                                {{"CLWLEAK_SAMPLE_RATE", "1"}, {"CLWLEAK_TABLE_CAPACITY", "1000"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete);
  EXPECT_EQ(file.header.allocation_table_capacity(), 0u);
  EXPECT_EQ(file.last_snapshot.drops().allocation_table_full(), 0u);
  SiteTotals leak = TotalsFor(file.state, "leaky_retain_buffer");
  EXPECT_EQ(leak.live_count, 100000u);
  EXPECT_EQ(leak.live_bytes, ValueOf(run.result.out, "leaked_bytes"));
}

TEST(Capture, AnotherAllocatorIsTrackedInTheTableToTheByte) {
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "5000", "1000"},
                                WithNextAllocator({{"CLWLEAK_SAMPLE_RATE", "1"}}));
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete);
  EXPECT_EQ(file.header.allocation_table_capacity(), 1u << 21);  // table mode
  SiteTotals leak = TotalsFor(file.state, "leaky_retain_buffer");
  EXPECT_EQ(leak.live_bytes, ValueOf(run.result.out, "leaked_bytes"));
  EXPECT_EQ(leak.live_count, ValueOf(run.result.out, "leaked_count"));
  SiteTotals churn = TotalsFor(file.state, "leaky_churn");
  EXPECT_EQ(churn.freed_count, 5000u);
  EXPECT_EQ(churn.live_bytes, 0u);
}

TEST(Capture, InterposedFunctionsBehaveAsWithoutThePreloadInTableMode) {
  ExpectInterposedFunctionsUnchanged(WithNextAllocator({}));
}

TEST(Capture, FullAllocationTableCountsWhatItDropped) {
  // Table mode with room for ~2048 live entries, 100000 leaked blocks: the program must finish
  // normally and the drops must account for every block the table could not hold.
  ProfiledRun run = RunProfiled(
      {LEAKY_PROGRAM, "100000", "64"},
      WithNextAllocator({{"CLWLEAK_SAMPLE_RATE", "1"}, {"CLWLEAK_TABLE_CAPACITY", "1000"}}));
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_EQ(ValueOf(run.result.out, "leaked_count"), 100000u);
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete);
  EXPECT_EQ(file.header.allocation_table_capacity(), 1000u);
  const uint64_t dropped = file.last_snapshot.drops().allocation_table_full();
  SiteTotals leak = TotalsFor(file.state, "leaky_retain_buffer");
  EXPECT_LE(leak.live_count, 2048u);
  EXPECT_GE(leak.live_count + dropped, 100000u);
  EXPECT_GE(file.last_snapshot.drops().allocation_table_bytes(), (100000u - 2048u) * 64u);
}

TEST(Capture, UnwritableOutputWarnsOnceAndChangesNothing) {
  ProgramOptions bare;
  bare.argv = {LEAKY_PROGRAM, "1000", "100"};
  bare.preload = false;
  ProgramResult expected = RunProgram(bare);

  ProgramOptions options = bare;
  options.preload = true;
  options.env = {{"CLWLEAK_OUTPUT", "/nonexistent-clwleak-dir/out.%p.pb"}};
  ProgramResult result = RunProgram(options);
  EXPECT_EQ(result.exit_code, expected.exit_code);
  EXPECT_EQ(result.out, expected.out);
  size_t first = result.err.find("[clwleak]");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(result.err.find("[clwleak]", first + 1), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("/nonexistent-clwleak-dir/out."), std::string::npos) << result.err;
}

TEST(Capture, FilesAreCreatedPrivateAndNeverThroughASymlink) {
  std::string directory = MakeTempDir("symlink");
  // A planted symlink under the exact name the process will use must not be followed.
  ProfiledRun probe = RunProfiled({LEAKY_PROGRAM, "10", "10"}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_EQ(probe.files.size(), 1u);
  struct stat info;
  ASSERT_EQ(stat(probe.files[0].c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  const std::string victim = directory + "/victim";
  FILE* f = fopen(victim.c_str(), "w");
  fputs("precious\n", f);
  fclose(f);
  ASSERT_EQ(symlink(victim.c_str(), (directory + "/out.pb").c_str()), 0);
  ProgramOptions options;
  options.argv = {LEAKY_PROGRAM, "10", "10"};
  options.env = {{"CLWLEAK_OUTPUT", directory + "/out.pb"}};
  ProgramResult result = RunProgram(options);
  EXPECT_EQ(result.exit_code, 0);
  f = fopen(victim.c_str(), "r");
  char line[32] = {};
  fgets(line, sizeof(line), f);
  fclose(f);
  EXPECT_STREQ(line, "precious\n");
  EXPECT_TRUE(ReadWholeFile(directory + "/out.pb.1").complete);  // the next free name was used
}

TEST(Capture, MalformedVariablesWarnAndFallBackToDefaults) {
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "10", "10"},
                                {{"CLWLEAK_SAMPLE_RATE", "lots"}, {"CLWLEAK_INTERVAL", "soon"}});
  EXPECT_EQ(run.result.exit_code, 0);
  EXPECT_NE(run.result.err.find("[clwleak] ignoring malformed CLWLEAK_SAMPLE_RATE='lots'"),
            std::string::npos) << run.result.err;
  EXPECT_NE(run.result.err.find("CLWLEAK_INTERVAL='soon'"), std::string::npos);
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  EXPECT_EQ(file.header.sample_rate_bytes(), 256u * 1024u);
  EXPECT_EQ(file.header.snapshot_interval_ns(), 5000000000u);
}

TEST(Capture, LabelsAreRecordedInTheHeader) {
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "10", "10"},
                                {{"CLWLEAK_LABELS", "pod=web-0,namespace=shop,version=1.4.2"}});
  EXPECT_EQ(run.result.exit_code, 0);
  EXPECT_EQ(run.result.err, "");
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_EQ(file.header.labels_size(), 3);
  EXPECT_EQ(file.header.labels(0).key(), "pod");
  EXPECT_EQ(file.header.labels(0).value(), "web-0");
  EXPECT_EQ(file.header.labels(1).key(), "namespace");
  EXPECT_EQ(file.header.labels(1).value(), "shop");
  EXPECT_EQ(file.header.labels(2).key(), "version");
  EXPECT_EQ(file.header.labels(2).value(), "1.4.2");

  ProfiledRun bad = RunProfiled({LEAKY_PROGRAM, "10", "10"}, {{"CLWLEAK_LABELS", "pod=a,,b"}});
  EXPECT_EQ(bad.result.exit_code, 0);
  EXPECT_NE(bad.result.err.find("[clwleak] ignoring malformed CLWLEAK_LABELS='pod=a,,b', using the "
                                "default (no labels)"),
            std::string::npos) << bad.result.err;
  ASSERT_EQ(bad.files.size(), 1u);
  WholeFile unlabelled = ReadWholeFile(bad.files[0]);
  ASSERT_TRUE(unlabelled.complete) << unlabelled.error;
  EXPECT_EQ(unlabelled.header.labels_size(), 0);
}

TEST(Capture, DisableMakesThePreloadAPassThrough) {
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "10", "10"}, {{"CLWLEAK_DISABLE", "1"}});
  EXPECT_EQ(run.result.exit_code, 0);
  EXPECT_EQ(run.result.err, "");
  EXPECT_TRUE(run.files.empty());
}

TEST(Capture, EveryVariableIsHonoured) {
  const std::string directory = MakeTempDir("variables");
  const std::string counter = directory + "/requests";
  FILE* f = fopen(counter.c_str(), "w");
  fputs("12345\n", f);
  fclose(f);
  ProfiledRun run = RunProfiled({INTERPOSE_EXERCISE}, {{"CLWLEAK_SAMPLE_RATE", "1"},
                                                       {"CLWLEAK_MEMORY_LIMIT", "3GiB"},
                                                       {"CLW_MEMORY_LIMIT", "1000"},
                                                       {"CLWLEAK_MAX_DEPTH", "3"},
                                                       {"CLWLEAK_MMAP", "0"},
                                                       {"CLWLEAK_INTERVAL", "250ms"},
                                                       {"CLWLEAK_REQUEST_COUNTER_FILE", counter}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete) << file.error;
  EXPECT_EQ(file.header.memory_limit_bytes(), 3ull << 30);
  EXPECT_EQ(file.header.memory_limit_source(), "CLWLEAK_MEMORY_LIMIT");
  EXPECT_EQ(file.header.max_depth(), 3u);
  EXPECT_FALSE(file.header.track_mmap());
  EXPECT_EQ(file.header.snapshot_interval_ns(), 250000000u);
  EXPECT_EQ(file.last_snapshot.requests(), 12345u);
  EXPECT_FALSE(file.state.stacks.empty());
  for (const auto& [id, stack] : file.state.stacks) {
    EXPECT_LE(stack.frame_ids_size(), 3) << "stack " << id;
    EXPECT_EQ(stack.kind(), proto::HEAP) << "stack " << id;  // mappings are not tracked
  }

  // Without CLWLEAK_MEMORY_LIMIT, the worker's own CLW_MEMORY_LIMIT is the limit.
  ProfiledRun fallback = RunProfiled({LEAKY_PROGRAM, "10", "10"}, {{"CLW_MEMORY_LIMIT", "2147483648"}});
  ASSERT_EQ(fallback.files.size(), 1u);
  WholeFile limited = ReadWholeFile(fallback.files[0]);
  EXPECT_EQ(limited.header.memory_limit_bytes(), 2147483648u);
  EXPECT_EQ(limited.header.memory_limit_source(), "CLW_MEMORY_LIMIT");
}

// Sizes in the variables read as Kubernetes quantities (common/quantity.h), in exact mode and at
// the default rate; an ambiguous or malformed one gets one warning and the default.
TEST(Capture, SizeVariablesTakeKubernetesQuantities) {
  struct Case {
    std::map<std::string, std::string> env;
    uint64_t limit;
    const char* source;
    uint64_t rate;
  };
  const std::vector<Case> cases = {
      {{{"CLWLEAK_MEMORY_LIMIT", "1.5Gi"}, {"CLWLEAK_SAMPLE_RATE", "1"}}, 3ull << 29,
       "CLWLEAK_MEMORY_LIMIT", 1},
      {{{"CLWLEAK_MEMORY_LIMIT", "2G"}}, 2000000000ull, "CLWLEAK_MEMORY_LIMIT", 256u * 1024u},
      {{{"CLW_MEMORY_LIMIT", "512Mi"}, {"CLWLEAK_SAMPLE_RATE", "64Ki"}}, 512ull << 20,
       "CLW_MEMORY_LIMIT", 65536},
      {{{"CLW_MEMORY_LIMIT", "4Gi"}, {"CLWLEAK_SAMPLE_RATE", "100k"}}, 4ull << 30,
       "CLW_MEMORY_LIMIT", 100000},
  };
  for (const Case& c : cases) {
    ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "10", "10"}, c.env);
    ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
    EXPECT_EQ(run.result.err.find("[clwleak]"), std::string::npos) << run.result.err;
    ASSERT_EQ(run.files.size(), 1u);
    WholeFile file = ReadWholeFile(run.files[0]);
    EXPECT_EQ(file.header.memory_limit_bytes(), c.limit);
    EXPECT_EQ(file.header.memory_limit_source(), c.source);
    EXPECT_EQ(file.header.sample_rate_bytes(), c.rate);
  }
  ProfiledRun ambiguous = RunProfiled({LEAKY_PROGRAM, "10", "10"},
                                      {{"CLWLEAK_MEMORY_LIMIT", "100MB"},
                                       {"CLW_MEMORY_LIMIT", "2g"},
                                       {"CLWLEAK_SAMPLE_RATE", "1.5.1"}});
  EXPECT_EQ(ambiguous.result.exit_code, 0);
  const std::string& err = ambiguous.result.err;
  EXPECT_NE(err.find("[clwleak] ignoring malformed CLWLEAK_MEMORY_LIMIT='100MB' (is ambiguous: "
                     "write Mi, Gi (powers of 1024: 1Mi = 1048576 bytes) or M, G (powers of "
                     "1000: 1M = 1000000 bytes)), using the default (detected limit)\n"),
            std::string::npos) << err;
  EXPECT_NE(err.find("[clwleak] ignoring malformed CLW_MEMORY_LIMIT='2g' (is ambiguous"),
            std::string::npos) << err;
  EXPECT_NE(err.find("[clwleak] ignoring malformed CLWLEAK_SAMPLE_RATE='1.5.1' (has an unknown "
                     "size unit"),
            std::string::npos) << err;
  ASSERT_EQ(ambiguous.files.size(), 1u);
  WholeFile file = ReadWholeFile(ambiguous.files[0]);
  EXPECT_NE(file.header.memory_limit_source(), "CLWLEAK_MEMORY_LIMIT");
  EXPECT_NE(file.header.memory_limit_source(), "CLW_MEMORY_LIMIT");
  EXPECT_EQ(file.header.sample_rate_bytes(), 256u * 1024u);
}

TEST(Capture, HostThatClosesEveryDescriptorNeverGetsOurBytes) {
  const std::string directory = MakeTempDir("fd_closer");
  ProgramOptions bare;
  bare.argv = {FD_CLOSER, directory + "/bare.txt"};
  bare.preload = false;
  ProgramResult expected = RunProgram(bare);
  ASSERT_EQ(expected.exit_code, 0);

  ProgramOptions options;
  options.argv = {FD_CLOSER, directory + "/host.txt"};
  options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"}, {"CLWLEAK_INTERVAL", "50ms"},
                 {"CLWLEAK_SAMPLE_RATE", "1"}};
  ProgramResult result = RunProgram(options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, expected.out);  // the host's file holds exactly what the host wrote
  size_t first = result.err.find("[clwleak]");
  ASSERT_NE(first, std::string::npos) << "the lost output file is reported";
  EXPECT_EQ(result.err.find("[clwleak]", first + 1), std::string::npos) << result.err;
  // What was written before the host took the descriptor is still a readable file.
  std::vector<std::string> files = ListFiles(directory, "fd_closer.");
  ASSERT_EQ(files.size(), 1u);
  WholeFile file = ReadWholeFile(files[0]);
  EXPECT_TRUE(file.opened) << file.error;
  EXPECT_NE(file.end, ReadStatus::kError) << file.error;
}

// libunwind checks memory through a pipe it keeps open; once the host has closed it and reused its
// numbers, an unwind used to read a byte of the host's input file and write a byte of memory into
// its output file (unwinder_memory_probe.h). The host must read and write exactly as it does bare.
TEST(Capture, UnwinderNeverTouchesDescriptorsTheHostReused) {
  const std::string directory = MakeTempDir("descriptor_reuse");
  ProgramOptions bare;
  bare.argv = {DESCRIPTOR_REUSE, directory + "/bare.in", directory + "/bare.out"};
  bare.preload = false;
  const ProgramResult expected = RunProgram(bare);
  ASSERT_EQ(expected.exit_code, 0);
  ASSERT_EQ(ValueOf(expected.out, "read"), 1000u);
  ASSERT_EQ(ValueOf(expected.out, "written"), 0u);
  for (const char* rate : {"1", "256K"}) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    ProgramOptions options;
    options.argv = {DESCRIPTOR_REUSE, directory + "/host.in", directory + "/host.out"};
    options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"}, {"CLWLEAK_SAMPLE_RATE", rate}};
    const ProgramResult result = RunProgram(options);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, expected.out);
  }
}

TEST(Capture, FramePointerUnwinderNamesTheLeakingFunction) {
  ProfiledRun run = RunProfiled({LEAKY_PROGRAM, "2000", "100"},
                                {{"CLWLEAK_SAMPLE_RATE", "1"}, {"CLWLEAK_UNWIND", "fp"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  EXPECT_EQ(file.header.unwinder(), "fp");
  // The test programs keep frame pointers, so the walk reaches leaky_retain_buffer's caller.
  EXPECT_EQ(TotalsFor(file.state, "leaky_retain_buffer").live_bytes, 2000u * 100u);
}

// The frames of an optimized program, end to end: main's unit in bench_large_blocks (built -O2
// -g) has code on both sides of _start (main in .text.startup, the rest in .text), and its line
// table ends main's landing pads with a row at the very end of main's code. libdw answers a line
// lookup at _start's return address with that row (a line of basic_string.h); a frame whose code
// no compilation unit holds has no file or line, and main keeps its own.
TEST(Capture, FramesOutsideEveryCompilationUnitHaveNoFileOrLine) {
  ProfiledRun run = RunProfiled({LARGE_BLOCKS_PROGRAM, "--ops", "2"}, {{"CLWLEAK_SAMPLE_RATE", "1"}});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  ASSERT_EQ(run.files.size(), 1u);
  WholeFile file = ReadWholeFile(run.files[0]);
  ASSERT_TRUE(file.complete) << file.error;
  int entry_frames = 0, main_frames = 0;
  for (const auto& [id, frame] : file.state.frames) {
    if (frame.function() == "_start") {
      ++entry_frames;
      EXPECT_EQ(frame.file(), "") << "_start at line " << frame.line();
      EXPECT_EQ(frame.line(), 0u);
    }
    if (frame.function() == "main") {
      ++main_frames;
      EXPECT_NE(frame.file().find("large_blocks.cc"), std::string::npos) << frame.file();
    }
  }
  EXPECT_GE(entry_frames, 1);
  EXPECT_GE(main_frames, 1);
}

// Runs stack_paths in exact mode and checks every stack it recorded: each block's size names the
// path that allocated it, so a stack taken from the wrong cache entry shows as a size on a stack
// whose frames do not match it. Returns the snapshot's count of stacks served from the cache.
uint64_t CheckStackPaths(const std::map<std::string, std::string>& env, uint64_t threads = 1) {
  constexpr uint64_t kRounds = 200;
  std::map<std::string, std::string> exact = env;
  exact.emplace("CLWLEAK_SAMPLE_RATE", "1");
  ProfiledRun run =
      RunProfiled({STACK_PATHS, std::to_string(kRounds), std::to_string(threads)}, exact);
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  if (run.files.size() != 1) {
    ADD_FAILURE() << "expected one file, found " << run.files.size();
    return 0;
  }
  WholeFile file = ReadWholeFile(run.files[0]);
  EXPECT_TRUE(file.complete) << file.error;

  // Names come demangled with their parameters: "(anonymous namespace)::Leaf(unsigned long)".
  auto is = [](const std::string& function, const std::string& name) {
    return function.find("::" + name + "(") != std::string::npos;
  };
  std::map<uint64_t, uint64_t> live_by_size;
  uint64_t live_blocks = 0;
  for (const auto& [stack_id, stats] : file.state.counters) {
    if (stats.live_count() == 0) continue;
    EXPECT_EQ(stats.live_bytes() % stats.live_count(), 0u);
    const uint64_t size = stats.live_bytes() / stats.live_count();
    std::map<std::string, int> seen;
    for (const proto::Frame* frame : file.state.FramesOf(stack_id)) {
      for (const char* name : {"PathA", "PathB", "PathC", "PathD", "Recurse", "Leaf"}) {
        if (is(frame->function(), name)) ++seen[name];
      }
    }
    if (seen.count("Leaf") == 0) continue;  // the program's own buffers
    SCOPED_TRACE("size " + std::to_string(size));
    EXPECT_EQ(seen["Leaf"], 1);
    live_by_size[size] += stats.live_count();
    live_blocks += stats.live_count();
    if (size >= 1001 && size <= 1004) {
      const std::string path = std::string("Path") + static_cast<char>('A' + size - 1001);
      EXPECT_EQ(seen.size(), 2u);
      EXPECT_EQ(seen[path], 1);
    } else if (size >= 3000 && size <= 3005) {
      EXPECT_EQ(seen["Recurse"], static_cast<int>(size - 3000 + 1));
    } else {
      ADD_FAILURE() << "a live block of unexpected size " << size;
    }
  }
  const uint64_t runs = kRounds * threads;
  for (uint64_t size = 1001; size <= 1004; ++size) EXPECT_EQ(live_by_size[size], 6 * runs);
  EXPECT_EQ(live_by_size[3000] + live_by_size[3001], 8 * runs);
  for (uint64_t size = 3002; size <= 3005; ++size) EXPECT_EQ(live_by_size[size], runs);
  EXPECT_EQ(live_blocks, ValueOf(run.result.out, "blocks"));
  return file.last_snapshot.cached_stacks();
}

// Exact mode reuses a thread's stacks from its verified cache (stack_cache.h). Paths that put the
// allocating leaf at the same stack address must still each get their own stack.
TEST(Capture, VerifiedStackCacheKeepsEveryPathsOwnStack) {
  const uint64_t blocks = 200 * (24 + 12);
  // Most blocks come from the cache: a stack is unwound twice before it is cached, and hits are
  // counted in batches of 256 per thread. `always`: the cache's budget, which times its work and
  // may put it to sleep on a loaded machine, does not decide here.
  EXPECT_GT(CheckStackPaths({{"CLWLEAK_STACK_CACHE", "always"}}), blocks / 2);
  // With the budget, the stacks are the same (CheckStackPaths verifies each path's own stack).
  CheckStackPaths({});
}

TEST(Capture, VerifiedStackCacheIsPerThread) {
  const uint64_t blocks = 3 * 200 * (24 + 12);
  EXPECT_GT(CheckStackPaths({{"CLWLEAK_STACK_CACHE", "always"}}, 3), blocks / 2);
}

TEST(Capture, StackCacheCanBeSwitchedOff) {
  EXPECT_EQ(CheckStackPaths({{"CLWLEAK_STACK_CACHE", "0"}}), 0u);
}

}  // namespace
}  // namespace clwleak::testing
