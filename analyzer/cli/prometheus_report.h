// The Prometheus report of clw-leak-analyze (`--format prometheus`): OpenMetrics text, for
// node_exporter's textfile collector (write it with -o into the collector's directory, e.g.
// /var/lib/node_exporter/textfile/clwleak.prom). The per-process families are leak_metrics.h's
// (the same as clw-leak-exporter serves), each sample labelled with the input file as `file` and
// with the file's CLWLEAK_LABELS; then the gates' families. Every family is a gauge with HELP and
// TYPE lines; label values and HELP texts are escaped; the text ends with `# EOF`. No UNIT lines
// and no counters, so the same text is also valid Prometheus text format 0.0.4 (where `# EOF` is
// a comment). A figure the analysis does not know (no time to OOM projected, no request counts)
// is left out rather than written as NaN. The families are listed in docs/clw-leak-analyze.md.
// Called by main.cc.
#pragma once

#include <string>
#include <vector>

#include "openmetrics.h"
#include "report.h"

namespace clwleak::cli {

std::string RenderPrometheus(const std::vector<analysis::FileReport>& files,
                             const analysis::GateReport& gate);

}  // namespace clwleak::cli
