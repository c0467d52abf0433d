// The text report's numbers in words people read: request rates without e-notation at any
// magnitude, and a limit that is already passed said as such instead of "0s".
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.h"

namespace clwleak {
namespace {

using testing::RunAnalyzer;
using testing::TempPath;
using testing::WorkerScenario;
using testing::WriteSyntheticWorker;

std::string Line(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

TEST(ReportPhrases, RequestRateIsAPlainNumberAtEveryMagnitude) {
  const struct {
    int requests_per_snapshot;
    double seconds_per_snapshot;
    const char* rate;
  } cases[] = {{5000, 5, "1,000"}, {75000, 5, "15,000"}, {200, 5, "40"}, {10, 4, "2.5"},
               {1, 3, "0.333"}};
  for (const auto& c : cases) {
    WorkerScenario scenario;
    scenario.snapshots = 40;
    scenario.requests_per_snapshot = c.requests_per_snapshot;
    scenario.seconds_per_snapshot = c.seconds_per_snapshot;
    const std::string path = TempPath("rate_" + std::to_string(c.requests_per_snapshot) + ".pb");
    WriteSyntheticWorker(path, scenario);
    auto run = RunAnalyzer({path});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string line = Line(run.out, "  requests:");
    EXPECT_NE(line.find(std::string("(") + c.rate + " per second after the warm-up)"),
              std::string::npos)
        << line;
    EXPECT_EQ(line.find("e+"), std::string::npos) << line;
  }
}

TEST(ReportPhrases, LimitAlreadyPassedIsSaidSo) {
  // The synthetic worker ends with 1.35 GiB in use.
  auto over = RunAnalyzer({"--memory-limit", "1Gi", testing::WorkerFile()});
  ASSERT_EQ(over.exit_code, 0) << over.err;
  EXPECT_EQ(Line(over.out, "[clw] Estimated time to OOM:"),
            "[clw] Estimated time to OOM: the limit is already passed, by 361 MiB (limit 1.0 GiB "
            "from --memory-limit, 1.35 GiB in use)");
  auto under = RunAnalyzer({"--memory-limit", "1.5Gi", testing::WorkerFile()});
  EXPECT_EQ(Line(under.out, "[clw] Estimated time to OOM:"),
            "[clw] Estimated time to OOM: 10m 38s (limit 1.5 GiB from --memory-limit, 1.35 GiB "
            "in use)");
}

}  // namespace
}  // namespace clwleak
