// The /metrics page of clw-leak-exporter: every followed process's families (leak_metrics.h, the
// same as `clw-leak-analyze --format prometheus`), then the exporter's own: clwleak_up and the age
// of the last snapshot per process, files followed, snapshots read and read errors by reason.
// Pure: called by the HTTP server's thread with a FleetView copy.
#pragma once

#include <string>

#include "fleet_watcher.h"

namespace clwleak::exporter {

// `now_unix_s`: the wall clock, for snapshot ages. `openmetrics`: the OpenMetrics 1.0 text (with
// `# EOF`), else Prometheus text 0.0.4 for a client that does not accept OpenMetrics.
std::string RenderMetricsPage(const FleetView& view, double now_unix_s, bool openmetrics);

}  // namespace clwleak::exporter
