// The JUnit XML report; see junit_report.h.
#include "junit_report.h"

#include <cmath>
#include <cstdio>

#include "analysis.h"
#include "byte_escape.h"
#include "gate_text.h"
#include "units.h"

namespace clwleak::cli {
namespace {

struct TestCase {
  std::string name;
  std::string file;
  std::string failure_message;  // empty: passed
  std::string failure_type;
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
                        const analysis::GateReport& gate) {
  std::vector<TestCase> cases;
  for (const analysis::FileReport& file : files) {
    const std::string per_n = " per " + analysis::FormatCount(file.per_requests) + " requests";
    const std::string facts = SiteDetails(file);
    for (const analysis::GateCheck& check : gate.checks) {
      if (check.file != file.path) continue;
      const std::string unit = check.per_hour ? std::string(" per hour") : per_n;
      TestCase test;
      test.name = GateName(check);
      test.file = file.path;
      if (check.outcome == analysis::GateOutcome::kFailed ||
          (check.outcome == analysis::GateOutcome::kInconclusive && !gate.inconclusive_passes)) {
        test.failure_message = GateLine(check);
        test.failure_type = check.outcome == analysis::GateOutcome::kFailed
                                ? "clwleak.LeakGate"
                                : "clwleak.Inconclusive";
      }
      std::string limit = analysis::FormatBytes(check.limit) + unit;
      if (check.kind == analysis::GateKind::kBaseline) {
        char percent[32];
        std::snprintf(percent, sizeof percent, "%g%%", check.max_increase_percent);
        limit += " (baseline " + analysis::FormatBytes(check.baseline_reference) + unit + " + " +
                 percent + ")";
      }
      test.details = "gate: " + EscapeBytes(test.name) + "\nlimit: " + limit + "\nmeasured: " +
                     analysis::FormatBytes(check.measured.value) + unit + " (95% CI " +
                     analysis::FormatBytes(check.measured.lo) + "–" +
                     (std::isfinite(check.measured.hi) ? analysis::FormatBytes(check.measured.hi)
                                                       : std::string("unbounded")) +
                     ")\noutcome: " + GateOutcomeName(check.outcome) + "\nfile: " + EscapeBytes(file.path) +
                     "\n" + facts;
      if (check.kind == analysis::GateKind::kBaseline) {
        std::string moved;
        for (const analysis::SiteChange& change : check.site_changes) {
          moved += "  " + EscapeBytes(SiteChangeText(check, change)) + "\n";
        }
        test.details += "sites since the baseline:\n" + (moved.empty() ? "  none moved\n" : moved);
      }
      cases.push_back(std::move(test));
    }
    if (!gate.evaluated) {
      TestCase test;
      test.name = "no gate configured";
      test.file = file.path;
      test.details = "no gate requested (--fail-on-leak, --fail-on-leak-per-hour, --baseline)\n"
                     "leak: " + RateText(file.leak.per_n_requests, per_n) + ", " +
                     RateText(file.leak.per_hour, " per hour") + "\nverdict: " +
                     analysis::ClassificationName(file.verdict) + "\nfile: " + EscapeBytes(file.path) + "\n" +
                     facts;
      cases.push_back(std::move(test));
    }
  }
  // Files that could not be read: one test case per gate, inconclusive.
  for (const analysis::GateCheck& check : gate.checks) {
    if (check.unreadable.empty()) continue;
    TestCase test;
    test.name = GateName(check);
    test.file = check.file;
    test.details = "gate: " + EscapeBytes(test.name) + "\noutcome: inconclusive\nfile: " +
                   EscapeBytes(check.file) + "\nnot read: " + EscapeBytes(check.unreadable) + "\n";
    if (!gate.inconclusive_passes) {
      test.failure_message = GateLine(check);
      test.failure_type = "clwleak.Unreadable";
    }
    cases.push_back(std::move(test));
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
      out += ">\n      <failure type=\"" + test.failure_type + "\" message=\"" +
             EscapeXml(test.failure_message) + "\">" + EscapeXml(test.details, false) +
             "</failure>\n    </testcase>\n";
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace clwleak::cli
