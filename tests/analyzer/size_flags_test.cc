// clw-leak-analyze reads every size flag in the grammar it shares with the preload
// (common/quantity.h): Kubernetes quantities are accepted, "100MB" is refused as ambiguous with
// exit 2 and a message that says how to write it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_runner.h"

namespace clwleak {
namespace {

using testing::RunAnalyzer;
using testing::WorkerFile;

std::string Line(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

TEST(SizeFlags, MemoryLimitTakesKubernetesQuantities) {
  const struct {
    const char* flag;
    const char* shown;
  } cases[] = {{"1.5Gi", "limit 1.5 GiB from --memory-limit"},
               {"2G", "limit 1.86 GiB from --memory-limit"},
               {"2000000000", "limit 1.86 GiB from --memory-limit"},
               {"1536Mi", "limit 1.5 GiB from --memory-limit"},
               {"4GiB", "limit 4.0 GiB from --memory-limit"},
               {"1572864Ki", "limit 1.5 GiB from --memory-limit"}};
  for (const auto& c : cases) {
    auto run = RunAnalyzer({"--memory-limit", c.flag, WorkerFile()});
    EXPECT_EQ(run.exit_code, 0) << c.flag << ": " << run.err;
    EXPECT_NE(Line(run.out, "[clw] Estimated time to OOM:").find(c.shown), std::string::npos)
        << c.flag << ": " << run.out;
  }
}

TEST(SizeFlags, GatesTakeKubernetesQuantities) {
  // The worker leaks 6,200 B per request: 6.2 MB (5.91 MiB) per 1000 requests.
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "6.3M", WorkerFile()}).exit_code, 0);
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "6.1M", WorkerFile()}).exit_code, 1);
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "6Mi", WorkerFile()}).exit_code, 0);
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "5.8Mi", WorkerFile()}).exit_code, 1);
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak=6200k", WorkerFile()}).exit_code, 0);
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak=6100k", WorkerFile()}).exit_code, 1);
}

TEST(SizeFlags, AmbiguousAndMalformedSizesExit2) {
  const struct {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--memory-limit", "100MB"},
       "clw-leak-analyze: --memory-limit: '100MB' is ambiguous: write Mi, Gi (powers of 1024: "
       "1Mi = 1048576 bytes) or M, G (powers of 1000: 1M = 1000000 bytes)\n"},
      {{"--fail-on-leak", "64KB"}, "clw-leak-analyze: --fail-on-leak: '64KB' is ambiguous"},
      {{"--fail-on-leak-per-hour", "2g"},
       "clw-leak-analyze: --fail-on-leak-per-hour: '2g' is ambiguous"},
      {{"--memory-limit", "lots"},
       "clw-leak-analyze: --memory-limit: 'lots' is not a size (e.g. 4096, 64Ki, 512Mi, 1.5Gi, "
       "2G)\n"},
      {{"--memory-limit", "4Qi"},
       "clw-leak-analyze: --memory-limit: '4Qi' has an unknown size unit (use Ki, Mi, Gi, Ti for "
       "powers of 1024; k, M, G, T for powers of 1000; or plain bytes)\n"},
      {{"--memory-limit", "99999999999Ti"},
       "clw-leak-analyze: --memory-limit: '99999999999Ti' is too large\n"},
      {{"--memory-limit", "0"}, "clw-leak-analyze: --memory-limit must be above zero\n"},
      {{"--warmup", "5y"}, "clw-leak-analyze: --warmup: '5y' is not a percentage"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    args.push_back(WorkerFile());
    auto run = RunAnalyzer(args);
    EXPECT_EQ(run.exit_code, 2) << c.message;
    EXPECT_EQ(run.err.rfind(c.message, 0), 0u) << run.err;
    EXPECT_TRUE(run.out.empty());
  }
}

TEST(SizeFlags, WarmupTakesTheSharedDurationGrammar) {
  for (const char* warmup : {"30s", "0.5m", "1.5m", "500ms", "45"}) {
    auto run = RunAnalyzer({"--warmup", warmup, WorkerFile()});
    EXPECT_EQ(run.exit_code, 0) << warmup << ": " << run.err;
  }
}

}  // namespace
}  // namespace clwleak
