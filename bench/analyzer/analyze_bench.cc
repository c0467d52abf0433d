// Benchmark of clw-leak-analyze's library on a long file: generates a snapshot file of
// --snapshots snapshots over --stacks stacks (default 100,000 x 2,000, as in issue 3), then
// analyses it in a child process and prints the analysis's wall time, CPU time and maximum RSS.
// Run by hand or by bench/run; not a test.
//
// Each snapshot lists the stacks that changed, as the preload writes them: the --leaking stacks
// every time, every other stack with probability --churn (default 10%). --churn 1 lists all.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "analysis.h"
#include "synthetic_writer.h"
#include "units.h"

namespace {

using clwleak::proto::Snapshot;
using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t snapshots = 100000;
  uint32_t stacks = 2000;
  uint32_t leaking = 20;
  double churn = 0.10;
  std::string file = "/tmp/clwleak_analyzer_bench.pb";
  bool keep = false;
  bool analyze_only = false;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Generate(const Options& options) {
  clwleak::testing::SyntheticWriter writer(options.file);
  clwleak::proto::Header header =
      clwleak::testing::MakeHeader(512 * 1024, 4ull << 30, "cgroup memory.max");
  writer.WriteMessage(header);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<clwleak::proto::StackStats> stats(options.stacks);
  Snapshot snapshot;
  for (uint64_t s = 0; s < options.snapshots; ++s) {
    snapshot.Clear();
    snapshot.set_sequence(s);
    snapshot.set_monotonic_ns(header.start_monotonic_ns() + (s + 1) * 5'000'000'000ull);
    snapshot.set_wall_time_unix_ns(header.start_time_unix_ns() + (s + 1) * 5'000'000'000ull);
    snapshot.set_requests((s + 1) * 200);
    snapshot.set_rss_bytes((1ull << 30) + s * 4096);
    if (s == 0) {
      clwleak::proto::Module* module = snapshot.add_new_modules();
      module->set_id(1);
      module->set_path("/opt/app/libapp.so");
      for (uint32_t i = 0; i < options.stacks; ++i) {
        clwleak::proto::Frame* frame = snapshot.add_new_frames();
        frame->set_id(i + 1);
        frame->set_address(0x400000 + i * 16);
        frame->set_module_id(1);
        frame->set_function("function_" + std::to_string(i));
        frame->set_file("app.cc");
        frame->set_line(i + 1);
        clwleak::proto::Stack* stack = snapshot.add_new_stacks();
        stack->set_id(i + 1);
        stack->add_frame_ids(i + 1);
      }
    }
    for (uint32_t i = 0; i < options.stacks; ++i) {
      const bool leaking = i < options.leaking;
      if (!leaking && s > 0 && uniform(rng) >= options.churn) continue;
      clwleak::proto::StackStats& st = stats[i];
      st.set_stack_id(i + 1);
      const uint64_t live = leaking ? st.live_bytes() + 512 * 1024
                                    : (1u << 20) + static_cast<uint64_t>(uniform(rng) * 524288);
      st.set_allocated_bytes(st.allocated_bytes() + 524288);
      st.set_live_bytes(live);
      st.set_live_count(live / 1024);
      st.set_live_samples(live / (512 * 1024) + 1);
      *snapshot.add_stacks() = st;
    }
    snapshot.set_final(s + 1 == options.snapshots);
    writer.WriteMessage(snapshot);
  }
  writer.Close();
}

int Analyze(const Options& options) {
  clwleak::analysis::FileReport report;
  std::string error;
  const auto start = Clock::now();
  if (!clwleak::analysis::AnalyzeFile(options.file, {}, &report, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  const double seconds = Seconds(start);
  size_t leaks = 0;
  for (const auto& site : report.sites) {
    leaks += site.classification == clwleak::analysis::Classification::kLeak;
  }
  std::printf("analysis: %.2f s wall; %llu snapshots, %zu stacks, %zu leaking, complete=%d\n",
              seconds, static_cast<unsigned long long>(report.snapshots), report.sites.size(),
              leaks, report.complete);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--snapshots") {
      options.snapshots = std::strtoull(next(), nullptr, 10);
    } else if (arg == "--stacks") {
      options.stacks = static_cast<uint32_t>(std::strtoul(next(), nullptr, 10));
    } else if (arg == "--leaking") {
      options.leaking = static_cast<uint32_t>(std::strtoul(next(), nullptr, 10));
    } else if (arg == "--churn") {
      options.churn = std::strtod(next(), nullptr);
    } else if (arg == "--file") {
      options.file = next();
    } else if (arg == "--keep") {
      options.keep = true;
    } else if (arg == "--analyze-only") {
      options.analyze_only = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--snapshots N] [--stacks N] [--leaking N] [--churn P] [--file PATH] "
                   "[--keep] [--analyze-only]\n",
                   argv[0]);
      return 2;
    }
  }
  if (options.analyze_only) return Analyze(options);

  auto start = Clock::now();
  Generate(options);
  std::printf("generated %s: %llu snapshots x %u stacks in %.1f s\n", options.file.c_str(),
              static_cast<unsigned long long>(options.snapshots), options.stacks, Seconds(start));

  // Analyse in a child so that its maximum RSS is the analysis's alone.
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    execl("/proc/self/exe", argv[0], "--analyze-only", "--file", options.file.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  wait4(child, &status, 0, &usage);
  std::printf("analysis process: max RSS %s, CPU %.2f s user + %.2f s system\n",
              clwleak::analysis::FormatBytes(static_cast<double>(usage.ru_maxrss) * 1024).c_str(),
              usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
              usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
  if (!options.keep) std::remove(options.file.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
