// The /metrics page; see metrics_page.h.
#include "metrics_page.h"

#include <algorithm>

#include "leak_metrics.h"

namespace clwleak::exporter {

std::string RenderMetricsPage(const FleetView& view, double now_unix_s, bool openmetrics) {
  cli::Exposition metrics;
  cli::Family* up = metrics.Add(cli::kUpMetric,
                                "1 while the process's snapshot file reads without error, 0 once "
                                "it turned out corrupt (its last answers are kept until it ages "
                                "out).");
  cli::Family* age =
      metrics.Add(cli::kSnapshotAgeMetric, "Seconds since the process's last snapshot was taken.");
  cli::LeakMetrics leak(&metrics);
  cli::Family* followed =
      metrics.Add(cli::kFilesFollowedMetric, "Snapshot files followed (with a readable header).");
  cli::Family* snapshots = metrics.Add(cli::kSnapshotsReadMetric,
                                       "Snapshots read from every file since the exporter started.",
                                       cli::MetricType::kCounter);
  cli::Family* errors = metrics.Add(
      cli::kReadErrorsMetric,
      "Files that could not be followed, by reason: no_header, corrupt, truncated, replaced, "
      "removed (before the process finished it), too_many_files, unreadable.",
      cli::MetricType::kCounter);

  for (const PublishedProcess& process : view.processes) {
    const std::string labels = cli::RenderedLabels(process.labels).With();
    cli::PutRendered(up, labels, process.up ? 1.0 : 0.0);
    if (process.last_snapshot_wall_s > 0) {
      cli::PutRendered(age, labels, std::max(0.0, now_unix_s - process.last_snapshot_wall_s));
    }
    if (process.figures != nullptr) leak.Add(*process.figures, process.labels);
  }
  cli::Put(followed, {}, static_cast<double>(view.files_followed));
  cli::Put(snapshots, {}, static_cast<double>(view.snapshots_read));
  for (const char* reason : {"no_header", "corrupt", "truncated", "replaced", "removed",
                             "too_many_files", "unreadable"}) {
    auto found = view.read_errors.find(reason);
    cli::Put(errors, {{"reason", reason}},
             found == view.read_errors.end() ? 0.0 : static_cast<double>(found->second));
  }
  return metrics.Render(openmetrics);
}

}  // namespace clwleak::exporter
