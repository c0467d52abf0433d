// The baseline gate names the sites that moved: grew (above the allowed increase), appeared (leak
// now, not in the baseline) and disappeared, with their before and after rates, in the gate line
// (stderr, text), in JSON (gate.checks[].sites) and in JUnit; exact mode and sampled.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::RunAnalyzer;
using testing::Slurp;
using testing::TempPath;
using testing::WorkerScenario;
using testing::WriteSyntheticWorker;

class BaselineSites : public ::testing::TestWithParam<uint64_t> {};

TEST_P(BaselineSites, NamesWhatGrewAppearedAndDisappeared) {
  const uint64_t rate = GetParam();
  const std::string tag = std::to_string(rate);
  WorkerScenario before;  // client_send leaks 6,200 B/request
  before.sample_rate_bytes = rate;
  before.leak_function = "old_path";  // leaks in the baseline only
  before.leak_scale = 0.5;
  const std::string baseline = TempPath("baseline_" + tag + ".pb");
  WriteSyntheticWorker(baseline, before);
  // Now: client_send (a new name: appeared) and Session::Remember (appeared) ... and in a second
  // pair of runs client_send grows by half.
  WorkerScenario after;
  after.sample_rate_bytes = rate;
  after.second_leak_bytes = 4096;
  const std::string run = TempPath("after_" + tag + ".pb");
  WriteSyntheticWorker(run, after);

  CommandRun gate = RunAnalyzer({"--baseline", baseline, "--max-increase", "10", run});
  EXPECT_EQ(gate.exit_code, 1) << gate.err;
  EXPECT_NE(gate.err.find("; sites: appeared: client_send (client.c:42) in libclient.so, 0 B → "),
            std::string::npos)
      << gate.err;
  EXPECT_NE(gate.err.find("; appeared: Session::Remember(Token const&) (session.cc:55) in "
                          "clw-worker, 0 B → "),
            std::string::npos)
      << gate.err;
  EXPECT_NE(gate.err.find("; disappeared: old_path (client.c:42) in libclient.so, "),
            std::string::npos)
      << gate.err;
  EXPECT_NE(gate.err.find(" → 0 B per 1,000 requests; top site:"), std::string::npos) << gate.err;

  CommandRun json_run =
      RunAnalyzer({"--format", "json", "--baseline", baseline, "--max-increase", "10", run});
  ASSERT_EQ(json_run.exit_code, 1);
  const auto json = nlohmann::json::parse(json_run.out);
  const auto& sites = json["gate"]["checks"][0]["sites"];
  ASSERT_EQ(sites.size(), 3u) << sites.dump();
  EXPECT_EQ(sites[0]["change"], "appeared");
  EXPECT_EQ(sites[0]["site"], "client_send (client.c:42) in libclient.so");
  EXPECT_EQ(sites[0]["before"], 0);
  const double tolerance = rate == 1 ? 0.01 : 0.25;
  EXPECT_NEAR(sites[0]["after"].get<double>(), 6.2e6, 6.2e6 * tolerance);
  EXPECT_EQ(sites[1]["change"], "appeared");
  EXPECT_NEAR(sites[1]["after"].get<double>(), 4.096e6, 4.096e6 * tolerance);
  EXPECT_EQ(sites[2]["change"], "disappeared");
  EXPECT_EQ(sites[2]["site"], "old_path (client.c:42) in libclient.so");
  EXPECT_NEAR(sites[2]["before"].get<double>(), 3.1e6, 3.1e6 * tolerance);
  EXPECT_EQ(sites[2]["after"], 0);

  // Grew: the same site, half as much again; within the allowance it is not listed.
  WorkerScenario worse;
  worse.sample_rate_bytes = rate;
  worse.leak_scale = 1.5;
  const std::string worse_run = TempPath("worse_" + tag + ".pb");
  WriteSyntheticWorker(worse_run, worse);
  WorkerScenario same;
  same.sample_rate_bytes = rate;
  const std::string same_run = TempPath("same_" + tag + ".pb");
  WriteSyntheticWorker(same_run, same);
  const std::string junit = TempPath("baseline_" + tag + ".xml");
  CommandRun grew = RunAnalyzer({"--format", "junit", "-o", junit, "--baseline", same_run,
                                 "--max-increase", "20", worse_run});
  EXPECT_EQ(grew.exit_code, 1) << grew.err;
  EXPECT_NE(grew.err.find("; sites: grew: client_send (client.c:42) in libclient.so, "),
            std::string::npos)
      << grew.err;
  const std::string xml = Slurp(junit);
  EXPECT_NE(xml.find("sites since the baseline:\n  grew: client_send (client.c:42) in "
                     "libclient.so, "),
            std::string::npos)
      << xml;
  CommandRun within = RunAnalyzer({"--format", "json", "--baseline", same_run, "--max-increase",
                                   "80", worse_run});
  EXPECT_EQ(within.exit_code, 0) << within.err;
  EXPECT_EQ(nlohmann::json::parse(within.out)["gate"]["checks"][0]["sites"].size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(ExactAndSampled, BaselineSites, ::testing::Values(1u, 65536u));

}  // namespace
}  // namespace clwleak
