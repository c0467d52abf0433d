// The words of verdicts: why a stack or a run could not be judged, what would decide it, and the
// run's verdict phrase. Shared by every report format so that they say the same thing. Pure
// functions over the report model; called by text_report.cc, json_report.cc, junit_report.cc,
// html_report.cc and gate_text.cc.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace clwleak::cli {

// "too few samples behind the growth" (no capital, no full stop).
std::string ReasonText(analysis::InconclusiveReason reason);
// A stable machine name: "too_few_snapshots", "too_few_samples", "growth_too_recent",
// "run_too_short"; "" for kNone.
std::string ReasonName(analysis::InconclusiveReason reason);
// "run in exact mode (CLWLEAK_SAMPLE_RATE=1) or run longer"; "" for no remedy.
std::string RemediesText(unsigned remedies);
// Stable machine names of the remedy bits: "exact_mode", "longer_run", "shorter_interval".
std::vector<std::string> RemedyNames(unsigned remedies);
// "started after request 12,000; its rate is measured from request 15,000" (or durations on a
// time axis) for a leak that started late; else "".
std::string OnsetText(const analysis::SiteReport& site, const std::string& axis);
// The reasons of an inconclusive run, joined: "2 stacks grew on too few samples behind the
// growth; the run is too short for its sample rate".
std::string RunReasonsText(const analysis::FileReport& file);
// The remedies of every reason of the run, joined.
std::string RunRemediesText(const analysis::FileReport& file);

}  // namespace clwleak::cli
