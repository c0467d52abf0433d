// clw-leak-analyze: the offline analyzer's command line. Parses flags, analyses each file with
// clwleak_analysis (with a progress bar on a terminal), evaluates the gates and writes the report
// in the format asked for. Exit codes (DESIGN.md): 0 report written and every gate passed, 1 a
// gate failed, 2 usage error or unreadable input, 3 a gate could not be decided from the evidence
// (inconclusive) and --inconclusive=pass was not given. A batch reports every file it can read
// and names the others (exit 2 only when none could be read). Messages on stderr name files and
// arguments through EscapeBytes; protobuf's own messages are worded here too (ProtobufProblem).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "analysis.h"
#include "exec_chain.h"
#include "byte_escape.h"
#include "folded_report.h"
#include "gate_text.h"
#include "gates.h"
#include "html_assets.h"
#include "html_report.h"
#include "json_report.h"
#include "junit_report.h"
#include "options.h"
#include "pprof_report.h"
#include "progress_bar.h"
#include "prometheus_report.h"
#include "protobuf_messages.h"
#include "terminal.h"
#include "text_report.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitGateFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInconclusive = 3;

int Fail(const std::string& message) {
  std::cerr << "clw-leak-analyze: " << clwleak::cli::EscapeBytes(message) << "\n";
  return kExitUsage;
}

// protobuf met a problem in a message it read or wrote for us. Every text field of the snapshot
// format is `bytes` and the pprof writer escapes its strings, so this is a bug of ours: said as
// one, in our words, instead of protobuf's log line.
void ProtobufProblem(const std::string& text, bool fatal) {
  std::cerr << "clw-leak-analyze: internal error" << (fatal ? " (fatal)" : "")
            << ": the protobuf library reported: " << clwleak::cli::EscapeBytes(text)
            << "; please report this with the file that caused it\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace clwleak;
  analysis::RouteProtobufMessages(&ProtobufProblem);
  cli::CliOptions options;
  std::string error;
  if (!cli::ParseCommandLine(argc, argv, &options, &error)) {
    std::cerr << "clw-leak-analyze: " << cli::EscapeBytes(error)
              << "\nTry 'clw-leak-analyze --help'.\n";
    return kExitUsage;
  }
  if (options.help) {
    std::cout << cli::UsageText();
    return kExitOk;
  }
  if (options.version) {
    std::cout << "clw-leak-analyze " << CLWLEAK_VERSION << "\n";
    return kExitOk;
  }

  const web::HtmlAssets& html_assets = web::EmbeddedHtmlAssets();
  if (options.format == "html" && !html_assets.available) {
    return Fail("--format html: this build of clw-leak-analyze has no HTML report: " +
                std::string(html_assets.why_unavailable));
  }

  // Suppressions: the files named, else the working directory's default file when it exists.
  std::vector<std::string> suppression_files = options.suppression_files;
  if (suppression_files.empty() && options.default_suppressions &&
      access(analysis::kDefaultSuppressionsFile, F_OK) == 0) {
    suppression_files.push_back(analysis::kDefaultSuppressionsFile);
  }
  for (const std::string& path : suppression_files) {
    if (!analysis::ReadSuppressions(path, &options.analysis.suppressions, &error)) {
      return Fail("--suppressions: " + error);
    }
  }

  cli::ProgressBar progress(STDERR_FILENO);
  options.analysis.on_progress = [&progress](uint64_t bytes_read, uint64_t file_size) {
    progress.Update(bytes_read, file_size);
  };
  const size_t inputs = options.files.size() + (options.baseline.empty() ? 0 : 1);
  auto analyze = [&](const std::string& path, size_t index, analysis::FileReport* report) {
    progress.StartFile(path, index, inputs);
    const bool ok = analysis::AnalyzeFile(path, options.analysis, report, &error);
    progress.Finish();
    return ok;
  };
  // Every readable file is reported; the others are named, with why, and count as inconclusive
  // in the gates. Nothing readable: exit 2.
  std::vector<analysis::FileReport> files;
  std::vector<analysis::SkippedFile> skipped;
  for (size_t i = 0; i < options.files.size(); ++i) {
    analysis::FileReport file;
    if (analyze(options.files[i], i + 1, &file)) {
      files.push_back(std::move(file));
      continue;
    }
    const std::string& path = options.files[i];
    std::string reason = error;
    if (reason.compare(0, path.size() + 2, path + ": ") == 0) reason.erase(0, path.size() + 2);
    skipped.push_back({path, reason});
    if (options.files.size() > 1) {
      std::cerr << "clw-leak-analyze: skipped " << cli::EscapeBytes(path) << ": "
                << cli::EscapeBytes(reason) << "\n";
    }
  }
  if (files.empty()) {
    if (skipped.size() == 1) return Fail(error);
    return Fail("none of the " + std::to_string(skipped.size()) + " files could be read");
  }
  analysis::LinkExecChains(&files);
  analysis::FileReport baseline;
  if (!options.baseline.empty() && !analyze(options.baseline, inputs, &baseline)) {
    return Fail("--baseline: " + error);
  }
  analysis::GateReport gate;
  if (!analysis::EvaluateGates(files, options.baseline.empty() ? nullptr : &baseline,
                               options.gates, &gate, &error, skipped)) {
    return Fail(error);
  }
  analysis::AggregateReport aggregate;
  if (files.size() > 1) aggregate = analysis::Aggregate(files, options.analysis.per_requests);
  const analysis::AggregateReport* aggregate_or_null = files.size() > 1 ? &aggregate : nullptr;

  std::string report;
  if (options.format == "json") {
    report = cli::RenderJson(files, aggregate_or_null, gate, skipped);
  } else if (options.format == "folded") {
    report = cli::RenderFolded(files, aggregate_or_null);
  } else if (options.format == "prometheus") {
    report = cli::RenderPrometheus(files, gate);
  } else if (options.format == "junit") {
    report = cli::RenderJunit(files, gate);
  } else if (options.format == "pprof") {
    if (options.output.empty() && isatty(STDOUT_FILENO)) {
      return Fail("--format pprof writes a binary file: give -o PATH (e.g. -o leaks.pb.gz)");
    }
    std::string profile;
    if (!cli::BuildPprofProfile(files, &profile, &error)) return Fail(error);
    report = cli::Gzip(profile);
  } else if (options.format == "html") {
    if (options.output.empty() && isatty(STDOUT_FILENO)) {
      return Fail("--format html writes a whole web page: give -o PATH (e.g. -o report.html), or "
                  "redirect standard output to a file");
    }
    if (!cli::RenderHtml(files, aggregate_or_null, gate,
                         std::string("clw-leak-analyze ") + CLWLEAK_VERSION, html_assets, &report,
                         &error)) {
      return Fail(error);
    }
  } else {
    // Colours only for standard output on a terminal (auto), never into a file unless asked.
    const bool color =
        cli::ShouldColor(options.color, options.output.empty() ? STDOUT_FILENO : -1);
    report = cli::RenderText(files, aggregate_or_null, gate, color, skipped);
  }
  if (options.output.empty()) {
    std::cout << report << std::flush;
    if (!std::cout) return Fail("cannot write the report to standard output");
  } else {
    std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
    out << report;
    out.close();
    if (!out) return Fail(options.output + ": cannot write the report");
  }
  for (const std::string& line : cli::GateLines(gate, analysis::GateOutcome::kFailed)) {
    std::cerr << "[clw] gate failed: " << cli::EscapeBytes(line) << "\n";
  }
  for (const std::string& line : cli::GateLines(gate, analysis::GateOutcome::kInconclusive)) {
    std::cerr << "[clw] gate inconclusive: " << line << "\n";
  }
  if (gate.outcome == analysis::GateOutcome::kFailed) return kExitGateFailed;
  if (!gate.passed) return kExitInconclusive;
  return kExitOk;
}
