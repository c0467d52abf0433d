// Suppressions (analyzer/lib/suppressions.h): LSan's leak:PATTERN syntax and matching, and what
// clw-leak-analyze does with them: suppressed sites are listed with their rate (text, JSON) and
// left out of the totals and the gates, in exact mode and at a sampled rate; the default file
// ./.clwleak-suppressions is read from the working directory; a bad file is exit 2 with its line.
#include "suppressions.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"

namespace clwleak {
namespace {

using analysis::FrameReport;
using analysis::ParseSuppressions;
using analysis::SuppressionPatternMatches;
using analysis::Suppressions;
using testing::CommandRun;
using testing::RunAnalyzer;
using testing::RunShell;
using testing::ShellQuote;
using testing::TempPath;
using testing::WorkerScenario;
using testing::WriteSyntheticWorker;

TEST(Suppressions, PatternsMatchAsInLeakSanitizer) {
  EXPECT_TRUE(SuppressionPatternMatches("client_send", "client_send"));
  EXPECT_TRUE(SuppressionPatternMatches("send", "client_send"));  // anywhere, unanchored
  EXPECT_TRUE(SuppressionPatternMatches("^client", "client_send"));
  EXPECT_FALSE(SuppressionPatternMatches("^send", "client_send"));
  EXPECT_TRUE(SuppressionPatternMatches("send$", "client_send"));
  EXPECT_FALSE(SuppressionPatternMatches("client$", "client_send"));
  EXPECT_TRUE(SuppressionPatternMatches("Cache::*Put", "LruCache::Put"));
  EXPECT_TRUE(SuppressionPatternMatches("^Lru*::Put$", "LruCache::Put"));
  EXPECT_FALSE(SuppressionPatternMatches("^Lru*::Get$", "LruCache::Put"));
  EXPECT_TRUE(SuppressionPatternMatches("libclient.so", "/opt/clw/lib/libclient.so"));
  EXPECT_FALSE(SuppressionPatternMatches("libclient.so", ""));
  // Many stars against a long text stay fast (no exponential backtracking).
  EXPECT_FALSE(SuppressionPatternMatches("a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(Suppressions, FileSyntax) {
  Suppressions rules;
  std::string error;
  ASSERT_TRUE(ParseSuppressions("# third-party\n\n  leak:libvendor.so  \nleak:Parser::*\n",
                                "s.txt", &rules, &error))
      << error;
  ASSERT_EQ(rules.rules.size(), 2u);
  EXPECT_EQ(rules.rules[0].pattern, "libvendor.so");
  EXPECT_EQ(rules.rules[0].source, "s.txt:3");
  EXPECT_EQ(rules.rules[1].source, "s.txt:4");
  EXPECT_FALSE(ParseSuppressions("leak:ok\nrace:foo\n", "s.txt", &rules, &error));
  EXPECT_EQ(error, "s.txt:2: 'race:foo' is not a leak suppression (write leak:PATTERN, with a "
                   "function, source file or module; # starts a comment)");
  EXPECT_FALSE(ParseSuppressions("leak:\n", "s.txt", &rules, &error));
  EXPECT_EQ(error, "s.txt:1: 'leak:' needs a pattern (a function, source file or module)");
  EXPECT_FALSE(ParseSuppressions("leak:*\n", "s.txt", &rules, &error));
  EXPECT_EQ(error, "s.txt:1: 'leak:*' would suppress every leak; name a function, source file or "
                   "module");
  FrameReport frame;
  frame.function = "vendor_alloc";
  frame.file = "src/vendor/alloc.c";
  frame.module = "libvendor.so";
  frame.module_path = "/usr/lib/libvendor.so";
  Suppressions by_file;
  ASSERT_TRUE(ParseSuppressions("leak:vendor/alloc.c\n", "f", &by_file, &error));
  EXPECT_NE(analysis::MatchSuppression(by_file, {frame}), nullptr);
  Suppressions other;
  ASSERT_TRUE(ParseSuppressions("leak:libother.so\n", "f", &other, &error));
  EXPECT_EQ(analysis::MatchSuppression(other, {frame}), nullptr);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string WriteText(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  WriteFile(path, text);
  return path;
}

// Two leaks (libclient.so's client_send at 6,200 B/request, and Session::Remember in the worker
// at 4,096 B/request); suppressing the first leaves only the second in the totals and the gates.
class SuppressedRun : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SuppressedRun, LeftOutOfTotalsAndGatesAndListedWithItsRate) {
  WorkerScenario scenario;
  scenario.sample_rate_bytes = GetParam();
  scenario.second_leak_bytes = 4096;
  const std::string file = TempPath("two_leaks_" + std::to_string(GetParam()) + ".pb");
  WriteSyntheticWorker(file, scenario);
  const std::string rules = WriteText("rules.supp", "# the vendor's known leak\nleak:libclient.so\n");

  CommandRun plain = RunAnalyzer({"--format", "json", file});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto all = nlohmann::json::parse(plain.out);
  CommandRun run = RunAnalyzer({"--suppressions", rules, "--format", "json", file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  ASSERT_EQ(json["suppressed_sites"].size(), 1u);
  const auto& suppressed = json["suppressed_sites"][0];
  EXPECT_EQ(suppressed["module"], "libclient.so");
  EXPECT_EQ(suppressed["suppressed_by"], "leak:libclient.so");
  EXPECT_EQ(suppressed["suppressed_at"], rules + ":2");
  const double suppressed_rate = suppressed["bytes_per_n_requests"].get<double>();
  EXPECT_NEAR(suppressed_rate, 6200.0 * 1000, 6200.0 * 1000 * (GetParam() == 1 ? 0.01 : 0.25));
  for (const auto& site : json["sites"]) EXPECT_NE(site["module"], "libclient.so");
  // The total is the remaining leak's: about 4,096 B/request, and below the unsuppressed one.
  const double total = json["leak"]["bytes_per_n_requests"].get<double>();
  EXPECT_NEAR(total, 4096.0 * 1000, 4096.0 * 1000 * (GetParam() == 1 ? 0.01 : 0.25));
  EXPECT_LT(total, all["leak"]["bytes_per_n_requests"].get<double>() - 5e6);
  ASSERT_EQ(json["modules"].size(), 1u);
  EXPECT_EQ(json["modules"][0]["module"], "clw-worker");

  // A gate between the two rates: fails without the suppression, passes with it.
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "8Mi", file}).exit_code, 1);
  EXPECT_EQ(RunAnalyzer({"--suppressions", rules, "--fail-on-leak", "8Mi", file}).exit_code, 0);

  CommandRun text = RunAnalyzer({"--suppressions", rules, file});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("[clw] Native memory leak detected in clw-worker\n"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("[clw] Suppressed: 1 known leak site (leak: rules), listed below, not "
                          "in the figures above\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("Suppressed (known leaks excused by leak: rules; not in the totals or "
                          "gates):\n  1. client_send (client.c:42) in libclient.so "
                          "[leak:libclient.so at " + rules + ":2]\n     "),
            std::string::npos)
      << text.out;
}

INSTANTIATE_TEST_SUITE_P(ExactAndSampled, SuppressedRun, ::testing::Values(1u, 65536u));

TEST(Suppressions, DefaultFileInTheWorkingDirectory) {
  const std::string directory = TempPath("suppressions_cwd");
  RunShell("rm -rf " + ShellQuote(directory) + " && mkdir -p " + ShellQuote(directory));
  WriteFile(directory + "/.clwleak-suppressions", "leak:client_send\n");
  const std::string file = testing::WorkerFile();
  const std::string in_dir = "cd " + ShellQuote(directory) + " && " + ShellQuote(CLW_LEAK_ANALYZE);
  CommandRun with_default = RunShell(in_dir + " --fail-on-leak 1Mi " + ShellQuote(file));
  EXPECT_EQ(with_default.exit_code, 0) << with_default.err;
  CommandRun listed = RunShell(in_dir + " " + ShellQuote(file));
  EXPECT_NE(listed.out.find("[leak:client_send at .clwleak-suppressions:1]"), std::string::npos)
      << listed.out;
  CommandRun opted_out =
      RunShell(in_dir + " --no-default-suppressions --fail-on-leak 1Mi " + ShellQuote(file));
  EXPECT_EQ(opted_out.exit_code, 1);
  // A named file replaces the default one.
  const std::string other = WriteText("other.supp", "leak:NoSuchFunction\n");
  CommandRun named =
      RunShell(in_dir + " --suppressions " + ShellQuote(other) + " --fail-on-leak 1Mi " +
               ShellQuote(file));
  EXPECT_EQ(named.exit_code, 1);
}

TEST(Suppressions, BadFileExits2NamingTheLine) {
  const std::string bad = WriteText("bad.supp", "leak:ok\n\nleek:typo\n");
  CommandRun run = RunAnalyzer({"--suppressions", bad, testing::WorkerFile()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "clw-leak-analyze: --suppressions: " + bad +
                         ":3: 'leek:typo' is not a leak suppression (write leak:PATTERN, with a "
                         "function, source file or module; # starts a comment)\n");
  CommandRun missing = RunAnalyzer({"--suppressions", TempPath("none.supp"), testing::WorkerFile()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "clw-leak-analyze: --suppressions: " + TempPath("none.supp") +
                             ": cannot read the suppressions file\n");
}

}  // namespace
}  // namespace clwleak
