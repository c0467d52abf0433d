// ProgramRunner: runs a test program (optionally under libclwleak.so) with extra environment
// variables, captures its stdout and stderr, and kills it when it overruns its time limit, so that
// a hang fails the test quickly instead of stalling CI.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "snapshot_reader.h"

namespace clwleak::testing {

struct ProgramResult {
  bool timed_out = false;
  bool exited = false;   // false when killed by a signal
  int exit_code = -1;
  int signal = 0;
  std::string out;
  std::string err;
};

struct ProgramOptions {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to (or replacing) the test's environment
  bool preload = true;                     // set LD_PRELOAD=libclwleak.so
  double timeout_seconds = 60;
  // When set, called with the child's pid once it is running (e.g. to kill it mid-run);
  // `stdout_so_far` is what it printed up to then.
  bool (*wait_for_line)(const std::string& stdout_so_far) = nullptr;
  int signal_after_line = 0;
  // When nonzero, the program runs with this RLIMIT_AS (`ulimit -v`), in bytes.
  uint64_t address_space_limit = 0;
};

ProgramResult RunProgram(const ProgramOptions& options);

// A fresh empty directory under the test's temporary directory.
std::string MakeTempDir(const std::string& name);

// Every file in `directory` whose name starts with `prefix`.
std::vector<std::string> ListFiles(const std::string& directory, const std::string& prefix = "");

// Sums of the final counters over every stack whose frames contain `function`.
struct SiteTotals {
  uint64_t stacks = 0;
  uint64_t live_bytes = 0;
  uint64_t live_count = 0;
  uint64_t allocated_bytes = 0;
  uint64_t allocated_count = 0;
  uint64_t freed_count = 0;
  std::vector<std::string> modules;  // basenames of the modules of the frames named `function`
};
SiteTotals TotalsFor(const analysis::ProfileState& state, const std::string& function);

// "key=value" from a line of program output.
uint64_t ValueOf(const std::string& text, const std::string& key);

}  // namespace clwleak::testing
