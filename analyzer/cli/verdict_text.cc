// The words of verdicts; see verdict_text.h.
#include "verdict_text.h"

#include "units.h"

namespace clwleak::cli {

using analysis::InconclusiveReason;

std::string ReasonText(InconclusiveReason reason) {
  switch (reason) {
    case InconclusiveReason::kNone:
      return "";
    case InconclusiveReason::kTooFewSnapshots:
      return "too few snapshots after the warm-up to judge the growth";
    case InconclusiveReason::kTooFewSamples:
      return "too few samples behind the growth to judge it";
    case InconclusiveReason::kGrowthTooRecent:
      return "the growth is recent: only what the last part of the run allocated stays live (a "
             "leak that just started, or a cache still filling)";
    case InconclusiveReason::kRunTooShort:
      return "the run is too short for its sample rate: a leak too small to leave a sample could "
             "still matter";
  }
  return "";
}

std::string ReasonName(InconclusiveReason reason) {
  switch (reason) {
    case InconclusiveReason::kNone:
      return "";
    case InconclusiveReason::kTooFewSnapshots:
      return "too_few_snapshots";
    case InconclusiveReason::kTooFewSamples:
      return "too_few_samples";
    case InconclusiveReason::kGrowthTooRecent:
      return "growth_too_recent";
    case InconclusiveReason::kRunTooShort:
      return "run_too_short";
  }
  return "";
}

std::string RemediesText(unsigned remedies) {
  std::vector<std::string> parts;
  if (remedies & analysis::kRemedyExactMode)
    parts.push_back("run in exact mode (CLWLEAK_SAMPLE_RATE=1)");
  if (remedies & analysis::kRemedyLongerRun) parts.push_back("run longer (more requests)");
  if (remedies & analysis::kRemedyShorterInterval) {
    parts.push_back("take snapshots more often (a shorter CLWLEAK_INTERVAL)");
  }
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == parts.size() ? " or " : ", ") + parts[i];
  }
  return text;
}

std::vector<std::string> RemedyNames(unsigned remedies) {
  std::vector<std::string> names;
  if (remedies & analysis::kRemedyExactMode) names.push_back("exact_mode");
  if (remedies & analysis::kRemedyLongerRun) names.push_back("longer_run");
  if (remedies & analysis::kRemedyShorterInterval) names.push_back("shorter_interval");
  return names;
}

namespace {
std::string Position(double position, const std::string& axis) {
  if (axis == "requests")
    return "request " + analysis::FormatCount(static_cast<uint64_t>(position));
  return analysis::FormatDuration(position);
}
}  // namespace

std::string OnsetText(const analysis::SiteReport& site, const std::string& axis) {
  if (!site.onset) return "";
  return "started after " + Position(*site.onset, axis) + "; its rate is measured from " +
         Position(site.rate_start, axis);
}

std::string RunReasonsText(const analysis::FileReport& file) {
  std::string text;
  for (const analysis::VerdictReason& reason : file.verdict_reasons) {
    if (!text.empty()) text += "; ";
    if (reason.sites > 0) {
      text += std::to_string(reason.sites) + (reason.sites == 1 ? " stack: " : " stacks: ");
    }
    text += ReasonText(reason.reason);
  }
  return text;
}

std::string RunRemediesText(const analysis::FileReport& file) {
  unsigned remedies = 0;
  for (const analysis::VerdictReason& reason : file.verdict_reasons) remedies |= reason.remedies;
  return RemediesText(remedies);
}

}  // namespace clwleak::cli
