// Tests of the clw-leak-analyze binary: the report's first lines, JSON fields, exit codes and
// messages for unreadable input and usage errors, each gate passing and failing, several files,
// and a truncated file at every byte offset (never a crash: a report or a clear error).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "age_scenarios.h"
#include "cli_runner.h"
#include "synthetic_worker.h"
#include "synthetic_writer.h"
#include "test_paths.h"

namespace clwleak {
namespace {

using testing::TempPath;
using testing::WorkerScenario;
using testing::WorkerTruth;
using testing::WriteSyntheticWorker;

using CliRun = testing::CommandRun;
using testing::Slurp;

using testing::Lines;
using testing::RunAnalyzer;
using testing::WorkerFile;

TEST(CliTest, HelpAndVersion) {
  CliRun help = RunAnalyzer({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: clw-leak-analyze [OPTIONS] FILE..."), std::string::npos);
  EXPECT_NE(help.out.find("--fail-on-leak-per-hour"), std::string::npos);
  EXPECT_NE(help.out.find("pprof (gzipped profile.proto"), std::string::npos);
  EXPECT_NE(help.out.find("html (one\n"), std::string::npos);
  EXPECT_NE(help.out.find("--color WHEN"), std::string::npos);
  EXPECT_NE(help.out.find("progress"), std::string::npos);
  CliRun version = RunAnalyzer({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(std::regex_match(version.out, std::regex("clw-leak-analyze \\d+\\.\\d+\\.\\d+\n")))
      << version.out;
}

TEST(CliTest, UsageErrorsExit2WithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{}, "no input file"},
      {{"--bogus", "x.pb"}, "unknown option --bogus"},
      {{"--fail-on-leak", "12XB", "x.pb"}, "--fail-on-leak: '12XB' has an unknown size unit"},
      {{"--per", "0", "x.pb"}, "--per: '0' is not a positive whole number"},
      {{"--format", "xml", "x.pb"}, "--format: 'xml' is not supported"},
      {{"--max-increase", "10", "x.pb"}, "--max-increase needs --baseline FILE"},
      {{"--baseline", "b.pb", "x.pb"}, "--baseline needs --max-increase PCT"},
      {{"--warmup", "150%", "x.pb"}, "--warmup: '150%' must be a percentage"},
      {{"--request-rate", "-3", "x.pb"}, "--request-rate: '-3' is not a positive number"},
      {{"--memory-limit"}, "--memory-limit needs a value"},
      {{"--color=sometimes", "x.pb"}, "--color: 'sometimes' is not auto, always or never"},
  };
  for (const Case& c : cases) {
    CliRun run = RunAnalyzer(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.message;
    EXPECT_NE(run.err.find("clw-leak-analyze: " + c.message), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty());
  }
}

TEST(CliTest, TextReportOpensWithTheThreeAnswers) {
  CliRun run = RunAnalyzer({WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "[clw] Native memory leak detected in libclient.so");
  // 6,200 bytes per request = 5.91 MiB per 1000 requests, exact mode: a tight interval.
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex("\\[clw\\] Leaked: 5\\.91 MiB per 1000 requests \\(95% CI "
                           "5\\.9\\d?–5\\.9\\d?\\)")))
      << lines[1];
  // Headroom 2 GiB - in use, growth 6,200 B/request * 40 requests/s.
  EXPECT_TRUE(std::regex_match(
      lines[2], std::regex("\\[clw\\] Estimated time to OOM: \\d+m \\d+s \\(limit 2\\.0 GiB from "
                           "cgroup memory\\.max, 1\\.\\d+ GiB in use\\)")))
      << lines[2];
  EXPECT_NE(run.out.find("Leaking sites, worst first:\n  1. client_send (client.c:42) in "
                         "libclient.so\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("Leaks by module:\n  libclient.so: 5.91 MiB per 1000 requests"),
            std::string::npos);
  EXPECT_NE(run.out.find("Bounded growth (grew, then plateaued; not a leak):\n  1. Cache::Put(Key, "
                         "Value) (cache.cc:19) in clw-worker"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("  complete:        true"), std::string::npos);
  EXPECT_NE(run.out.find("  sample rate:     every allocation (exact)"), std::string::npos);
  EXPECT_NE(run.out.find("  dropped samples: 0\n"), std::string::npos);
  EXPECT_NE(run.out.find("  requests:        20,000 (40 per second after the warm-up)"),
            std::string::npos)
      << run.out;
  EXPECT_TRUE(run.err.empty()) << run.err;
}

TEST(CliTest, NoLeakSaysSo) {
  const std::string path = TempPath("cli_no_leak.pb");
  WorkerScenario scenario;
  scenario.leak_scale = 0;
  WriteSyntheticWorker(path, scenario);
  CliRun run = RunAnalyzer({path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  EXPECT_EQ(lines[0],
            "[clw] No leak detected (1 stack grew, then plateaued: see bounded growth)");
  EXPECT_EQ(lines[1].rfind("[clw] Estimated time to OOM: none projected, nothing grows", 0), 0u)
      << lines[1];
}

TEST(CliTest, JsonReportCarriesTheSchemaFields) {
  const std::string output = TempPath("cli_report.json");
  CliRun run = RunAnalyzer({"--format", "json", "-o", output, "--per", "100", WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.out.empty());
  const nlohmann::json json = nlohmann::json::parse(Slurp(output));
  EXPECT_EQ(json["schema"], "clwleak-report/1");
  EXPECT_EQ(json["process"]["pid"], 4242);
  EXPECT_EQ(json["process"]["exe"], "/usr/bin/clw-worker");
  EXPECT_EQ(json["process"]["cmdline"][1], "--queue=default");
  EXPECT_EQ(json["process"]["host"], "testhost");
  EXPECT_DOUBLE_EQ(json["duration_s"].get<double>(), 500.0);
  EXPECT_EQ(json["snapshots"], 100);
  EXPECT_EQ(json["requests"], 20000);
  EXPECT_EQ(json["complete"], true);
  EXPECT_EQ(json["sample_rate_bytes"], 1);
  EXPECT_EQ(json["memory"]["limit_bytes"], 2147483648.0);
  EXPECT_EQ(json["memory"]["limit_source"], "cgroup memory.max");
  EXPECT_GT(json["memory"]["in_use_bytes"].get<double>(), 1.0e9);
  EXPECT_GT(json["memory"]["heap_live_bytes"].get<double>(), 0);
  EXPECT_EQ(json["leak"]["per_requests"], 100);
  EXPECT_NEAR(json["leak"]["bytes_per_n_requests"].get<double>(), 620000, 0.02 * 620000);
  EXPECT_NEAR(json["leak"]["bytes_per_hour"].get<double>(), 6200.0 * 40 * 3600,
              0.02 * 6200.0 * 40 * 3600);
  ASSERT_EQ(json["leak"]["ci95"].size(), 2u);
  EXPECT_LE(json["leak"]["ci95"][0].get<double>(), 620000 * 1.0001);
  EXPECT_GE(json["leak"]["ci95"][1].get<double>(), 620000 * 0.9999);
  EXPECT_GT(json["time_to_oom_s"].get<double>(), 0);
  const auto& site = json["sites"][0];
  EXPECT_EQ(site["classification"], "leak");
  EXPECT_EQ(site["module"], "libclient.so");
  EXPECT_GT(site["live_bytes"].get<double>(), 0);
  EXPECT_GT(site["live_count"].get<double>(), 0);
  EXPECT_TRUE(site["bytes_per_n_requests"].is_number());
  EXPECT_TRUE(site["bytes_per_hour"].is_number());
  EXPECT_EQ(site["frames"][1]["function"], "client_send");
  EXPECT_EQ(site["frames"][1]["file"], "client.c");
  EXPECT_EQ(site["frames"][1]["line"], 42);
  EXPECT_EQ(site["frames"][1]["module"], "libclient.so");
  EXPECT_EQ(site["frames"][1]["address"].get<std::string>().rfind("0x", 0), 0u);
  std::vector<std::string> classes;
  for (const auto& s : json["sites"]) classes.push_back(s["classification"]);
  EXPECT_EQ(classes, (std::vector<std::string>{"leak", "bounded", "stable", "stable"}));
  EXPECT_EQ(json["modules"][0]["module"], "libclient.so");
  EXPECT_TRUE(json["modules"][0]["bytes_per_n_requests"].is_number());
  EXPECT_TRUE(json["modules"][0]["bytes_per_hour"].is_number());
  EXPECT_EQ(json["gate"]["passed"], true);
  EXPECT_TRUE(json["gate"]["failures"].empty());
  EXPECT_EQ(json["gate"]["outcome"], "passed");
  EXPECT_EQ(json["verdict"], "leak");
  EXPECT_TRUE(json["verdict_reasons"].empty());
  EXPECT_EQ(site["inconclusive_reason"], nullptr);
  EXPECT_EQ(json["ages"], false);
  ASSERT_EQ(json["leak"]["bound_per_n_requests"].size(), 2u);
}

// A test binary that exits within one snapshot interval (age_scenarios.h): 20,000 requests in
// 1 s, `leak_bytes` leaked per request.
std::string ShortRunFile(const std::string& name, uint64_t sample_rate, uint64_t leak_bytes,
                         uint64_t seed = 1) {
  testing::AgeScenario scenario;
  scenario.sample_rate_bytes = sample_rate;
  scenario.seed = seed;
  scenario.sites = {{testing::Behaviour::kLeak, leak_bytes}};
  const std::string path = TempPath(name);
  testing::WriteAgeScenario(path, scenario);
  return path;
}

TEST(CliTest, ShortRunLeakFailsTheGateInExactModeAndNeverPassesSampled) {
  const std::string exact = ShortRunFile("cli_short_exact.pb", 1, 4096);
  CliRun run = RunAnalyzer({"--fail-on-leak", "1MiB", exact});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(Lines(run.out)[0].rfind("[clw] Native memory leak detected in libsite.so", 0), 0u)
      << run.out;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const std::string sampled = ShortRunFile("cli_short_sampled.pb", 256 * 1024, 4096, seed);
    run = RunAnalyzer({"--fail-on-leak", "1MiB", sampled});
    EXPECT_TRUE(run.exit_code == 1 || run.exit_code == 3) << run.exit_code << run.err;
    // 64 bytes per request: about 5 samples, never a passed gate, never "No leak detected".
    const std::string thin = ShortRunFile("cli_short_thin.pb", 256 * 1024, 64, seed);
    run = RunAnalyzer({"--fail-on-leak", "1KiB", thin});
    EXPECT_TRUE(run.exit_code == 1 || run.exit_code == 3) << run.exit_code << run.err;
    EXPECT_EQ(run.out.find("No leak detected"), std::string::npos) << run.out;
  }
}

TEST(CliTest, InconclusiveGateExits3UnlessInconclusivePass) {
  const std::string thin = ShortRunFile("cli_inconclusive.pb", 256 * 1024, 64, 2);
  CliRun run = RunAnalyzer({"--fail-on-leak", "1KiB", thin});
  ASSERT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_EQ(run.err.rfind("[clw] gate inconclusive: --fail-on-leak 1.0 KiB per 1,000 requests: "
                          "inconclusive: measured ", 0),
            0u)
      << run.err;
  EXPECT_NE(run.out.find("\nGates: INCONCLUSIVE (the leak rate's 95% interval straddles a "
                         "limit)\n"),
            std::string::npos)
      << run.out;
  const std::vector<std::string> lines = Lines(run.out);
  EXPECT_EQ(lines[0].rfind("[clw] Leak not ruled out: ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("[clw] To decide: run in exact mode (CLWLEAK_SAMPLE_RATE=1)"),
            std::string::npos)
      << run.out;
  // Not "nothing grows" on a run that could not rule a leak out.
  EXPECT_EQ(run.out.find("nothing grows"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("[clw] Estimated time to OOM: none projected, no leak measured (one is "
                         "not ruled out)"),
            std::string::npos)
      << run.out;

  run = RunAnalyzer({"--fail-on-leak", "1KiB", "--inconclusive=pass", thin});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\nGates: inconclusive, passed by --inconclusive=pass\n"),
            std::string::npos)
      << run.out;
  run = RunAnalyzer({"--fail-on-leak", "1KiB", "--inconclusive", "fail", thin});
  EXPECT_EQ(run.exit_code, 3);
  run = RunAnalyzer({"--inconclusive=maybe", thin});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--inconclusive: 'maybe' is not fail or pass"), std::string::npos);

  // The JSON report says why and what would decide it; the gate is typed.
  const std::string output = TempPath("cli_inconclusive.json");
  run = RunAnalyzer({"--format", "json", "-o", output, "--fail-on-leak", "1KiB", thin});
  EXPECT_EQ(run.exit_code, 3);
  const nlohmann::json json = nlohmann::json::parse(Slurp(output));
  EXPECT_EQ(json["verdict"], "inconclusive");
  ASSERT_FALSE(json["verdict_reasons"].empty());
  EXPECT_EQ(json["ages"], true);
  EXPECT_EQ(json["gate"]["passed"], false);
  EXPECT_EQ(json["gate"]["outcome"], "inconclusive");
  EXPECT_TRUE(json["gate"]["failures"].empty());
  ASSERT_EQ(json["gate"]["inconclusive"].size(), 1u);
  ASSERT_EQ(json["gate"]["checks"].size(), 1u);
  EXPECT_EQ(json["gate"]["checks"][0]["outcome"], "inconclusive");
  EXPECT_EQ(json["gate"]["checks"][0]["limit"], 1024.0);
  EXPECT_LE(json["gate"]["checks"][0]["ci95"][0].get<double>(), 1024.0);
  EXPECT_GT(json["gate"]["checks"][0]["ci95"][1].get<double>(), 1024.0);
  bool remedies = false;
  for (const auto& reason : json["verdict_reasons"]) {
    for (const auto& remedy : reason["remedies"]) remedies = remedies || remedy == "exact_mode";
  }
  EXPECT_TRUE(remedies);
}

TEST(CliTest, LeakThatStartedLateIsReportedFromItsOnset) {
  testing::AgeScenario scenario;
  scenario.seconds = 60;
  scenario.requests = 60000;
  testing::SiteBehaviour leak{testing::Behaviour::kLeak, 2048};
  leak.start = 0.5;
  scenario.sites = {leak};
  const std::string path = TempPath("cli_late.pb");
  testing::WriteAgeScenario(path, scenario);
  CliRun run = RunAnalyzer({path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  EXPECT_EQ(lines[1], "[clw] Leaked: 1.95 MiB per 1000 requests (95% CI 1.95–1.95)") << run.out;
  EXPECT_EQ(lines[2].rfind("[clw] The leak at site (site.cc:10) in libsite.so started after "
                           "request 25,110; its rate is measured from request 30,110",
                           0),
            0u)
      << run.out;
}

TEST(CliTest, UnreadableInputExits2NamingTheFile) {
  const std::string garbage = TempPath("cli_garbage.pb");
  {
    std::mt19937 rng(3);
    std::ofstream out(garbage, std::ios::binary);
    for (int i = 0; i < 10000; ++i) out.put(static_cast<char>(rng()));
  }
  CliRun run = RunAnalyzer({garbage});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("clw-leak-analyze: " + garbage +
                         ": not a clwleak snapshot file (those are zstd-compressed"),
            std::string::npos)
      << run.err;

  const std::string v2 = TempPath("cli_v2.pb");
  {
    proto::Header header = testing::MakeHeader(1);
    header.set_format_version(2);
    testing::SyntheticWriter writer(v2);
    writer.WriteMessage(header);
    writer.Close();
  }
  run = RunAnalyzer({v2});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(v2 + ": unknown format version 2 (this reader knows version 1)"),
            std::string::npos)
      << run.err;

  run = RunAnalyzer({TempPath("cli_missing.pb")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("cannot open: No such file or directory"), std::string::npos);

  // Only unreadable files: nothing to report.
  run = RunAnalyzer({garbage, v2});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("clw-leak-analyze: none of the 2 files could be read"), std::string::npos)
      << run.err;
}

// A batch with an empty, a truncated, a corrupt and a text file among two valid ones (a full
// disk, a process killed in its first milliseconds): every valid file is reported, each other one
// is named with why, and the gates count them as inconclusive (exit 3), never as passed.
TEST(CliTest, BatchReportsEveryReadableFileAndNamesTheOthers) {
  const std::string second = TempPath("cli_batch_2.pb");
  WorkerScenario scenario;
  scenario.seed = 5;
  WriteSyntheticWorker(second, scenario);
  const std::string empty = TempPath("cli_batch_empty.pb");
  const std::string truncated = TempPath("cli_batch_truncated.pb");
  const std::string corrupt = TempPath("cli_batch_corrupt.pb");
  const std::string text = TempPath("cli_batch_text.pb");
  std::ofstream(empty, std::ios::binary).close();
  const std::string whole = Slurp(WorkerFile());
  std::ofstream(truncated, std::ios::binary) << whole.substr(0, 20);
  std::string damaged = whole;
  for (size_t i = 0; i < damaged.size(); ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
  std::ofstream(corrupt, std::ios::binary) << damaged;
  std::ofstream(text, std::ios::binary) << "not a snapshot\n";

  const std::vector<std::string> bad = {empty, truncated, corrupt, text};
  CliRun run = RunAnalyzer({WorkerFile(), empty, truncated, second, corrupt, text});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("== " + WorkerFile() + " ==\n[clw] Native memory leak detected"),
            std::string::npos);
  EXPECT_NE(run.out.find("== " + second + " ==\n[clw] Native memory leak detected"),
            std::string::npos);
  EXPECT_NE(run.out.find("== Across 2 files =="), std::string::npos);
  EXPECT_NE(run.out.find("Not read (4 of 6 files):"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("  " + empty + ": empty file, not a clwleak snapshot file"),
            std::string::npos)
      << run.out;
  for (const std::string& path : bad) {
    EXPECT_NE(run.err.find("clw-leak-analyze: skipped " + path + ": "), std::string::npos)
        << path << "\n" << run.err;
  }

  CliRun json_run = RunAnalyzer({"--format", "json", WorkerFile(), empty, second, corrupt});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const nlohmann::json json = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(json["files_analyzed"], 2);
  ASSERT_EQ(json["skipped"].size(), 2u);
  EXPECT_EQ(json["skipped"][0]["file"], empty);
  EXPECT_EQ(json["skipped"][0]["reason"], "empty file, not a clwleak snapshot file");
  EXPECT_EQ(json["skipped"][1]["file"], corrupt);

  // A gate the readable files pass: the unreadable ones make it inconclusive, one JUnit failure each.
  CliRun gated = RunAnalyzer({"--fail-on-leak", "1GiB", "--format", "junit", WorkerFile(), empty});
  EXPECT_EQ(gated.exit_code, 3) << gated.err;
  EXPECT_NE(gated.out.find("tests=\"2\" failures=\"1\""), std::string::npos) << gated.out;
  EXPECT_NE(gated.out.find("type=\"clwleak.Unreadable\" message=\"--fail-on-leak 1.0 GiB per "
                           "1,000 requests: inconclusive: " + empty + " could not be read: empty "
                           "file, not a clwleak snapshot file\""),
            std::string::npos)
      << gated.out;
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "1GiB", "--inconclusive=pass", WorkerFile(), empty})
                .exit_code,
            0);
  // A gate a readable file fails still fails the run.
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "1KiB", WorkerFile(), empty}).exit_code, 1);
}

TEST(CliTest, KilledProcessFileIsReportedIncompleteWithExit0) {
  const std::string path = TempPath("cli_killed.pb");
  WorkerScenario scenario;
  scenario.final = false;
  WriteSyntheticWorker(path, scenario);
  CliRun run = RunAnalyzer({path});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // A post-mortem headline first: how it ended, what held the memory, the cause; then the leak.
  const std::vector<std::string> lines = Lines(run.out);
  EXPECT_EQ(lines[0].rfind("[clw] Worker process did not exit normally: ", 0), 0u) << run.out;
  EXPECT_EQ(lines[1].rfind("[clw] At its last snapshot (8m 20s, 20,000 requests): ", 0), 0u)
      << run.out;
  EXPECT_NE(run.out.find("\n[clw] Memory held: 118 MiB (69.9% of the heap) by client_send "
                         "(client.c:42) in libclient.so"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\n[clw] Cause: unbounded memory growth (a leak) in libclient.so: "),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\n[clw] Native memory leak detected in libclient.so\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("  complete:        false ("), std::string::npos) << run.out;
  CliRun json = RunAnalyzer({"--format", "json", path});
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["complete"], false);
  EXPECT_EQ(report["post_mortem"], true);
  EXPECT_EQ(report["oom_cause"]["cause"], "leak");
  EXPECT_EQ(report["held"]["end"]["modules"][0]["module"], "libclient.so");
}

// Every prefix of a small file: the analyzer never crashes; it writes a report that says
// complete: false, or exits 2 with a message that names the file.
TEST(CliTest, TruncatedAtEveryByteOffsetNeverCrashes) {
  const std::string path = TempPath("cli_small.pb");
  WorkerScenario scenario;
  scenario.snapshots = 8;
  scenario.requests_per_snapshot = 10;
  scenario.churn = false;
  WriteSyntheticWorker(path, scenario);
  const std::string bytes = Slurp(path);
  ASSERT_LT(bytes.size(), 4000u);
  const std::string cut = TempPath("cli_cut.pb");
  int reports = 0, errors = 0;
  // Every offset goes through the analysis in process (AnalysisTest covers that); the binary,
  // a process per run, takes every 25th offset and the last few, to stay fast under sanitizers.
  for (size_t length = 0; length < bytes.size(); ++length) {
    if (length % 25 != 0 && length + 8 < bytes.size()) continue;
    {
      std::ofstream out(cut, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(length));
    }
    CliRun run = RunAnalyzer({"--format", "json", cut});
    ASSERT_FALSE(run.signaled) << "length " << length;
    if (run.exit_code == 0) {
      ++reports;
      EXPECT_EQ(nlohmann::json::parse(run.out)["complete"], false) << "length " << length;
    } else {
      ++errors;
      EXPECT_EQ(run.exit_code, 2) << "length " << length;
      EXPECT_NE(run.err.find(cut + ": "), std::string::npos) << run.err;
    }
  }
  EXPECT_GT(reports, 0);
  EXPECT_GT(errors, 0);  // prefixes without a whole header
}

TEST(CliTest, FailOnLeakGate) {
  CliRun pass = RunAnalyzer({"--fail-on-leak", "10MiB", WorkerFile()});
  EXPECT_EQ(pass.exit_code, 0) << pass.err;
  EXPECT_NE(pass.out.find("\nGates: passed\n"), std::string::npos);
  EXPECT_TRUE(pass.err.empty());

  CliRun fail = RunAnalyzer({"--fail-on-leak", "1MiB", WorkerFile()});
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_EQ(fail.err, "[clw] gate failed: --fail-on-leak 1.0 MiB per 1,000 requests: measured "
                      "5.91 MiB per 1,000 requests (95% CI 5.91 MiB–5.91 MiB) in " + WorkerFile() +
                      "; top site: client_send (client.c:42) in libclient.so, 5.91 MiB per "
                      "1,000 requests\n");
  EXPECT_NE(fail.out.find("\nGates: FAILED\n"), std::string::npos);

  // Per 100 requests the same leak is 605 KiB.
  CliRun per100 = RunAnalyzer({"--per", "100", "--fail-on-leak", "600KiB", WorkerFile()});
  EXPECT_EQ(per100.exit_code, 1);
  EXPECT_NE(per100.err.find("measured 605 KiB per 100 requests"), std::string::npos)
      << per100.err;
}

TEST(CliTest, FailOnLeakPerHourGate) {
  // 6,200 B/request * 40 requests/s * 3600 s = 851 MiB per hour.
  CliRun pass = RunAnalyzer({"--fail-on-leak-per-hour", "1GiB", WorkerFile()});
  EXPECT_EQ(pass.exit_code, 0) << pass.err;
  CliRun fail = RunAnalyzer({"--fail-on-leak-per-hour", "100Mi", WorkerFile()});
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_EQ(fail.err.rfind("[clw] gate failed: --fail-on-leak-per-hour 100 MiB per hour: measured "
                           "851 MiB per hour (95% CI 851 MiB–851 MiB) in " + WorkerFile() +
                           "; top site: client_send (client.c:42) in libclient.so, 851 MiB per "
                           "hour\n", 0),
            0u)
      << fail.err;

  // Without request counts only the per-hour gate applies; the per-request one is a usage error.
  const std::string path = TempPath("cli_time_axis.pb");
  WorkerScenario scenario;
  scenario.count_requests = false;
  WriteSyntheticWorker(path, scenario);
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak-per-hour", "100M", path}).exit_code, 1);
  CliRun usage = RunAnalyzer({"--fail-on-leak", "1MiB", path});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find(path + ": --fail-on-leak needs request counts"), std::string::npos)
      << usage.err;
  EXPECT_EQ(RunAnalyzer({"--fail-on-leak", "1MiB", "--request-rate", "40", path}).exit_code, 1);
}

TEST(CliTest, BaselineGate) {
  const std::string baseline = TempPath("cli_baseline.pb");
  const std::string regressed = TempPath("cli_regressed.pb");
  WriteSyntheticWorker(baseline, WorkerScenario{});
  WorkerScenario worse;
  worse.leak_scale = 1.5;
  WriteSyntheticWorker(regressed, worse);

  EXPECT_EQ(RunAnalyzer({"--baseline", baseline, "--max-increase", "60", regressed}).exit_code, 0);
  CliRun fail = RunAnalyzer({"--baseline", baseline, "--max-increase", "20%", regressed});
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_EQ(fail.err, "[clw] gate failed: --baseline " + baseline +
                          " --max-increase 20%: measured 8.87 MiB per 1,000 requests (95% CI "
                          "8.87 MiB–8.87 MiB) in " +
                          regressed + ", baseline 5.91 MiB per 1,000 requests (+50%); sites: grew: "
                          "client_send (client.c:42) in libclient.so, 5.91 MiB → 8.87 MiB per "
                          "1,000 requests; top site: "
                          "client_send (client.c:42) in libclient.so, 8.87 MiB per 1,000 "
                          "requests\n");
  // An improvement passes even with a 0% allowance.
  EXPECT_EQ(RunAnalyzer({"--baseline", regressed, "--max-increase", "0", baseline}).exit_code, 0);

  CliRun missing = RunAnalyzer({"--baseline", TempPath("nope.pb"), "--max-increase", "5", baseline});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--baseline: "), std::string::npos);
}

TEST(CliTest, EveryFailedGateGetsItsOwnLine) {
  const std::string baseline = TempPath("cli_baseline_small.pb");
  WorkerScenario small;
  small.leak_scale = 0.5;
  WriteSyntheticWorker(baseline, small);
  CliRun run = RunAnalyzer({"--fail-on-leak", "1MiB", "--fail-on-leak-per-hour", "1MiB", "--baseline",
                         baseline, "--max-increase", "10", WorkerFile()});
  EXPECT_EQ(run.exit_code, 1);
  const std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 3u) << run.err;
  EXPECT_EQ(lines[0].rfind("[clw] gate failed: --fail-on-leak 1.0 MiB", 0), 0u);
  EXPECT_EQ(lines[1].rfind("[clw] gate failed: --fail-on-leak-per-hour 1.0 MiB", 0), 0u);
  EXPECT_EQ(lines[2].rfind("[clw] gate failed: --baseline ", 0), 0u);
}

TEST(CliTest, SeveralFilesGiveOneReportEachAndAnAggregate) {
  const std::string second = TempPath("cli_worker_2.pb");
  WorkerScenario scenario;
  scenario.seed = 9;
  scenario.sample_rate_bytes = 64 * 1024;
  WriteSyntheticWorker(second, scenario);
  CliRun run = RunAnalyzer({WorkerFile(), second});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Lines(run.out)[0], "== " + WorkerFile() + " ==");
  EXPECT_NE(run.out.find("== " + second + " ==\n[clw] Native memory leak detected in libclient.so"),
            std::string::npos);
  EXPECT_NE(run.out.find("== Across 2 files ==\n[clw] Native memory leak detected in libclient.so"),
            std::string::npos);
  EXPECT_NE(run.out.find("[leaking in 2 of 2 files]"), std::string::npos);

  CliRun json_run = RunAnalyzer({"--format", "json", WorkerFile(), second});
  ASSERT_EQ(json_run.exit_code, 0);
  const nlohmann::json json = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(json["schema"], "clwleak-report/1");
  ASSERT_EQ(json["files"].size(), 2u);
  EXPECT_EQ(json["files"][1]["sample_rate_bytes"], 64 * 1024);
  EXPECT_EQ(json["sites"][0]["module"], "libclient.so");
  EXPECT_EQ(json["sites"][0]["files_leaking"], 2);
  EXPECT_EQ(json["modules"][0]["module"], "libclient.so");
  EXPECT_NEAR(json["leak"]["bytes_per_n_requests"].get<double>(), 6.2e6, 0.05 * 6.2e6);
}

// The timeline (schema clwleak-report/1, additive): one point per snapshot while they fit the grid
// of 256, then evenly thinned with the last snapshot kept; values from the synthetic worker.
TEST(CliTest, JsonTimelineFollowsTheRunAndStaysBounded) {
  CliRun run = RunAnalyzer({"--format", "json", WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json json = nlohmann::json::parse(run.out);
  const nlohmann::json& timeline = json["timeline"];
  ASSERT_EQ(timeline.size(), 100u);
  EXPECT_NEAR(timeline[0]["seconds"].get<double>(), 5, 1e-6);
  EXPECT_EQ(timeline[0]["requests"].get<double>(), 200);
  EXPECT_NEAR(timeline.back()["seconds"].get<double>(), 500, 1e-6);
  EXPECT_EQ(timeline.back()["requests"].get<double>(), 20000);
  EXPECT_EQ(timeline.back()["in_use_bytes"].get<double>(),
            json["memory"]["in_use_bytes"].get<double>());
  EXPECT_EQ(timeline.back()["heap_live_bytes"].get<double>(),
            json["memory"]["heap_live_bytes"].get<double>());
  EXPECT_EQ(timeline.back()["in_use_bytes"].get<double>() - timeline.back()["rss_bytes"].get<double>(),
            16 << 20);  // the worker's cgroup memory.current is RSS + 16 MiB
  for (size_t i = 1; i < timeline.size(); ++i) {
    EXPECT_GT(timeline[i]["seconds"].get<double>(), timeline[i - 1]["seconds"].get<double>());
  }

  WorkerScenario long_run;
  long_run.snapshots = 1000;
  long_run.requests_per_snapshot = 20;
  const std::string path = TempPath("long_run.pb");
  WriteSyntheticWorker(path, long_run);
  run = RunAnalyzer({"--format", "json", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json = nlohmann::json::parse(run.out);
  EXPECT_LE(json["timeline"].size(), 257u);
  EXPECT_GE(json["timeline"].size(), 128u);
  EXPECT_NEAR(json["timeline"].back()["seconds"].get<double>(), 5000, 1e-6);
  EXPECT_EQ(json["timeline"].back()["requests"].get<double>(), 20000);
}

}  // namespace
}  // namespace clwleak
