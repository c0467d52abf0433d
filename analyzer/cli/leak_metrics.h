// The metric families clwleak exposes per profiled process, named and described in this one place:
// `clw-leak-analyze --format prometheus` (prometheus_report.cc) writes them for a file analysed
// offline, clw-leak-exporter (analyzer/exporter) for every file it follows. Names follow the
// Prometheus conventions: base units (bytes, seconds) in the name, `_ci95_low/_high` for the ends
// of a 95% interval, state sets for enumerations. docs/clw-leak-exporter.md lists them.
// Not thread-safe: one LeakMetrics per Exposition.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "openmetrics.h"
#include "report.h"

namespace clwleak::cli {

// The figures of one process that the metrics show, taken from its report: small, so that the
// exporter keeps them per file without the report's sites and series.
struct ProcessFigures {
  std::string exe;
  std::string host;
  uint32_t pid = 0;
  std::string clwleak_version;
  analysis::Classification verdict = analysis::Classification::kStable;
  std::optional<analysis::Rate> leak_per_request;  // bytes per request
  std::optional<analysis::Rate> leak_per_second;   // bytes per second
  size_t leaking_sites = 0;
  size_t inconclusive_sites = 0;
  std::string top_module;  // the module leaking most; empty when none
  struct ModuleLeak {
    std::string module;
    std::optional<double> per_request;
    std::optional<double> per_second;
  };
  std::vector<ModuleLeak> modules;              // modules with leaking sites, worst first
  std::optional<analysis::Rate> time_to_oom_s;  // null when none is projected
  std::map<std::string, double> live_bytes_by_module;
  double limit_bytes = 0;  // 0 = unknown
  std::string limit_source;
  double in_use_bytes = 0;
  double heap_live_bytes = 0;
  double duration_s = 0;
  uint64_t snapshots = 0;
  uint64_t requests = 0;
  bool complete = false;
  uint64_t dropped_samples = 0;
  double snapshot_interval_s = 0;
};
ProcessFigures FiguresOf(const analysis::FileReport& file);

// The labels on every series of a process: `file` (as given), then the CLWLEAK_LABELS recorded
// in its header (names made valid; a name that another label of ours already uses gets the
// prefix `label_`), then `extra` (e.g. pid and exe).
Labels ProcessLabels(const std::string& file,
                     const std::vector<std::pair<std::string, std::string>>& labels,
                     const Labels& extra = {});

// Names of the families the exporter adds beside the per-process ones.
inline constexpr const char* kUpMetric = "clwleak_up";
inline constexpr const char* kSnapshotAgeMetric = "clwleak_last_snapshot_age_seconds";
inline constexpr const char* kFilesFollowedMetric = "clwleak_exporter_files_followed";
inline constexpr const char* kReadErrorsMetric = "clwleak_exporter_read_errors";        // counter
inline constexpr const char* kSnapshotsReadMetric = "clwleak_exporter_snapshots_read";  // counter

// The per-process families, added to `exposition` in their order when constructed.
class LeakMetrics {
 public:
  explicit LeakMetrics(Exposition* exposition);
  // Every family's samples for one process, each with `process` labels first.
  void Add(const ProcessFigures& figures, const Labels& process);

 private:
  Family* info_;
  Family* leak_per_request_;
  Family* leak_per_request_low_;
  Family* leak_per_request_high_;
  Family* leak_per_second_;
  Family* leak_per_second_low_;
  Family* leak_per_second_high_;
  Family* leaking_sites_;
  Family* verdict_;
  Family* inconclusive_sites_;
  Family* top_module_;
  Family* module_per_request_;
  Family* module_per_second_;
  Family* time_to_oom_;
  Family* time_to_oom_low_;
  Family* time_to_oom_high_;
  Family* live_bytes_;
  Family* limit_;
  Family* in_use_;
  Family* heap_live_;
  Family* duration_;
  Family* snapshots_;
  Family* requests_;
  Family* complete_;
  Family* dropped_;
  Family* interval_;
};

}  // namespace clwleak::cli
