// Tests of clw-leak-analyze's ecosystem formats, each checked by a consumer of that format:
//   folded      the exact line of the synthetic leak's stack, root first, with its rate;
//   prometheus  a strict OpenMetrics validator written here (families, HELP/TYPE, label escaping,
//               values, `# EOF`), and `promtool check metrics` when Prometheus is installed;
//   junit       parsed by Python's xml.etree (python3 is a build dependency), failure counts;
//   pprof       gunzipped (zlib) and parsed back with the generated profile.proto class, and
//               `go tool pprof -top` / `-traces` when Go is installed.
// The synthetic worker (synthetic_worker.h) leaks exactly 6,200 bytes per request in client_send.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "profile.pb.h"
#include "synthetic_worker.h"
#include "test_paths.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::OnPath;
using testing::RunProgram;
using testing::Slurp;
using testing::TempPath;
using testing::WorkerScenario;
using testing::WriteSyntheticWorker;

constexpr double kLeakPerRequest = 6200;  // 200 + 1000 + 5000, exact mode
constexpr double kRequests = 100 * 200;   // the scenario's total requests
const char kLeakStack[] =
    "__libc_start_main;main;Worker::HandleRequest(Request const&);client_call;client_send;malloc";

using testing::Lines;
using testing::WorkerFile;
using testing::RunAnalyzer;

const std::string& NoLeakFile() {
  static const std::string path = [] {
    std::string p = TempPath("formats_no_leak.pb");
    WorkerScenario scenario;
    scenario.leak_scale = 0;
    WriteSyntheticWorker(p, scenario);
    return p;
  }();
  return path;
}

// ---- folded -------------------------------------------------------------------------------------

TEST(FoldedFormat, OneLinePerLeakingStackRootFirstWithItsRatePerNRequests) {
  CommandRun run = RunAnalyzer({"--format", "folded", WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Only the leak: the LRU cache is bounded, Config::Load grew during warm-up only, buffers churn.
  EXPECT_EQ(run.out, std::string(kLeakStack) + " 6200000\n");

  run = RunAnalyzer({"--format", "folded", "--per", "100", WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string(kLeakStack) + " 620000\n");
}

TEST(FoldedFormat, NoLeakGivesNoLinesAndSeveralFilesArePooled) {
  CommandRun run = RunAnalyzer({"--format", "folded", NoLeakFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");

  // Two identical workers: the fleet leaks the same 6,200 bytes per request.
  const std::string second = TempPath("formats_worker_copy.pb");
  WriteSyntheticWorker(second, WorkerScenario{});
  run = RunAnalyzer({"--format", "folded", WorkerFile(), second});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string(kLeakStack) + " 6200000\n");
}

// ---- prometheus ---------------------------------------------------------------------------------

// One sample of an exposition: its metric name, unescaped labels and value.
struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A strict reader of the subset of OpenMetrics text that clwleak writes (gauges): every family has
// exactly one HELP and one TYPE line before its samples, families are not interleaved, names and
// label names are valid, label values use only the escapes \\ \" \n, values parse, and the text
// ends with "# EOF\n". Fills *samples; a violation is a test failure naming the line.
void ParseOpenMetrics(const std::string& text, std::vector<MetricSample>* samples) {
  const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  const std::regex label_name_re("[a-zA-Z_][a-zA-Z0-9_]*");
  EXPECT_TRUE(text.size() >= 6 && text.compare(text.size() - 6, 6, "# EOF\n") == 0)
      << "must end with # EOF";
  std::set<std::string> finished;  // families whose samples are over
  std::string current;             // family being read
  std::map<std::string, int> help_lines, type_lines;
  const std::vector<std::string> lines = Lines(text);
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string& line = lines[n];
    const std::string where = "line " + std::to_string(n + 1) + ": " + line;
    if (line == "# EOF") {
      EXPECT_EQ(n + 1, lines.size()) << "# EOF must be the last line";
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::istringstream in(line.substr(7));
      std::string family, rest;
      in >> family;
      std::getline(in, rest);
      EXPECT_TRUE(std::regex_match(family, name_re)) << where;
      EXPECT_EQ(finished.count(family), 0u) << "family interleaved: " << where;
      if (family != current) {
        if (!current.empty()) finished.insert(current);
        current = family;
      }
      if (line[2] == 'H') {
        ++help_lines[family];
        for (size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] == '\\') {
            ASSERT_LT(i + 1, rest.size()) << where;
            EXPECT_NE(std::string("\\n\"").find(rest[i + 1]), std::string::npos) << where;
            ++i;
          }
        }
      } else {
        ++type_lines[family];
        EXPECT_EQ(rest, " gauge") << where;
      }
      continue;
    }
    ASSERT_NE(line[0], '#') << "unexpected comment: " << where;
    MetricSample sample;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample.name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(sample.name, name_re)) << where;
    EXPECT_EQ(sample.name, current) << "sample outside its family: " << where;
    EXPECT_EQ(type_lines[sample.name], 1) << where;
    EXPECT_EQ(help_lines[sample.name], 1) << where;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t equals = line.find('=', i);
        ASSERT_NE(equals, std::string::npos) << where;
        const std::string label = line.substr(i, equals - i);
        EXPECT_TRUE(std::regex_match(label, label_name_re)) << where;
        ASSERT_EQ(line[equals + 1], '"') << where;
        std::string value;
        size_t j = equals + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ASSERT_LT(j + 1, line.size()) << where;
            const char escaped = line[++j];
            ASSERT_NE(std::string("\\\"n").find(escaped), std::string::npos) << where;
            value += escaped == 'n' ? '\n' : escaped;
          } else {
            value += line[j];
          }
        }
        ASSERT_LT(j, line.size()) << "unterminated label value: " << where;
        EXPECT_EQ(sample.labels.count(label), 0u) << "repeated label: " << where;
        sample.labels[label] = value;
        i = j + 1;
        if (line[i] == ',') ++i;
      }
      ASSERT_EQ(line[i], '}') << where;
      ++i;
    }
    ASSERT_EQ(line[i], ' ') << where;
    const std::string number = line.substr(i + 1);
    char* end = nullptr;
    sample.value = std::strtod(number.c_str(), &end);
    EXPECT_TRUE(!number.empty() && *end == '\0') << where;
    samples->push_back(sample);
  }
}

// The value of `name` whose labels include `labels`; fails the test when there is not exactly one.
double Metric(const std::vector<MetricSample>& samples, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  const MetricSample* found = nullptr;
  int matches = 0;
  for (const MetricSample& sample : samples) {
    if (sample.name != name) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = sample.labels.find(key);
      match = match && it != sample.labels.end() && it->second == value;
    }
    if (match) {
      found = &sample;
      ++matches;
    }
  }
  EXPECT_EQ(matches, 1) << name;
  return found == nullptr ? NAN : found->value;
}

TEST(PrometheusFormat, ValidOpenMetricsWithTheAnswersAndEscapedLabels) {
  // A path that needs every label escape: quote, backslash (and the file label carries it).
  const std::string path = TempPath("prom \"odd\\name\".pb");
  WriteSyntheticWorker(path, WorkerScenario{});
  CommandRun run = RunAnalyzer({"--format", "prometheus", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<MetricSample> samples;
  ASSERT_NO_FATAL_FAILURE(ParseOpenMetrics(run.out, &samples));
  const std::map<std::string, std::string> file = {{"file", path}};

  EXPECT_NEAR(Metric(samples, "clwleak_leak_bytes_per_request", file), kLeakPerRequest, 1e-6);
  // Base units: bytes per second (40 requests/s), and no per-hour family.
  EXPECT_NEAR(Metric(samples, "clwleak_leak_bytes_per_second", file), kLeakPerRequest * 40,
              kLeakPerRequest * 40 * 1e-9);
  EXPECT_LE(Metric(samples, "clwleak_leak_bytes_per_second_ci95_low", file), kLeakPerRequest * 40);
  EXPECT_GE(Metric(samples, "clwleak_leak_bytes_per_second_ci95_high", file), kLeakPerRequest * 40);
  for (const MetricSample& sample : samples) {
    EXPECT_EQ(sample.name.find("per_hour"), std::string::npos) << sample.name;
  }
  EXPECT_EQ(Metric(samples, "clwleak_leak_top_module_info",
                   {{"file", path}, {"module", "libclient.so"}}),
            1);
  EXPECT_NEAR(Metric(samples, "clwleak_module_leak_bytes_per_second",
                     {{"file", path}, {"module", "libclient.so"}}),
              kLeakPerRequest * 40, kLeakPerRequest * 40 * 1e-6);
  EXPECT_EQ(Metric(samples, "clwleak_leaking_sites", file), 1);
  EXPECT_NEAR(Metric(samples, "clwleak_module_leak_bytes_per_request",
                     {{"file", path}, {"module", "libclient.so"}}),
              kLeakPerRequest, 1e-6);
  // Live bytes of the leak: every leaked byte of the run.
  EXPECT_EQ(Metric(samples, "clwleak_live_bytes", {{"file", path}, {"module", "libclient.so"}}),
            kLeakPerRequest * kRequests);
  EXPECT_GT(Metric(samples, "clwleak_live_bytes", {{"file", path}, {"module", "clw-worker"}}), 0);
  EXPECT_EQ(Metric(samples, "clwleak_memory_limit_bytes",
                   {{"file", path}, {"source", "cgroup memory.max"}}),
            2147483648.0);
  const double in_use = Metric(samples, "clwleak_memory_in_use_bytes", file);
  // time to OOM = headroom / (6,200 B × 40 requests/s)
  EXPECT_NEAR(Metric(samples, "clwleak_time_to_oom_seconds", file),
              (2147483648.0 - in_use) / (kLeakPerRequest * 40), 1.0);
  EXPECT_LE(Metric(samples, "clwleak_time_to_oom_seconds_ci95_low", file),
            Metric(samples, "clwleak_time_to_oom_seconds", file));
  EXPECT_GE(Metric(samples, "clwleak_time_to_oom_seconds_ci95_high", file),
            Metric(samples, "clwleak_time_to_oom_seconds", file));
  EXPECT_EQ(Metric(samples, "clwleak_complete", file), 1);
  EXPECT_EQ(Metric(samples, "clwleak_requests", file), kRequests);
  EXPECT_EQ(Metric(samples, "clwleak_snapshots", file), 100);
  EXPECT_EQ(Metric(samples, "clwleak_info", {{"file", path}, {"pid", "4242"}, {"host", "testhost"}}),
            1);
  // The verdict as a state set.
  EXPECT_EQ(Metric(samples, "clwleak_verdict", {{"file", path}, {"verdict", "leak"}}), 1);
  for (const char* other : {"bounded", "stable", "inconclusive"}) {
    EXPECT_EQ(Metric(samples, "clwleak_verdict", {{"file", path}, {"verdict", other}}), 0) << other;
  }
  EXPECT_EQ(Metric(samples, "clwleak_inconclusive_sites", file), 0);
  for (const MetricSample& sample : samples) {
    EXPECT_NE(sample.name, "clwleak_gate_passed");
    EXPECT_NE(sample.name, "clwleak_gate_outcome");
  }
}

TEST(PrometheusFormat, GateResultAndNoProjectionWithoutALeak) {
  CommandRun run = RunAnalyzer({"--format", "prometheus", "--fail-on-leak", "1MiB", WorkerFile()});
  EXPECT_EQ(run.exit_code, 1);  // the gate still fails the run, and the metrics are written
  std::vector<MetricSample> samples;
  ASSERT_NO_FATAL_FAILURE(ParseOpenMetrics(run.out, &samples));
  EXPECT_EQ(Metric(samples, "clwleak_gate_passed", {}), 0);
  EXPECT_EQ(Metric(samples, "clwleak_gate_outcome", {{"outcome", "failed"}}), 1);
  EXPECT_EQ(Metric(samples, "clwleak_gate_outcome", {{"outcome", "inconclusive"}}), 0);

  run = RunAnalyzer({"--format", "prometheus", NoLeakFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  samples.clear();
  ASSERT_NO_FATAL_FAILURE(ParseOpenMetrics(run.out, &samples));
  EXPECT_EQ(Metric(samples, "clwleak_leak_bytes_per_request", {}), 0);
  EXPECT_EQ(Metric(samples, "clwleak_leaking_sites", {}), 0);
  for (const MetricSample& sample : samples) {
    EXPECT_NE(sample.name, "clwleak_time_to_oom_seconds") << "no projection means no sample";
  }
}

TEST(PrometheusFormat, PromtoolAcceptsIt) {
  if (!OnPath("promtool")) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus); the OpenMetrics "
                    "validator in this file checked the text";
  }
  const std::string output = TempPath("formats.prom");
  ASSERT_EQ(RunAnalyzer({"--format", "prometheus", "-o", output, WorkerFile()}).exit_code, 0);
  CommandRun check = testing::RunShell("promtool check metrics < " + testing::ShellQuote(output));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// ---- junit --------------------------------------------------------------------------------------

// Parses a JUnit file with Python's XML parser and prints "tests failures" from <testsuites>, then
// one line per testcase: "name|failure message" (empty message when it passed).
CommandRun ParseJunit(const std::string& path) {
  const char* script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "assert root.tag == 'testsuites'\n"
      "cases = root.findall('./testsuite/testcase')\n"
      "failed = [c for c in cases if c.find('failure') is not None]\n"
      "assert int(root.get('tests')) == len(cases) and int(root.get('failures')) == len(failed)\n"
      "print(root.get('tests'), root.get('failures'))\n"
      "for c in cases:\n"
      "    f = c.find('failure')\n"
      "    print(c.get('name') + '|' + ('' if f is None else f.get('message') + '|' + f.text.replace('\\n', '~')))\n";
  return RunProgram("python3", {"-c", script, path});
}

TEST(JunitFormat, OneTestCasePerGateWithTheFailedOnesAsFailures) {
  const std::string output = TempPath("formats_leaks.xml");
  CommandRun run = RunAnalyzer({"--format", "junit", "-o", output, "--fail-on-leak", "1MiB",
                            "--fail-on-leak-per-hour", "10GiB", WorkerFile()});
  EXPECT_EQ(run.exit_code, 1);  // a gate failed: exit 1, and the report is written all the same
  EXPECT_NE(run.err.find("[clw] gate failed: --fail-on-leak 1.0 MiB"), std::string::npos);
  CommandRun parsed = ParseJunit(output);
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << Slurp(output);
  const std::vector<std::string> lines = Lines(parsed.out);
  ASSERT_EQ(lines.size(), 3u) << parsed.out;
  EXPECT_EQ(lines[0], "2 1");
  // Failed: the limit, the measured value, the site and its stack.
  EXPECT_EQ(lines[1].rfind("--fail-on-leak 1.0 MiB per 1,000 requests|--fail-on-leak 1.0 MiB per "
                           "1,000 requests: measured 5.91 MiB per 1,000 requests (95% CI 5.91 MiB–5.91 "
                           "MiB) in " +
                               WorkerFile() + "; top site: client_send (client.c:42) in "
                                              "libclient.so",
                           0),
            0u)
      << lines[1];
  EXPECT_NE(lines[1].find("|gate: --fail-on-leak 1.0 MiB per 1,000 requests~limit: 1.0 MiB per "
                          "1,000 requests~measured: 5.91 MiB per 1,000 requests (95% CI 5.91 MiB–5.91 "
                          "MiB)~outcome: failed~"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[1].find("#1 client_send  client.c:42  (libclient.so)"), std::string::npos)
      << lines[1];
  // 6,200 B × 40/s = 851 MiB per hour: under 10 GiB, passed.
  EXPECT_EQ(lines[2], "--fail-on-leak-per-hour 10.0 GiB per hour|") << lines[2];
}

TEST(JunitFormat, NoGateGivesOnePassingCaseAndXmlIsEscaped) {
  const std::string path = TempPath("junit <&'\"> worker.pb");
  WriteSyntheticWorker(path, WorkerScenario{});
  const std::string output = TempPath("formats_nogate.xml");
  CommandRun run = RunAnalyzer({"--format", "junit", "-o", output, path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandRun parsed = ParseJunit(output);
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << Slurp(output);
  EXPECT_EQ(parsed.out, "1 0\nno gate configured|\n");
  EXPECT_NE(Slurp(output).find("file=\"" + TempPath("junit &lt;&amp;&apos;&quot;&gt; worker.pb") +
                               "\""),
            std::string::npos);

  // A baseline gate and two files: one case per gate and file.
  const std::string regressed = TempPath("formats_regressed.pb");
  WorkerScenario scenario;
  scenario.leak_scale = 2;
  WriteSyntheticWorker(regressed, scenario);
  run = RunAnalyzer({"--format", "junit", "-o", output, "--baseline", WorkerFile(), "--max-increase",
                 "50", WorkerFile(), regressed});
  EXPECT_EQ(run.exit_code, 1);
  parsed = ParseJunit(output);
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << Slurp(output);
  const std::vector<std::string> lines = Lines(parsed.out);
  ASSERT_EQ(lines.size(), 3u) << parsed.out;
  EXPECT_EQ(lines[0], "2 1");
  EXPECT_EQ(lines[1], "--baseline " + WorkerFile() + " --max-increase 50%|");
  EXPECT_NE(lines[2].find("|--baseline " + WorkerFile() + " --max-increase 50%: measured 11.8 MiB "
                          "per 1,000 requests (95% CI 11.8 MiB–11.8 MiB) in " + regressed),
            std::string::npos)
      << lines[2];
}

// ---- pprof --------------------------------------------------------------------------------------

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);  // gzip only
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[1 << 16];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END) << "not a whole gzip stream";
  inflateEnd(&stream);
  return out;
}

TEST(PprofFormat, ParsesBackWithTheLeakingFunctionsValues) {
  const std::string output = TempPath("formats_leaks.pb.gz");
  CommandRun run = RunAnalyzer({"--format", "pprof", "-o", output, WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  perftools::profiles::Profile profile;
  ASSERT_TRUE(profile.ParseFromString(Gunzip(Slurp(output))));
  auto str = [&](int64_t index) { return profile.string_table(static_cast<int>(index)); };

  ASSERT_EQ(profile.sample_type_size(), 6);
  const char* types[][2] = {{"leaked_space", "bytes"}, {"inuse_space", "bytes"},
                            {"inuse_objects", "count"}, {"alloc_space", "bytes"},
                            {"alloc_objects", "count"}, {"peak_inuse_space", "bytes"}};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(str(profile.sample_type(i).type()), types[i][0]);
    EXPECT_EQ(str(profile.sample_type(i).unit()), types[i][1]);
  }
  EXPECT_EQ(str(profile.default_sample_type()), "leaked_space");
  EXPECT_EQ(profile.period(), 1);  // exact mode
  EXPECT_EQ(profile.duration_nanos(), 500'000'000'000);

  std::map<uint64_t, const perftools::profiles::Location*> locations;
  for (const auto& location : profile.location()) locations[location.id()] = &location;
  std::map<uint64_t, const perftools::profiles::Function*> functions;
  for (const auto& function : profile.function()) functions[function.id()] = &function;
  std::map<uint64_t, const perftools::profiles::Mapping*> mappings;
  for (const auto& mapping : profile.mapping()) mappings[mapping.id()] = &mapping;
  ASSERT_FALSE(profile.mapping().empty());
  EXPECT_EQ(str(profile.mapping(0).filename()), "/opt/clw/bin/clw-worker") << "main binary first";

  const perftools::profiles::Sample* leak = nullptr;
  int leaking_samples = 0;
  for (const auto& sample : profile.sample()) {
    ASSERT_EQ(sample.value_size(), 6);
    if (sample.value(0) > 0) ++leaking_samples;
    ASSERT_GE(sample.location_id_size(), 2);
    const auto* caller = locations.at(sample.location_id(1));
    if (caller->line_size() > 0 &&
        str(functions.at(caller->line(0).function_id())->name()) == "client_send") {
      leak = &sample;
    }
  }
  EXPECT_EQ(leaking_samples, 1);
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->value(0), 6'200'000);                                   // per 1,000 requests
  EXPECT_EQ(leak->value(1), static_cast<int64_t>(kLeakPerRequest * kRequests));  // in use
  EXPECT_EQ(leak->value(2), static_cast<int64_t>(3 * kRequests));         // 3 blocks per request
  EXPECT_EQ(leak->value(3), leak->value(1));  // allocated = live: nothing freed
  EXPECT_EQ(leak->value(4), leak->value(2));
  EXPECT_EQ(leak->value(5), leak->value(1));  // a leak holds most at the end, its peak
  std::map<std::string, std::string> labels;
  for (const auto& label : leak->label()) labels[str(label.key())] = str(label.str());
  EXPECT_EQ(labels["classification"], "leak");
  EXPECT_EQ(labels["module"], "libclient.so");

  // Frames innermost first, with file and line, in a mapping with a build id.
  const std::vector<std::string> expected = {"malloc", "client_send", "client_call",
                                             "Worker::HandleRequest(Request const&)", "main",
                                             "__libc_start_main"};
  ASSERT_EQ(leak->location_id_size(), 6);
  for (int i = 0; i < 6; ++i) {
    const auto* location = locations.at(leak->location_id(i));
    ASSERT_EQ(location->line_size(), 1);
    EXPECT_EQ(str(functions.at(location->line(0).function_id())->name()), expected[i]);
  }
  const auto* client_send = locations.at(leak->location_id(1));
  EXPECT_EQ(client_send->line(0).line(), 42);
  EXPECT_EQ(str(functions.at(client_send->line(0).function_id())->filename()), "client.c");
  const auto* mapping = mappings.at(client_send->mapping_id());
  EXPECT_EQ(str(mapping->filename()), "/opt/clw/lib/libclient.so");
  EXPECT_EQ(str(mapping->build_id()).size(), 40u);
  EXPECT_TRUE(mapping->has_functions());
  EXPECT_GE(client_send->address(), mapping->memory_start());
  EXPECT_LT(client_send->address(), mapping->memory_limit());
}

TEST(PprofFormat, GoToolPprofReadsIt) {
  if (!OnPath("go")) {
    GTEST_SKIP() << "go not installed (Debian package golang-go, which scripts/test installs as "
                    "an optional package when it can): go tool pprof not run; the profile was "
                    "parsed back with profile.proto in ParsesBackWithTheLeakingFunctionsValues";
  }
  const std::string output = TempPath("formats_go.pb.gz");
  ASSERT_EQ(RunAnalyzer({"--format", "pprof", "-o", output, WorkerFile()}).exit_code, 0);
  CommandRun top = RunProgram("go", {"tool", "pprof", "-symbolize=none", "-top", "-cum", output});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  // leaked_space (the default) is 6,200,000 B per 1,000 requests, all through client_send.
  EXPECT_TRUE(std::regex_search(top.out, std::regex("5\\.91MB.* client_send"))) << top.out;
  CommandRun traces = RunProgram("go", {"tool", "pprof", "-symbolize=none", "-traces", output});
  ASSERT_EQ(traces.exit_code, 0) << traces.err;
  EXPECT_TRUE(std::regex_search(traces.out, std::regex("5\\.91MB +malloc\\s+client_send\\s+client_call")))
      << traces.out;
  CommandRun inuse = RunProgram(
      "go", {"tool", "pprof", "-symbolize=none", "-sample_index=inuse_space", "-top", output});
  EXPECT_TRUE(std::regex_search(inuse.out, std::regex("118\\.26MB"))) << inuse.out;
}

}  // namespace
}  // namespace clwleak
