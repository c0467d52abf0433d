// The analysis on files that libclwleak.so really wrote: a small leaky worker (programs/
// request_leaker.cc) runs under the preload, and the report must find its leak, attribute it to
// the right function and shared library, and measure its rate within 10% of the truth the program
// prints. The same file cut at every byte must give a report or a clear error, never a crash.
#include <gtest/gtest.h>

#include "analysis.h"
#include "program_runner.h"
#include "truncation_check.h"

namespace clwleak::analysis {
namespace {

using clwleak::testing::ListFiles;
using clwleak::testing::MakeTempDir;
using clwleak::testing::ProgramOptions;
using clwleak::testing::ProgramResult;
using clwleak::testing::RunProgram;
using clwleak::testing::ValueOf;

std::string WriteRealFile(const std::string& name, const std::string& requests,
                          const std::string& rate, ProgramResult* result) {
  const std::string directory = MakeTempDir(name);
  ProgramOptions options;
  options.argv = {REQUEST_LEAKER, requests, "2000"};
  options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"},
                 {"CLWLEAK_SAMPLE_RATE", rate},
                 {"CLWLEAK_INTERVAL", "50ms"}};
  *result = RunProgram(options);
  EXPECT_EQ(result->exit_code, 0) << result->err;
  std::vector<std::string> files = ListFiles(directory);
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? "" : files[0];
}

const SiteReport* LeakingSiteNamed(const FileReport& report, const std::string& function) {
  for (const SiteReport& site : report.sites) {
    if (site.classification != Classification::kLeak || site.site_frame < 0) continue;
    if (site.frames[site.site_frame].function == function) return &site;
  }
  return nullptr;
}

TEST(RealFile, LeakFoundAttributedAndMeasuredWithinTenPercent) {
  // 100,000 requests leaking 2000 bytes each: 200 MB at a 64 KiB sampling rate is ~3000 samples,
  // ~2700 of them in the window after warm-up: a relative standard deviation of 1/sqrt(2700) =
  // 1.9%, so 10% is over 5 standard deviations.
  ProgramResult result;
  const std::string path = WriteRealFile("real", "100000", "64K", &result);
  ASSERT_FALSE(path.empty());
  FileReport report;
  std::string error;
  ASSERT_TRUE(AnalyzeFile(path, {}, &report, &error)) << error;
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.requests, ValueOf(result.out, "requests"));
  EXPECT_GE(report.snapshots, 5u);

  const SiteReport* site = LeakingSiteNamed(report, "leaky_retain_buffer");
  ASSERT_NE(site, nullptr) << "no leaking site attributed to leaky_retain_buffer";
  EXPECT_EQ(site->module, "libleaky.so");
  EXPECT_TRUE(report.leak.detected);
  EXPECT_EQ(report.leak.module, "libleaky.so");

  const double truth = 1000.0 * static_cast<double>(ValueOf(result.out, "leaked_bytes_per_request"));
  ASSERT_TRUE(report.leak.per_n_requests.has_value());
  EXPECT_NEAR(report.leak.per_n_requests->value, truth, 0.10 * truth);
  EXPECT_LE(report.leak.per_n_requests->lo, report.leak.per_n_requests->hi);
  // The churn through leaky_churn is allocated and freed: never a leak.
  EXPECT_EQ(LeakingSiteNamed(report, "leaky_churn"), nullptr);
}

TEST(RealFile, EveryTruncationOfARealFileIsAReportOrAClearError) {
  ProgramResult result;
  const std::string path = WriteRealFile("real_small", "3000", "1", &result);
  ASSERT_FALSE(path.empty());
  ExpectEveryTruncationReportsOrFails(path);
}

}  // namespace
}  // namespace clwleak::analysis
