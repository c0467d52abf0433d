// Terminal manners of clw-leak-analyze: colours in the text report and a progress bar for large
// inputs appear on a terminal, and never when the output is piped or redirected: then the bytes
// are exactly those of --color=never. A pseudo-terminal comes from pty_run.py (python3's pty).
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "cli_runner.h"
#include "synthetic_writer.h"
#include "test_paths.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::RunAnalyzer;
using testing::RunShell;
using testing::ShellQuote;
using testing::Slurp;
using testing::TempPath;
using testing::WorkerFile;

// What the analyzer wrote with one of its streams on a terminal.
struct TerminalRun {
  int exit_code = -1;
  std::string out, err;
};

// Runs clw-leak-analyze with `which` ("stdout" or "stderr") on a terminal and the other stream
// redirected to a file; `env` is prepended (e.g. "NO_COLOR=1").
TerminalRun OnTerminal(const std::string& which, const std::vector<std::string>& args,
                       const std::string& env = "") {
  static int counter = 0;
  const std::string out = TempPath("tty_out_" + std::to_string(counter));
  const std::string err = TempPath("tty_err_" + std::to_string(counter++));
  std::string command = "env -u NO_COLOR TERM=xterm " + env + " python3 " + ShellQuote(PTY_RUN) +
                        " " + which + " " + ShellQuote(out) + " " + ShellQuote(err) + " -- " +
                        ShellQuote(CLW_LEAK_ANALYZE);
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  CommandRun run = RunShell(command);
  EXPECT_EQ(run.err, "") << "pty_run.py: " << run.err;
  return TerminalRun{run.exit_code, Slurp(out), Slurp(err)};
}

std::string WithoutAnsi(const std::string& text) {
  return std::regex_replace(text, std::regex("\033\\[[0-9;]*[A-Za-z]"), "");
}

TEST(TerminalTest, TextReportIsColouredOnATerminalOnly) {
  const CommandRun plain = RunAnalyzer({WorkerFile()});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find('\033'), std::string::npos);
  EXPECT_EQ(plain.err, "");
  EXPECT_EQ(RunAnalyzer({"--color=never", WorkerFile()}).out, plain.out);

  const TerminalRun tty = OnTerminal("stdout", {WorkerFile()});
  ASSERT_EQ(tty.exit_code, 0);
  EXPECT_EQ(
      tty.out.rfind("\033[1;31m[clw] Native memory leak detected in libclient.so\033[0m\n", 0), 0u)
      << tty.out.substr(0, 200);
  EXPECT_NE(tty.out.find("\033[1mLeaking sites, worst first:\033[0m\n"), std::string::npos);
  EXPECT_NE(tty.out.find("\033[1;33m   <- site\033[0m\n"), std::string::npos);
  EXPECT_EQ(WithoutAnsi(tty.out), plain.out);
  EXPECT_EQ(tty.err, "");  // stderr was a file: no progress bar

  // NO_COLOR, TERM=dumb and --color=never keep a terminal plain; the bytes are the pipe's.
  EXPECT_EQ(OnTerminal("stdout", {WorkerFile()}, "NO_COLOR=1").out, plain.out);
  EXPECT_EQ(OnTerminal("stdout", {WorkerFile()}, "TERM=dumb").out, plain.out);
  EXPECT_EQ(OnTerminal("stdout", {"--color", "never", WorkerFile()}).out, plain.out);
  // NO_COLOR set but empty does not count.
  EXPECT_NE(OnTerminal("stdout", {WorkerFile()}, "NO_COLOR=").out, plain.out);

  // -o writes a file: no colour even with stdout on a terminal, unless asked for.
  const std::string report = TempPath("tty_report.txt");
  ASSERT_EQ(OnTerminal("stdout", {"-o", report, WorkerFile()}).exit_code, 0);
  EXPECT_EQ(Slurp(report), plain.out);
  const CommandRun always = RunAnalyzer({"--color=always", WorkerFile()});
  EXPECT_NE(always.out.find("\033[1;31m"), std::string::npos);
  EXPECT_EQ(WithoutAnsi(always.out), plain.out);
  // Other formats never carry colours.
  EXPECT_EQ(OnTerminal("stdout", {"--format", "folded", WorkerFile()}).out,
            RunAnalyzer({"--format", "folded", WorkerFile()}).out);
}

// A valid snapshot file of more than ProgressBar::kLargeFileBytes (8 MiB) written in a moment:
// each snapshot's `trigger` carries 64 KiB of random letters, which zstd cannot shrink much.
const std::string& LargeFile() {
  static const std::string path = [] {
    const std::string p = TempPath("large.pb");
    testing::SyntheticWriter writer(p);
    writer.WriteMessage(testing::MakeHeader(1, 2ull << 30, "cgroup memory.max"));
    std::mt19937_64 rng(7);
    std::string padding(64 << 10, 'a');
    for (int i = 0; i < 220; ++i) {
      for (char& c : padding) c = static_cast<char>('a' + rng() % 26);
      proto::Snapshot snapshot;
      snapshot.set_sequence(i);
      snapshot.set_monotonic_ns(static_cast<uint64_t>(i + 1) * 1000000000ull);
      snapshot.set_requests(static_cast<uint64_t>(i + 1) * 100);
      snapshot.set_rss_bytes(100 << 20);
      snapshot.set_trigger(padding);
      writer.WriteMessage(snapshot);
    }
    EXPECT_GT(writer.Close(), 8u << 20);
    return p;
  }();
  return path;
}

TEST(TerminalTest, ProgressBarForLargeInputOnATerminalsStderrOnly) {
  const CommandRun plain = RunAnalyzer({LargeFile()});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err, "");  // stderr is a file: never a progress bar

  const TerminalRun tty = OnTerminal("stderr", {LargeFile()});
  ASSERT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_EQ(tty.err.rfind("\r\033[Kreading clwleak_", 0), 0u) << tty.err.substr(0, 120);
  EXPECT_TRUE(std::regex_search(tty.err, std::regex("large\\.pb \\[[#-]{24}\\] +[0-9]+%  [0-9.]+ "
                                                    "(KiB|MiB) / [0-9.]+ MiB")))
      << tty.err.substr(0, 200);
  EXPECT_EQ(tty.err.substr(tty.err.size() - 4), "\r\033[K");  // erased when done
  EXPECT_EQ(tty.out, plain.out);  // stdout was a file: the same bytes, no colour

  // A small file reads in a moment: no bar even on a terminal.
  const TerminalRun small = OnTerminal("stderr", {WorkerFile()});
  EXPECT_EQ(small.exit_code, 0);
  EXPECT_EQ(small.err, "");
}

}  // namespace
}  // namespace clwleak
