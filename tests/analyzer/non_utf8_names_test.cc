// A host whose names are bytes that are not UTF-8, end to end. The test compiles
// programs/non_utf8_library.cc (copied into a directory named "dir-\xE9\xFF", as "caf\xE9.cc")
// into "lib\xE9\xFF.so" there, with -g, copies programs/non_utf8_host.cc's binary beside it as
// "host-\xE9\xFF", and runs it with an argument that is not UTF-8 either. The library's leaking
// function is the symbol "caf\xE9_leak". So the executable's path, the command line, a module's
// path, a function name and a source path all hold such bytes, and the snapshot file's own name
// too (CLWLEAK_OUTPUT uses %e).
//
// Checked:
//   - the host's stdout and stderr are byte for byte those of a bare run, in exact mode and at the
//     default sampling rate (no protobuf message, no [clwleak] line);
//   - the file holds every name as its raw bytes, and exact mode the leak's exact bytes;
//   - every report format shows the leak with the names escaped (\xHH, docs/report-schema.md),
//     read back by its consumer: text (valid UTF-8, no control character), JSON (nlohmann's
//     strict parser), HTML (valid UTF-8, and the data it embeds parses), pprof (gunzipped and
//     parsed with profile.proto, whose strings must be UTF-8; `go tool pprof` when installed),
//     folded, Prometheus (the Python client's OpenMetrics parser when installed) and JUnit
//     (Python's XML parser).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli_runner.h"
#include "profile.pb.h"
#include "program_runner.h"
#include "snapshot_reader.h"
#include "utf8_check.h"

namespace clwleak {
namespace {

using Json = nlohmann::json;
using testing::CommandRun;
using testing::ProgramOptions;
using testing::ProgramResult;
using testing::ValidUtf8;

constexpr long kRequests = 8000;
constexpr long kBytesPerRequest = 4096;
constexpr uint64_t kLeakedBytes = kRequests * kBytesPerRequest;

// The raw names, and how every report must show them.
const std::string kDirectoryName = "dir-\xE9\xFF";
const std::string kArgument = "caf\xE9 \xFF\x1B[1m";
const char kShownArgument[] = "caf\\xE9 \\xFF\\x1B[1m";
const char kFunction[] = "caf\xE9_leak";
const char kShownFunction[] = "caf\\xE9_leak";
const char kShownModule[] = "lib\\xE9\\xFF.so";
const char kShownSourceEnd[] = "/dir-\\xE9\\xFF/caf\\xE9.cc";
const char kShownExecutableEnd[] = "/dir-\\xE9\\xFF/host-\\xE9\\xFF";

bool CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  {
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
    if (!in || !out) return false;
  }
  return chmod(to.c_str(), mode) == 0;
}

bool HasControlCharacterBesidesNewline(const std::string& text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
  }
  return false;
}

// Every file a host run needs and the three runs of it, made once for the whole test program.
struct HostRuns {
  std::string setup_error;  // empty when everything below is there
  std::string directory;    // ".../dir-\xE9\xFF"
  std::string executable;
  std::string library;
  std::string source;
  ProgramResult bare, exact, sampled;
  std::string exact_file, sampled_file;
};

ProgramResult RunHost(const HostRuns& runs, bool preload, const std::string& output_prefix,
                      const std::string& sample_rate) {
  ProgramOptions options;
  options.argv = {runs.executable, runs.library, std::to_string(kRequests),
                  std::to_string(kBytesPerRequest), kArgument};
  options.preload = preload;
  options.timeout_seconds = 120;
  if (preload) {
    options.env = {{"CLWLEAK_OUTPUT", runs.directory + "/" + output_prefix + "%e.%p.pb"},
                   {"CLWLEAK_INTERVAL", "25ms"}};
    if (!sample_rate.empty()) options.env["CLWLEAK_SAMPLE_RATE"] = sample_rate;
  }
  return testing::RunProgram(options);
}

// The temporary directory of the runs, removed when the test program exits.
std::string g_base_directory;

HostRuns MakeHostRuns() {
  HostRuns runs;
  const std::string base = testing::MakeTempDir("non-utf8");
  g_base_directory = base;
  std::atexit([] {
    std::error_code ignored;
    if (!g_base_directory.empty()) std::filesystem::remove_all(g_base_directory, ignored);
  });
  runs.directory = base + "/" + kDirectoryName;
  if (base.empty() || mkdir(runs.directory.c_str(), 0755) != 0) {
    runs.setup_error = "cannot make the directory " + runs.directory;
    return runs;
  }
  runs.source = runs.directory + "/caf\xE9.cc";
  runs.library = runs.directory + "/lib\xE9\xFF.so";
  runs.executable = runs.directory + "/host-\xE9\xFF";
  if (!CopyFile(NON_UTF8_LIBRARY_SOURCE, runs.source, 0644) ||
      !CopyFile(NON_UTF8_HOST, runs.executable, 0755)) {
    runs.setup_error = "cannot copy the host and its library's source into " + runs.directory;
    return runs;
  }
  ProgramOptions compile;
  compile.argv = {CXX_COMPILER, "-g",      "-O1", "-fno-omit-frame-pointer",
                  "-fPIC",      "-shared", "-o",  runs.library,
                  runs.source};
  compile.preload = false;
  compile.timeout_seconds = 120;
  const ProgramResult compiled = testing::RunProgram(compile);
  if (compiled.exit_code != 0) {
    runs.setup_error = "cannot compile the library: " + compiled.err;
    return runs;
  }
  runs.bare = RunHost(runs, false, "", "");
  runs.exact = RunHost(runs, true, "exact-", "1");
  runs.sampled = RunHost(runs, true, "sampled-", "");
  const std::vector<std::string> exact = testing::ListFiles(runs.directory, "exact-");
  const std::vector<std::string> sampled = testing::ListFiles(runs.directory, "sampled-");
  if (exact.size() != 1 || sampled.size() != 1) {
    runs.setup_error =
        "expected one snapshot file per profiled run; stderr of the exact run: " + runs.exact.err;
    return runs;
  }
  runs.exact_file = exact[0];
  runs.sampled_file = sampled[0];
  return runs;
}

const HostRuns& Runs() {
  static const HostRuns runs = MakeHostRuns();
  return runs;
}

#define REQUIRE_RUNS() ASSERT_EQ(Runs().setup_error, "")

TEST(NonUtf8Names, HostOutputIsByteIdenticalToABareRunInBothModes) {
  REQUIRE_RUNS();
  const HostRuns& runs = Runs();
  ASSERT_EQ(runs.bare.exit_code, 0) << runs.bare.err;
  EXPECT_EQ(runs.bare.out, "argument=" + kArgument + "\nrequests=8000 leaked_bytes=32768000\n");
  for (const ProgramResult* run : {&runs.exact, &runs.sampled}) {
    EXPECT_EQ(run->exit_code, 0);
    EXPECT_EQ(run->out, runs.bare.out);
    EXPECT_EQ(run->err, runs.bare.err);  // nothing from protobuf, nothing from the preload
  }
}

TEST(NonUtf8Names, FileKeepsEveryNameAsItsBytesAndExactModeTheExactLeak) {
  REQUIRE_RUNS();
  const HostRuns& runs = Runs();
  const analysis::WholeFile file = analysis::ReadWholeFile(runs.exact_file);
  ASSERT_TRUE(file.opened) << file.error;
  EXPECT_TRUE(file.complete);
  ASSERT_EQ(file.header.cmdline_size(), 5);
  EXPECT_EQ(file.header.cmdline(4), kArgument);
  EXPECT_EQ(file.header.cmdline(1), runs.library);
  char* real = realpath(runs.executable.c_str(), nullptr);
  ASSERT_NE(real, nullptr);
  EXPECT_EQ(file.header.exe(), real);
  free(real);

  bool module_found = false;
  for (const auto& [id, module] : file.state.modules) {
    module_found = module_found || module.path().find("/lib\xE9\xFF.so") != std::string::npos;
  }
  EXPECT_TRUE(module_found) << "no module named lib\\xE9\\xFF.so";
  bool frame_found = false;
  for (const auto& [id, frame] : file.state.frames) {
    if (frame.function() != kFunction) continue;
    frame_found = true;
    EXPECT_EQ(frame.file(), runs.source);
    EXPECT_GT(frame.line(), 0u);
  }
  EXPECT_TRUE(frame_found) << "no frame named caf\\xE9_leak";
  const testing::SiteTotals leak = testing::TotalsFor(file.state, kFunction);
  EXPECT_EQ(leak.live_bytes, kLeakedBytes);
  EXPECT_EQ(leak.live_count, static_cast<uint64_t>(kRequests));
}

// The JSON report of `file`, parsed.
Json JsonReport(const std::string& file) {
  CommandRun run = testing::RunAnalyzer({"--format", "json", file});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ValidUtf8(run.out));
  Json json = Json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << "not JSON: " << run.out.substr(0, 400);
  return json;
}

// The site whose attributed frame is the leaking function, or null JSON.
Json LeakSite(const Json& report) {
  if (!report.contains("sites")) return Json();
  for (const Json& site : report["sites"]) {
    const Json& frames = site["frames"];
    const int index = site["site_frame"].get<int>();
    if (index >= 0 && frames[index]["function"] == kShownFunction) return site;
  }
  return Json();
}

std::string EndOf(const std::string& text, size_t length) {
  return text.size() < length ? text : text.substr(text.size() - length);
}

TEST(NonUtf8Names, JsonReportIsValidAndShowsTheNamesEscaped) {
  REQUIRE_RUNS();
  const Json report = JsonReport(Runs().exact_file);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["process"]["cmdline"][4], kShownArgument);
  EXPECT_EQ(EndOf(report["process"]["exe"], sizeof kShownExecutableEnd - 1), kShownExecutableEnd);
  EXPECT_EQ(report["leak"]["module"], kShownModule);
  const Json site = LeakSite(report);
  ASSERT_TRUE(site.is_object()) << "no leaking site named " << kShownFunction;
  EXPECT_EQ(site["classification"], "leak");
  EXPECT_EQ(site["live_bytes"], kLeakedBytes);
  EXPECT_EQ(site["module"], kShownModule);
  const Json& frame = site["frames"][site["site_frame"].get<int>()];
  EXPECT_EQ(EndOf(frame["file"], sizeof kShownSourceEnd - 1), kShownSourceEnd);
  EXPECT_EQ(frame["module"], kShownModule);
  // The file's own name holds the executable's name (%e).
  EXPECT_NE(report["file"].get<std::string>().find("exact-host-\\xE9\\xFF."), std::string::npos);
}

TEST(NonUtf8Names, DefaultSamplingRateFindsTheLeakToo) {
  REQUIRE_RUNS();
  const Json report = JsonReport(Runs().sampled_file);
  ASSERT_TRUE(report.is_object());
  EXPECT_GT(report["sample_rate_bytes"].get<uint64_t>(), 1u);
  EXPECT_EQ(report["leak"]["module"], kShownModule);
  const Json site = LeakSite(report);
  ASSERT_TRUE(site.is_object()) << "no leaking site named " << kShownFunction;
  // An estimate: within 25% of the truth (a few hundred samples).
  EXPECT_NEAR(site["live_bytes"].get<double>(), kLeakedBytes, 0.25 * kLeakedBytes);
}

TEST(NonUtf8Names, TextReportShowsTheNamesEscapedAndNothingThatActsOnATerminal) {
  REQUIRE_RUNS();
  CommandRun run = testing::RunAnalyzer({"--color", "never", Runs().exact_file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ValidUtf8(run.out));
  EXPECT_FALSE(HasControlCharacterBesidesNewline(run.out));
  EXPECT_NE(run.out.find("[clw] Native memory leak detected in " + std::string(kShownModule)),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find(std::string(kShownFunction) + "  "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(std::string(kShownSourceEnd) + ":"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(kShownExecutableEnd), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");
}

TEST(NonUtf8Names, HtmlReportIsValidUtf8AndItsDataParses) {
#ifndef CLWLEAK_HAVE_HTML_REPORT
  GTEST_SKIP() << "this build has no HTML report (npm was missing at configure time)";
#endif
  REQUIRE_RUNS();
  CommandRun run = testing::RunAnalyzer({"--format", "html", Runs().exact_file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ValidUtf8(run.out));
  EXPECT_NE(run.out.find("<code>" + std::string(kShownFunction) + "</code>"), std::string::npos);
  EXPECT_NE(run.out.find(kShownModule), std::string::npos);
  EXPECT_NE(run.out.find(std::string(kShownSourceEnd) + ":"), std::string::npos);
  const std::string open = "<script type=\"application/json\" id=\"clw-report-data\">";
  const size_t begin = run.out.find(open);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = run.out.find("</script>", begin);
  const Json data =
      Json::parse(run.out.substr(begin + open.size(), end - begin - open.size()), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  bool in_flame = false;
  for (const Json& stack : data["flame"]["stacks"]) {
    for (const Json& frame : stack["frames"]) in_flame = in_flame || frame == kShownFunction;
  }
  EXPECT_TRUE(in_flame);
}

TEST(NonUtf8Names, PprofProfileParsesAndNamesTheLeakEscaped) {
  REQUIRE_RUNS();
  const std::string output = Runs().directory + "/leaks-\xE9.pb.gz";
  CommandRun run = testing::RunAnalyzer({"--format", "pprof", "-o", output, Runs().exact_file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandRun gunzip = testing::RunProgram("gzip", {"-dc", output});
  ASSERT_EQ(gunzip.exit_code, 0) << gunzip.err;
  perftools::profiles::Profile profile;
  // profile.proto's strings are proto3 `string`: the parse fails on any that is not UTF-8.
  ASSERT_TRUE(profile.ParseFromString(gunzip.out));
  auto str = [&](int64_t index) { return profile.string_table(static_cast<int>(index)); };
  uint64_t function_id = 0;
  for (const auto& function : profile.function()) {
    if (str(function.name()) != kShownFunction) continue;
    function_id = function.id();
    EXPECT_EQ(EndOf(str(function.filename()), sizeof kShownSourceEnd - 1), kShownSourceEnd);
  }
  ASSERT_NE(function_id, 0u) << "no function named " << kShownFunction;
  bool mapping_found = false;
  for (const auto& mapping : profile.mapping()) {
    const std::string end = std::string("/") + kShownModule;
    mapping_found = mapping_found || EndOf(str(mapping.filename()), end.size()) == end;
  }
  EXPECT_TRUE(mapping_found);
  std::map<uint64_t, bool> in_leak;  // location id -> holds the leaking function
  for (const auto& location : profile.location()) {
    for (const auto& line : location.line()) {
      if (line.function_id() == function_id) in_leak[location.id()] = true;
    }
  }
  int64_t inuse = 0;
  for (const auto& sample : profile.sample()) {
    bool through = false;
    for (uint64_t id : sample.location_id()) through = through || in_leak[id];
    if (through) inuse += sample.value(1);  // inuse_space
  }
  EXPECT_EQ(inuse, static_cast<int64_t>(kLeakedBytes));

  if (!testing::OnPath("go")) return;  // go tool pprof is optional (golang-go)
  CommandRun traces = testing::RunProgram(
      "go", {"tool", "pprof", "-symbolize=none", "-sample_index=inuse_space", "-traces", output});
  ASSERT_EQ(traces.exit_code, 0) << traces.err;
  EXPECT_NE(traces.out.find(kShownFunction), std::string::npos) << traces.out;
}

TEST(NonUtf8Names, FoldedStacksNameTheLeakEscaped) {
  REQUIRE_RUNS();
  CommandRun run = testing::RunAnalyzer({"--format", "folded", Runs().exact_file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ValidUtf8(run.out));
  EXPECT_FALSE(HasControlCharacterBesidesNewline(run.out));
  // flamegraph.pl's line: frames root first, separated by ';', then the value after a space.
  EXPECT_TRUE(std::regex_search(run.out, std::regex(";main;caf\\\\xE9_leak [0-9]+\n"))) << run.out;
}

TEST(NonUtf8Names, PrometheusLabelsAreValidAndTheOpenMetricsParserReadsThem) {
  REQUIRE_RUNS();
  CommandRun run = testing::RunAnalyzer({"--format", "prometheus", Runs().exact_file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ValidUtf8(run.out));
  // The escaped name's backslashes are escaped again by the exposition format.
  EXPECT_NE(run.out.find("module=\"lib\\\\xE9\\\\xFF.so\"} 32768000\n"), std::string::npos)
      << run.out;

  const char* script =
      "import sys\n"
      "try:\n"
      "    from prometheus_client.openmetrics.parser import text_string_to_metric_families\n"
      "except ImportError:\n"
      "    sys.exit(77)\n"
      "text = open(sys.argv[1], encoding='utf-8', errors='strict').read()\n"
      "for family in text_string_to_metric_families(text):\n"
      "    for s in family.samples:\n"
      "        if s.name == 'clwleak_live_bytes' and s.labels.get('module') == sys.argv[2]:\n"
      "            print(int(s.value))\n";
  const std::string exposition = Runs().directory + "/metrics.prom";
  ASSERT_EQ(testing::RunAnalyzer({"--format", "prometheus", "-o", exposition, Runs().exact_file})
                .exit_code,
            0);
  CommandRun parsed = testing::RunProgram(SYSTEM_PYTHON3, {"-c", script, exposition, kShownModule});
  if (parsed.exit_code == 77) {
    GTEST_SKIP()
        << "python3-prometheus-client is not installed: the OpenMetrics parser was not run";
  }
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_EQ(parsed.out, "32768000\n");
}

TEST(NonUtf8Names, JunitXmlParsesAndShowsTheNamesEscaped) {
  REQUIRE_RUNS();
  const std::string output = Runs().directory + "/leaks.xml";
  CommandRun run = testing::RunAnalyzer({"--format", "junit", "-o", output, Runs().exact_file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string xml = testing::Slurp(output);
  EXPECT_TRUE(ValidUtf8(xml));
  const char* script =
      "import sys, xml.etree.ElementTree as ET\n"
      "case = ET.parse(sys.argv[1]).getroot().find('./testsuite/testcase')\n"
      "print(case.get('file'))\n"
      "print(case.find('system-out').text)\n";
  CommandRun parsed = testing::RunProgram("python3", {"-c", script, output});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << xml;
  EXPECT_NE(parsed.out.find("exact-host-\\xE9\\xFF."), std::string::npos) << parsed.out;
  EXPECT_NE(parsed.out.find("top site: " + std::string(kShownFunction) + " (caf\\xE9.cc:"),
            std::string::npos)
      << parsed.out;
  EXPECT_NE(parsed.out.find("#0 " + std::string(kShownFunction) + "  "), std::string::npos)
      << parsed.out;
  EXPECT_NE(parsed.out.find(std::string(kShownSourceEnd) + ":"), std::string::npos) << parsed.out;
  EXPECT_NE(parsed.out.find("  (" + std::string(kShownModule) + ")\n"), std::string::npos)
      << parsed.out;
}

}  // namespace
}  // namespace clwleak
