// The report model: what clw-leak-analyze found in one file or across several, as plain data.
// Produced by analysis.cc and gates.cc, printed by analyzer/cli (text and JSON formatters); the
// JSON schema in docs/report-schema.md mirrors it. No behaviour here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "classification.h"
#include "growth_fit.h"
#include "oom_projection.h"

namespace clwleak::analysis {

// A rate in bytes per some unit (per N requests, per hour) with its 95% interval.
struct Rate {
  double value = 0;
  double lo = 0;
  double hi = 0;
};

struct FrameReport {
  std::string function;
  std::string file;
  uint32_t line = 0;
  std::string module;       // basename; empty when unknown
  std::string module_path;  // as recorded
  uint64_t address = 0;
  uint64_t module_offset = 0;
};

// One allocation stack.
struct SiteReport {
  uint32_t stack_id = 0;
  std::string key;  // StackKey(): equal for the same stack in another process
  Classification classification = Classification::kStable;
  std::string kind;    // "heap" or "mmap"
  std::string module;  // attribution: the first module outside the runtime
  int site_frame = -1; // index into frames of the attributed frame
  std::vector<FrameReport> frames;  // innermost first
  GrowthFit fit;       // over the window after warm-up, on the file's axis
  double window_growth_bytes = 0;  // == fit.growth, kept for readers of the model
  std::optional<Rate> per_n_requests;  // null without request counts or --request-rate
  std::optional<Rate> per_hour;        // null when the window has no duration
  double live_bytes = 0;               // at the last snapshot
  double live_count = 0;
  uint64_t live_samples = 0;
};

struct ModuleReport {
  std::string module;
  size_t sites = 0;  // leaking sites attributed to it
  double live_bytes = 0;
  GrowthFit fit;  // of the module's leaking sites summed
  std::optional<Rate> per_n_requests;
  std::optional<Rate> per_hour;
};

struct LeakSummary {
  bool detected = false;  // at least one site classified `leak`
  std::string module;     // the module leaking most; empty when none
  size_t sites = 0;
  GrowthFit fit;  // of all leaking sites summed
  std::optional<Rate> per_n_requests;
  std::optional<Rate> per_hour;
  double growth_bytes_per_s = 0;  // the basis of the time-to-OOM projection
  double growth_lo_bytes_per_s = 0;
  double growth_hi_bytes_per_s = 0;
};

// How the limit a projection uses compares with the limit the kernel enforces.
enum class LimitCheck {
  kNotRecorded,     // the file does not record the kernel's limit (an older preload wrote it)
  kEnforced,        // no setting: the limit used is the kernel's
  kSettingMatches,  // a setting (--memory-limit, a variable) equal to it
  kSettingBelow,    // a setting below it: the projection is the more cautious one
  kSettingAbove,    // a setting above it: a configuration error, the kernel kills first
};

// The kernel's limit from some point of the run on.
struct EnforcedLimitChange {
  double seconds = 0;  // since profiling started: the first snapshot that showed it
  double limit_bytes = 0;
  std::string limit_source;
};

struct MemoryReport {
  double limit_bytes = 0;           // 0 = unknown
  std::string limit_source;         // e.g. "cgroup v2 memory.max of /x", "--memory-limit"
  // The limit the kernel enforces as of the last snapshot: the cgroup's, else physical memory.
  double enforced_limit_bytes = 0;  // 0 = not recorded
  std::string enforced_limit_source;
  LimitCheck limit_check = LimitCheck::kNotRecorded;
  // The kernel's limit over the run: the first value and each change (empty: not recorded).
  std::vector<EnforcedLimitChange> enforced_limit_changes;
  bool enforced_limit_changes_truncated = false;  // more changes than listed
  double in_use_bytes = 0;          // at the last snapshot
  // "rss", "cgroup memory.current" (older files), or the cgroup files the preload read, e.g.
  // "cgroup v2 memory.current - inactive_file of /system.slice/foo.service"
  std::string in_use_source;
  // Processes whose memory in_use_bytes counts (those of the cgroup holding the limit, this one
  // included); more than 1: shared. 0 = not counted (RSS, or an older file).
  uint32_t in_use_processes = 0;
  double heap_live_bytes = 0;       // at the last snapshot (estimate)
  double rss_bytes = 0;             // at the last snapshot
  std::optional<double> rss_growth_bytes_per_s;  // RSS trend over the window, for comparison
};

// The process's memory at one point of the run, for charts. Points are SeriesRecorder's grid (at
// most AnalysisOptions::series_points, evenly spread over the snapshots, the last one included).
struct TimelinePoint {
  double seconds = 0;          // since profiling started
  double requests = 0;         // cumulative; 0 when the file does not count requests
  double heap_live_bytes = 0;  // estimate from the samples
  double in_use_bytes = 0;     // cgroup memory.current when the snapshot has it, else RSS
  double rss_bytes = 0;
};

// How a file ends when its process replaced its image by exec (exec_chain.h).
struct ExecEnding {
  std::string program;       // what it exec'd, as given to exec
  std::string continued_in;  // the new image's file, when it is among the files analysed
};

struct FileReport {
  std::string path;
  // process
  uint32_t pid = 0;
  std::string exe;
  std::vector<std::string> cmdline;
  std::string host;
  std::string clwleak_version;
  // run facts
  double duration_s = 0;  // from profiling start to the last snapshot
  uint64_t snapshots = 0;
  uint64_t requests = 0;
  bool complete = false;
  std::string end;          // "end" (clean) or "truncated"
  std::string end_message;  // why it is truncated; empty when clean
  uint64_t sample_rate_bytes = 0;
  uint64_t dropped_samples = 0;
  uint64_t dropped_bytes = 0;
  uint64_t unwind_failures = 0;
  // the fit
  std::string axis;  // "requests" or "seconds"
  uint64_t per_requests = 1000;
  std::optional<double> request_rate_per_s;
  std::string request_rate_source;  // "measured" or "--request-rate"
  std::string warmup;               // e.g. "first 10% of requests (12,000 requests)"
  size_t points_after_warmup = 0;
  double window_requests = 0;  // 0 when unknown
  double window_seconds = 0;
  // answers
  MemoryReport memory;
  LeakSummary leak;
  OomProjection oom;
  std::vector<SiteReport> sites;  // every stack: leaks by rate, then bounded by growth, then stable
  std::vector<ModuleReport> modules;  // modules with leaking sites, worst first
  std::vector<std::string> notes;     // caveats worth printing (short sentences)
  std::vector<TimelinePoint> timeline;  // memory over the run, bounded (see TimelinePoint)
  std::string previous_file;               // the file of the image this one was exec'd from
  std::optional<ExecEnding> exec_ending;  // set when the last snapshot's trigger is "exec"
};

// A stack across several files, matched by SiteReport::key.
struct AggregateSite {
  SiteReport site;  // frames and module of the first file that has it; rates pooled
  Classification classification = Classification::kStable;  // the worst over the files
  size_t files_present = 0;
  size_t files_leaking = 0;
};

struct AggregateReport {
  size_t files = 0;
  uint64_t per_requests = 1000;
  LeakSummary leak;
  std::vector<AggregateSite> sites;   // sites leaking or bounded in at least one file, worst first
  std::vector<ModuleReport> modules;  // modules with leaking sites, worst first
};

struct GateReport {
  bool evaluated = false;  // at least one gate was requested
  bool passed = true;
  std::vector<std::string> failures;  // one line per failed gate
};

}  // namespace clwleak::analysis
