// The JSON of memory held, how the process ended and the cause of its memory pressure: the
// "ending", "held" and "oom_cause" fields of a file's report (docs/report-schema.md). Called by
// json_report.cc (and by the HTML report, which embeds it).
#pragma once

#include <nlohmann/json.hpp>

#include "report.h"

namespace clwleak::cli {

// Adds "ending", "post_mortem", "held" and "oom_cause" to a file's report object.
void AddHeldJson(const analysis::FileReport& file, nlohmann::ordered_json* json);

}  // namespace clwleak::cli
