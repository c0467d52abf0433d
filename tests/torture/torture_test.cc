// Torture tests of the preload: every scenario of programs/torture.cc runs without the preload,
// then under it in exact mode and at the default rate. Under the preload it must finish in time,
// print exactly the same, exit the same way, write no warning, and leave files that decode.
#include <gtest/gtest.h>

#include "program_runner.h"
#include "snapshot_reader.h"

namespace clwleak::testing {
namespace {

struct Scenario {
  const char* name;
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;
};

class Torture : public ::testing::TestWithParam<Scenario> {};

TEST_P(Torture, SameOutputNoHangDecodableFiles) {
  const Scenario& scenario = GetParam();
  std::vector<std::string> argv = {TORTURE_PROGRAM, scenario.name};
  argv.insert(argv.end(), scenario.extra_args.begin(), scenario.extra_args.end());

  ProgramOptions bare;
  bare.argv = argv;
  bare.preload = false;
  bare.timeout_seconds = 60;
  ProgramResult expected = RunProgram(bare);
  ASSERT_FALSE(expected.timed_out);
  ASSERT_TRUE(expected.exited) << expected.err;

  for (const char* rate : {"1", "256K"}) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const std::string directory = MakeTempDir(scenario.name);
    ProgramOptions options = bare;
    options.preload = true;
    options.timeout_seconds = 90;
    options.env = scenario.env;
    options.env["CLWLEAK_SAMPLE_RATE"] = rate;
    options.env["CLWLEAK_OUTPUT"] = directory + "/%e.%p.pb";
    options.env.emplace("CLWLEAK_INTERVAL", "50ms");
    ProgramResult result = RunProgram(options);
    ASSERT_FALSE(result.timed_out) << "hung: " << result.out;
    EXPECT_EQ(result.exited, expected.exited);
    EXPECT_EQ(result.exit_code, expected.exit_code) << result.err;
    EXPECT_EQ(result.out, expected.out);
    EXPECT_EQ(result.err.find("[clwleak]"), std::string::npos) << result.err;

    std::vector<std::string> files = ListFiles(directory);
    EXPECT_FALSE(files.empty());
    for (const std::string& file : files) {
      analysis::WholeFile profile = analysis::ReadWholeFile(file);
      EXPECT_TRUE(profile.opened) << file << ": " << profile.error;
      EXPECT_NE(profile.end, analysis::ReadStatus::kError) << file << ": " << profile.error;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Preload, Torture,
    ::testing::Values(Scenario{"thread_churn", {}, {}},
                      Scenario{"fork_storm", {}, {{"CLWLEAK_CHILDREN", "follow"}}},
                      Scenario{"fork_storm", {}, {{"CLWLEAK_CHILDREN", "off"}}},
                      Scenario{"fork_while_unwinding", {}, {{"CLWLEAK_CHILDREN", "follow"}}},
                      Scenario{"vfork_exec", {}, {}},
                      Scenario{"dlopen_threads", {PLUGIN_LIBRARY}, {}},
                      Scenario{"signals", {}, {}},
                      Scenario{"signals_single_thread", {}, {}},
                      Scenario{"exit_paths", {}, {}},
                      Scenario{"longjmp", {}, {}},
                      Scenario{"early_blocks", {}, {}},
                      Scenario{"exit_mid_snapshot", {}, {}},
                      Scenario{"atexit_storm", {}, {}}),
    [](const ::testing::TestParamInfo<Scenario>& info) {
      std::string name = info.param.name;
      auto children = info.param.env.find("CLWLEAK_CHILDREN");
      if (children != info.param.env.end()) name += "_children_" + children->second;
      return name;
    });

}  // namespace
}  // namespace clwleak::testing
