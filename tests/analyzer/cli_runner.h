// Test-only helpers that run the clw-leak-analyze binary (path in CLW_LEAK_ANALYZE) or any other
// command through /bin/sh and capture its exit code and output, and the synthetic worker file
// they analyse. Used by cli_test.cc and formats_test.cc.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "synthetic_worker.h"
#include "test_paths.h"

namespace clwleak::testing {

struct CommandRun {
  int exit_code = -1;
  bool signaled = false;  // killed by a signal (sh reports such a child as 128+N)
  std::string out;
  std::string err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs `command` (already quoted for sh) with stdout and stderr captured, stdin from /dev/null.
inline CommandRun RunShell(const std::string& command) {
  static int counter = 0;
  const std::string out = TempPath("run_out_" + std::to_string(counter));
  const std::string err = TempPath("run_err_" + std::to_string(counter++));
  const int status = std::system(
      (command + " >" + ShellQuote(out) + " 2>" + ShellQuote(err) + " </dev/null").c_str());
  CommandRun run;
  run.signaled = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > 128);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = Slurp(out);
  run.err = Slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return run;
}

inline CommandRun RunProgram(const std::string& program, const std::vector<std::string>& args) {
  std::string command = ShellQuote(program);
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  return RunShell(command);
}

// clw-leak-analyze with `args` (the test target defines CLW_LEAK_ANALYZE).
inline CommandRun RunAnalyzer(const std::vector<std::string>& args) {
  return RunProgram(CLW_LEAK_ANALYZE, args);
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// One exact synthetic worker file per test process: leaks 6,200 bytes per request at 40
// requests/s (synthetic_worker.h's default scenario).
inline const std::string& WorkerFile() {
  static const std::string path = [] {
    std::string p = TempPath("worker.pb");
    WriteSyntheticWorker(p, WorkerScenario{});
    return p;
  }();
  return path;
}

// True when `name` is an executable on PATH.
inline bool OnPath(const std::string& name) {
  return std::system(("command -v " + ShellQuote(name) + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace clwleak::testing
