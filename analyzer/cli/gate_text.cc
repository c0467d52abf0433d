// The words of gate results; see gate_text.h.
#include "gate_text.h"

#include <cmath>
#include <cstdio>

#include "analysis.h"
#include "units.h"

namespace clwleak::cli {
namespace {

using analysis::FormatBytes;
using analysis::GateCheck;
using analysis::GateKind;
using analysis::GateOutcome;

std::string Unit(const GateCheck& check) {
  return check.per_hour ? " per hour"
                        : " per " + analysis::FormatCount(check.per_requests) + " requests";
}

std::string Interval(const analysis::Rate& rate) {
  const std::string hi = std::isfinite(rate.hi) ? FormatBytes(rate.hi) : std::string("unbounded");
  return "(95% CI " + FormatBytes(std::max(rate.lo, 0.0)) + "–" + hi + ")";
}

std::string TopSiteText(const GateCheck& check) {
  if (!check.top_site) return "no leaking site";
  const analysis::SiteReport& site = *check.top_site;
  std::string text = "top site: " + analysis::DescribeSite(site);
  const auto& rate = check.per_hour ? site.per_hour : site.per_n_requests;
  if (site.classification == analysis::Classification::kInconclusive) {
    text += " (inconclusive)";
    if (rate) text += ", up to " + FormatBytes(rate->hi) + Unit(check);
  } else if (rate) {
    text += ", " + FormatBytes(rate->value) + Unit(check);
  }
  return text;
}

constexpr size_t kSiteChangesInLine = 5;

}  // namespace

std::string SiteChangeText(const GateCheck& check, const analysis::SiteChange& change) {
  const char* verb = change.kind == analysis::SiteChangeKind::kGrew       ? "grew"
                     : change.kind == analysis::SiteChangeKind::kAppeared ? "appeared"
                                                                          : "disappeared";
  return std::string(verb) + ": " + change.site + ", " + FormatBytes(change.before) + " → " +
         FormatBytes(change.after) + Unit(check);
}

std::string GateOutcomeName(GateOutcome outcome) {
  switch (outcome) {
    case GateOutcome::kPassed:
      return "passed";
    case GateOutcome::kFailed:
      return "failed";
    case GateOutcome::kInconclusive:
      return "inconclusive";
  }
  return "passed";
}

std::string GateName(const GateCheck& check) {
  switch (check.kind) {
    case GateKind::kFailOnLeak:
      return "--fail-on-leak " + FormatBytes(check.limit) + Unit(check);
    case GateKind::kFailOnLeakPerHour:
      return "--fail-on-leak-per-hour " + FormatBytes(check.limit) + Unit(check);
    case GateKind::kBaseline: {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%g%%", check.max_increase_percent);
      return "--baseline " + check.baseline_path + " --max-increase " + limit;
    }
  }
  return "";
}

std::string GateLine(const GateCheck& check) {
  std::string line = GateName(check) + ": ";
  if (check.outcome == GateOutcome::kInconclusive) line += "inconclusive: ";
  if (!check.unreadable.empty()) return line + check.file + " could not be read: " + check.unreadable;
  line += "measured " + FormatBytes(check.measured.value) + Unit(check) + " " +
          Interval(check.measured) + " in " + check.file;
  if (check.kind == GateKind::kBaseline) {
    char increase[48];
    if (check.baseline_reference > 0) {
      std::snprintf(increase, sizeof increase, "%+.0f%%",
                    (check.measured.value / check.baseline_reference - 1) * 100);
    } else {
      std::snprintf(increase, sizeof increase, "baseline had no leak");
    }
    line +=
        ", baseline " + FormatBytes(check.baseline_reference) + Unit(check) + " (" + increase + ")";
    if (!check.site_changes.empty()) {
      line += "; sites: ";
      for (size_t i = 0; i < check.site_changes.size() && i < kSiteChangesInLine; ++i) {
        line += (i > 0 ? "; " : "") + SiteChangeText(check, check.site_changes[i]);
      }
      if (check.site_changes.size() > kSiteChangesInLine) {
        line += "; and " + std::to_string(check.site_changes.size() - kSiteChangesInLine) +
                " more in --format json";
      }
    } else {
      line += "; no site grew, appeared or disappeared";
    }
  }
  return line + "; " + TopSiteText(check);
}

std::vector<std::string> GateLines(const analysis::GateReport& gate, GateOutcome outcome) {
  std::vector<std::string> lines;
  for (const GateCheck& check : gate.checks) {
    if (check.outcome == outcome) lines.push_back(GateLine(check));
  }
  return lines;
}

}  // namespace clwleak::cli
