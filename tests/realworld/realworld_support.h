// Helpers shared by the real-world and fault tests: finding Debian programs on PATH, checking the
// snapshot files a run left, and recording each test's outcome as a row of docs/reliability.md.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "program_runner.h"
#include "report.h"

namespace clwleak::testing {

// The absolute path of `name` in /usr/bin, /bin, /usr/sbin, /sbin or else on PATH, or "" when it
// is not installed.
std::string FindProgram(const std::string& name);

// Reads every file in `directory` and checks that each opens, does not end in a decode error and
// is accepted by AnalyzeFile. With `require_complete`, every file must also end with its final
// snapshot. Returns how many files there were.
size_t ExpectReadableSnapshots(const std::string& directory, bool require_complete);

// Installs `packages` with apt-get (apt-get update once per test process; as root only). False
// with `*why` set when that fails.
bool InstallPackages(const std::vector<std::string>& packages, std::string* why);

// FindProgram(name), installing `packages` with apt-get first when it is missing (apt-get update
// once per test process; as root only). "" with `*why` set when it still cannot be found.
std::string EnsureProgram(const std::string& name, const std::vector<std::string>& packages,
                          std::string* why);

// Like ExpectReadableSnapshots, and returns the report of every file.
std::vector<analysis::FileReport> ExpectReadableReports(const std::string& directory,
                                                        bool require_complete);

// Anonymous memory by kind over a run's reports, for the checks that nothing but heap and private
// memory is in the leak figures.
struct KindTotals {
  size_t files = 0;
  double heap_live_max = 0;   // the largest heap live of one file at its end
  double heap_live_peak = 0;  // the largest heap live of one file at any snapshot
  double shared_min = 0;      // the smallest shared anonymous total of one file
  double shared_max = 0;
  double reserved_max = 0;
  size_t non_leakable_sites = 0;  // sites of other kinds in the leak lists (must be 0)
};
KindTotals TotalsByKind(const std::vector<analysis::FileReport>& reports);
std::string DescribeKinds(const KindTotals& totals);  // for Note()

// A process started with its output (stdout and stderr) in `log`, stdin from /dev/null, the
// test's environment without LD_PRELOAD plus `extra_env`; -1 when it cannot start.
pid_t SpawnLogged(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                  const std::string& log);
// Whether 127.0.0.1:`port` accepts connections within `seconds`.
bool WaitForPort(int port, double seconds);
// The exit code of `pid` (-1: killed by a signal); SIGKILLs it and returns -2 after `seconds`.
int WaitForExit(pid_t pid, double seconds);
std::string ReadWholeTextFile(const std::string& path);

// A free TCP port on 127.0.0.1 (bound and released; a race with another process is unlikely).
int FreeLoopbackPort();

// Recursively removes `path` (files and directories).
void RemoveTree(const std::string& path);

// A fixture that records, after each test, one row for docs/reliability.md: the subject (program
// or fault), what was checked, and passed / FAILED / skipped (with the skip message). Rows are
// appended to the file named by CLWLEAK_RELIABILITY_RESULTS when it is set;
// tests/realworld/render_reliability.py turns them into the table.
class RecordedTest : public ::testing::Test {
 protected:
  void Describe(const std::string& subject, const std::string& checked);
  void Note(const std::string& detail);  // e.g. measured figures, shown in the result column
  void TearDown() override;

 private:
  std::string subject_, checked_, details_;
};

}  // namespace clwleak::testing
