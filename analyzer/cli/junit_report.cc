// The JUnit XML report; see junit_report.h.
#include "junit_report.h"

#include <cstdio>

#include "analysis.h"
#include "byte_escape.h"
#include "units.h"

namespace clwleak::cli {
namespace {

struct TestCase {
  std::string name;
  std::string file;
  std::string failure_message;  // empty: passed
  std::string details;          // body of <failure>, or of <system-out> when passed
};

const analysis::SiteReport* TopLeak(const analysis::FileReport& file) {
  for (const analysis::SiteReport& site : file.sites) {
    if (site.classification == analysis::Classification::kLeak) return &site;
  }
  return nullptr;
}

std::string RateText(const std::optional<analysis::Rate>& rate, const std::string& unit) {
  return rate ? analysis::FormatBytes(rate->value) + unit : "unknown";
}

// Multi-line text: each name is escaped on its own (EscapeBytes), so that none can add a line.
std::string SiteDetails(const analysis::FileReport& file) {
  const analysis::SiteReport* site = TopLeak(file);
  if (site == nullptr) return "top site: none (no stack leaks)\n";
  const std::string per_n = " per " + analysis::FormatCount(file.per_requests) + " requests";
  std::string text = "top site: " + EscapeBytes(analysis::DescribeSite(*site)) + ", " +
                     RateText(site->per_n_requests, per_n) + ", " +
                     RateText(site->per_hour, " per hour") + "\nstack:\n";
  for (size_t i = 0; i < site->frames.size(); ++i) {
    const analysis::FrameReport& frame = site->frames[i];
    text += "  #" + std::to_string(i) + " " +
            (frame.function.empty() ? std::string("??") : EscapeBytes(frame.function));
    if (!frame.file.empty()) {
      text += "  " + EscapeBytes(frame.file) +
              (frame.line > 0 ? ":" + std::to_string(frame.line) : "");
    }
    if (!frame.module.empty()) text += "  (" + EscapeBytes(frame.module) + ")";
    text += "\n";
  }
  return text;
}

// The failure line EvaluateGates wrote for `flag` on `file`, or "" when that gate passed there.
// Lines start with the flag and name the file as " in FILE;" (or " in FILE," for the baseline).
std::string FailureFor(const analysis::GateReport& gate, const std::string& flag,
                       const std::string& file) {
  for (const std::string& failure : gate.failures) {
    if (failure.rfind(flag + " ", 0) != 0) continue;
    if (failure.find(" in " + file + ";") != std::string::npos ||
        failure.find(" in " + file + ",") != std::string::npos) {
      return failure;
    }
  }
  return "";
}

}  // namespace

std::string EscapeXml(const std::string& text, bool attribute) {
  std::string out;
  const ControlCharacters controls =
      attribute ? ControlCharacters::kEscapeAll : ControlCharacters::kKeepNewlineAndTab;
  for (char c : EscapeBytes(text, controls)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderJunit(const std::vector<analysis::FileReport>& files,
                        const analysis::FileReport* baseline,
                        const analysis::GateOptions& options, const analysis::GateReport& gate) {
  std::vector<TestCase> cases;
  for (const analysis::FileReport& file : files) {
    const std::string per_n = " per " + analysis::FormatCount(file.per_requests) + " requests";
    const std::string facts = SiteDetails(file);
    auto add = [&](const std::string& flag, const std::string& name, const std::string& limit,
                   const std::string& measured) {
      TestCase test;
      test.name = name;
      test.file = file.path;
      test.failure_message = FailureFor(gate, flag, file.path);
      test.details = "gate: " + EscapeBytes(name) + "\nlimit: " + limit + "\nmeasured: " +
                     measured + "\nfile: " + EscapeBytes(file.path) + "\n" + facts;
      cases.push_back(std::move(test));
    };
    if (options.fail_on_leak) {
      const std::string limit = analysis::FormatBytes(static_cast<double>(*options.fail_on_leak));
      add("--fail-on-leak", "--fail-on-leak " + limit + per_n, limit + per_n,
          RateText(file.leak.per_n_requests, per_n));
    }
    if (options.fail_on_leak_per_hour) {
      const std::string limit =
          analysis::FormatBytes(static_cast<double>(*options.fail_on_leak_per_hour));
      add("--fail-on-leak-per-hour", "--fail-on-leak-per-hour " + limit + " per hour",
          limit + " per hour", RateText(file.leak.per_hour, " per hour"));
    }
    if (options.max_increase_percent && baseline != nullptr) {
      char percent[32];
      std::snprintf(percent, sizeof percent, "%g%%", *options.max_increase_percent);
      // The same choice as EvaluateGates: per N requests when both runs count requests.
      const bool use_requests =
          (file.leak.per_n_requests.has_value() || file.window_requests > 0) &&
          baseline->window_requests > 0;
      const std::string unit = use_requests ? per_n : " per hour";
      const auto& base_rate = use_requests ? baseline->leak.per_n_requests : baseline->leak.per_hour;
      const auto& rate = use_requests ? file.leak.per_n_requests : file.leak.per_hour;
      const double reference = base_rate ? base_rate->value : 0.0;
      add("--baseline", "--baseline " + options.baseline_path + " --max-increase " + percent,
          analysis::FormatBytes(reference * (1 + *options.max_increase_percent / 100)) + unit +
              " (baseline " + analysis::FormatBytes(reference) + unit + " + " + percent + ")",
          RateText(rate, unit));
    }
    if (!gate.evaluated) {
      TestCase test;
      test.name = "no gate configured";
      test.file = file.path;
      test.details = "no gate requested (--fail-on-leak, --fail-on-leak-per-hour, --baseline)\n"
                     "leak: " + RateText(file.leak.per_n_requests, per_n) + ", " +
                     RateText(file.leak.per_hour, " per hour") + "\nfile: " +
                     EscapeBytes(file.path) + "\n" + facts;
      cases.push_back(std::move(test));
    }
  }

  size_t failures = 0;
  for (const TestCase& test : cases) failures += test.failure_message.empty() ? 0 : 1;
  const std::string counts = " tests=\"" + std::to_string(cases.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"clw-leak-analyze\"" + counts + ">\n";
  out += "  <testsuite name=\"clwleak.gates\"" + counts + " skipped=\"0\" time=\"0\">\n";
  for (const TestCase& test : cases) {
    out += "    <testcase classname=\"clwleak.gates." + EscapeXml(test.file) + "\" name=\"" +
           EscapeXml(test.name) + "\" file=\"" + EscapeXml(test.file) + "\" time=\"0\"";
    if (test.failure_message.empty()) {
      out += ">\n      <system-out>" + EscapeXml(test.details, false) + "</system-out>\n    </testcase>\n";
    } else {
      out += ">\n      <failure type=\"clwleak.LeakGate\" message=\"" +
             EscapeXml(test.failure_message) + "\">" + EscapeXml(test.details, false) +
             "</failure>\n    </testcase>\n";
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace clwleak::cli
