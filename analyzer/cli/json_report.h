// The JSON report of clw-leak-analyze, schema "clwleak-report/1" (docs/report-schema.md). One
// file: its report's fields at the top level. Several: the same top-level fields computed over the
// fleet, plus files[] with each file's report. Called by main.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report.h"

namespace clwleak::cli {

inline constexpr const char* kReportSchema = "clwleak-report/1";

// Pieces of this report that the HTML report embeds as they are: a number (null when not finite,
// which JSON cannot hold) and a file's timeline.
nlohmann::ordered_json JsonNumber(double value);
nlohmann::ordered_json TimelineJson(const analysis::FileReport& file);
// Every string value in `json` through EscapeBytes (byte_escape.h): names from the host become
// valid UTF-8 without control characters, in whichever field they are. Applied to the whole report
// just before it is written, and to the data the HTML report embeds.
void EscapeStrings(nlohmann::ordered_json* json);

// `skipped`: the files of the batch that could not be read (the "skipped" array).
std::string RenderJson(const std::vector<analysis::FileReport>& files,
                       const analysis::AggregateReport* aggregate,
                       const analysis::GateReport& gate,
                       const std::vector<analysis::SkippedFile>& skipped = {});

}  // namespace clwleak::cli
