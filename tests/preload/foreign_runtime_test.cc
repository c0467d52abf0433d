// Under valgrind or a sanitizer runtime the preload steps aside (foreign_runtime.h): the tool
// finds no error the preload caused, the program prints what it prints without the preload, the
// preload says so in exactly one `[clwleak]` line and writes no file for it.
// (ThreadSanitizer is not covered: its interceptor of dl_iterate_phdr, which the preload's dlsym
// calls while TSan's initializer resolves its own interceptors, crashes before TSan is ready.)
#include <gtest/gtest.h>

#include <string>

#include "program_runner.h"

namespace clwleak::testing {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

struct ToolRun {
  ProgramResult result;
  std::vector<std::string> files;
};

ToolRun RunWithPreloadInEnvironment(std::vector<std::string> argv,
                                    std::map<std::string, std::string> env = {}) {
  const std::string directory = MakeTempDir("foreign");
  ProgramOptions options;
  options.argv = std::move(argv);
  options.timeout_seconds = 240;
  options.env = std::move(env);
  options.env["CLWLEAK_OUTPUT"] = directory + "/%e.%p.pb";
  options.env["CLWLEAK_SAMPLE_RATE"] = "1";  // every allocation would carry a header
  ToolRun run;
  run.result = RunProgram(options);
  run.files = ListFiles(directory);
  return run;
}

std::string BareOutput(const std::string& program) {
  ProgramOptions bare;
  bare.argv = {program};
  bare.preload = false;
  return RunProgram(bare).out;
}

TEST(ForeignRuntime, ValgrindMemcheckFindsNoErrorWithThePreloadInTheEnvironment) {
  if (std::string(VALGRIND_PROGRAM).find("NOTFOUND") != std::string::npos ||
      std::string(VALGRIND_PROGRAM).empty()) {
    GTEST_SKIP() << "valgrind is not installed (Debian package valgrind)";
  }
  const ToolRun run =
      RunWithPreloadInEnvironment({VALGRIND_PROGRAM, "--tool=memcheck", "--error-exitcode=99",
                                   "--leak-check=no", ALIGNED_HOST});
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_EQ(run.result.out, BareOutput(ALIGNED_HOST));
  EXPECT_NE(run.result.err.find("ERROR SUMMARY: 0 errors"), std::string::npos) << run.result.err;
  EXPECT_EQ(Count(run.result.err, "[clwleak]"), 1u) << run.result.err;
  EXPECT_NE(run.result.err.find("[clwleak] valgrind manages this process's heap"),
            std::string::npos)
      << run.result.err;
  // The valgrind launcher itself runs profiled until it execs the tool; the program writes nothing.
  for (const std::string& file : run.files) {
    EXPECT_EQ(file.find("aligned_host"), std::string::npos) << file;
  }
}

TEST(ForeignRuntime, AddressSanitizerProgramRunsAsWithoutThePreload) {
  // ASan wants its runtime first in the library list; a preload ahead of it is allowed this way.
  const ToolRun run = RunWithPreloadInEnvironment({ALIGNED_HOST_ASAN},
                                                  {{"ASAN_OPTIONS", "verify_asan_link_order=0"}});
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_EQ(run.result.out, BareOutput(ALIGNED_HOST_ASAN));
  EXPECT_EQ(run.result.err.find("ERROR: AddressSanitizer"), std::string::npos) << run.result.err;
  EXPECT_EQ(Count(run.result.err, "[clwleak]"), 1u) << run.result.err;
  EXPECT_NE(run.result.err.find("[clwleak] AddressSanitizer manages"), std::string::npos)
      << run.result.err;
  EXPECT_TRUE(run.files.empty());
}

}  // namespace
}  // namespace clwleak::testing
