// Helpers shared by the real-world and fault tests: finding Debian programs on PATH, checking the
// snapshot files a run left, and recording each test's outcome as a row of docs/reliability.md.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "program_runner.h"

namespace clwleak::testing {

// The absolute path of `name` in /usr/bin, /bin, /usr/sbin, /sbin or else on PATH, or "" when it
// is not installed.
std::string FindProgram(const std::string& name);

// Reads every file in `directory` and checks that each opens, does not end in a decode error and
// is accepted by AnalyzeFile. With `require_complete`, every file must also end with its final
// snapshot. Returns how many files there were.
size_t ExpectReadableSnapshots(const std::string& directory, bool require_complete);

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
