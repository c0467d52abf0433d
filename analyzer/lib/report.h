// The report model: what clw-leak-analyze found in one file or across several, as plain data.
// Produced by analysis.cc and gates.cc, printed by analyzer/cli (every format); the JSON schema in
// docs/report-schema.md mirrors it. Typed: every word a user reads is written in analyzer/cli.
// No behaviour here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
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
  std::string kind;    // "heap", "mmap", "shared_anon" or "reserved" (memory_kinds.h)
  std::string module;  // attribution: the first module outside the runtime
  int site_frame = -1; // index into frames of the attributed frame
  std::vector<FrameReport> frames;  // innermost first
  GrowthFit fit;       // the reported fit, on the file's axis: over the window after warm-up, or
                       // for a leak that started late from its onset (see `onset`)
  double window_growth_bytes = 0;  // == fit.growth, kept for readers of the model
  // A leak that started after the window's start: it had not started before `onset`, on the
  // file's axis (requests or seconds); its rate is measured from `rate_start` on.
  std::optional<double> onset;
  double rate_start = 0;  // where `fit` starts on the axis
  bool growing_buffer = false;  // a leak of bytes that grow in place (realloc), not of new blocks
  // Why an `inconclusive` site could not be judged, and what would decide it (Remedy bits).
  InconclusiveReason inconclusive_reason = InconclusiveReason::kNone;
  unsigned remedies = 0;
  std::optional<Rate> per_n_requests;  // null without request counts or --request-rate
  std::optional<Rate> per_hour;        // null when the window has no duration
  double live_bytes = 0;               // at the last snapshot
  double live_count = 0;
  uint64_t live_samples = 0;
  // Set on the sites of FileReport::suppressed_sites: the rule that excused it ("leak:PATTERN")
  // and where it was written ("FILE:LINE").
  std::string suppressed_by;
  std::string suppressed_at;
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
  // What gates compare: the total's 95% interval widened by what the evidence cannot rule out.
  // lo: the leaking sites' total's lower end; hi: its upper end combined with the upper ends of
  // the `inconclusive` sites, and never below the run's resolution. Null like per_n_requests /
  // per_hour.
  std::optional<Rate> bound_per_n_requests;
  std::optional<Rate> bound_per_hour;
};

// Why a run as a whole could not rule a leak out, with what would decide it.
struct VerdictReason {
  InconclusiveReason reason = InconclusiveReason::kNone;
  unsigned remedies = 0;  // Remedy bits
  size_t sites = 0;       // inconclusive sites with this reason (0 for a run-level reason)
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

// How the process behind a file ended, as the file shows it.
enum class Ending {
  kNormal,           // a final snapshot at exit
  kExec,             // a final snapshot before exec
  kNoFinalSnapshot,  // the stream stops at a record boundary without one: killed (SIGKILL, the
                     // OOM killer) or still running
  kCutMidRecord,     // the stream stops inside a record: killed while writing
};

// One stack's part of the memory held at one snapshot (memory_held.h).
struct HeldSite {
  SiteReport site;  // the stack: frames, module, and its classification over the run
  double live_bytes = 0;
  double live_count = 0;
  double share = 0;  // of the heap live bytes then, in [0, 1]
  uint64_t largest_allocation_bytes = 0;  // largest single allocation; 0 = not recorded
  double growth_bytes = 0;  // FinalStretch only: live bytes gained over the stretch
};

struct HeldModule {
  std::string module;
  double live_bytes = 0;
  double live_count = 0;
  double share = 0;
  uint64_t largest_allocation_bytes = 0;
  size_t stacks = 0;  // stacks attributed to it that held memory then
};

// The memory held at one snapshot, biggest holders first (at most kHeldTop of each).
struct HeldMoment {
  bool valid = false;
  double seconds = 0;   // since profiling started
  double requests = 0;  // cumulative; 0 without request counts
  double in_use_bytes = 0;
  double heap_live_bytes = 0;
  double heap_live_count = 0;  // live allocations of every stack
  std::optional<double> in_use_of_limit;  // in_use / limit; null when the limit is unknown
  std::vector<HeldSite> sites;
  std::vector<HeldModule> modules;
};

// What changed over the last snapshots before the end.
struct FinalStretch {
  bool valid = false;
  size_t snapshots = 0;  // intervals spanned
  double seconds = 0;
  double requests = 0;
  double in_use_growth_bytes = 0;
  double heap_growth_bytes = 0;
  std::vector<HeldSite> grew;  // stacks whose live bytes grew, most first
};

struct HeldMemoryReport {
  HeldMoment end;   // the last observed snapshot
  HeldMoment peak;  // the observed snapshot with the most memory in use
  bool peak_is_end = false;
  FinalStretch final_stretch;
  bool largest_recorded = false;  // the file records the largest allocation per stack
  // Every stack's live bytes at the peak (those holding memory then), by stack id, ascending.
  std::vector<std::pair<uint32_t, double>> peak_live_bytes_by_stack;
};

// Why a process ran out of memory (or came close), in the operators' terms (oom_cause.h).
enum class OomCause {
  kNone,           // not near its limit and nothing that would bring it there
  kLeak,           // memory that grows steadily: the leak answers above
  kLargePayloads,  // a few allocations far larger than the rest hold most of the memory
  kLoadSpikes,     // memory rises with the request rate and falls back with it
  kLimitTooSmall,  // memory in use flat near the limit, with no growth
  kUndetermined,   // near the limit or killed, and none of the above fits the evidence
};

struct OomCauseReport {
  OomCause cause = OomCause::kNone;
  // Killed (no final snapshot), or the peak in use reached kPressureShare of the limit.
  bool under_pressure = false;
  // kLargePayloads: the stack at the snapshot where it held most; how many blocks it held then and
  // at the end; the average size of everything else live then.
  std::optional<HeldSite> payload;
  double payload_count_at_end = 0;
  double rest_average_allocation_bytes = 0;
  bool payloads_accumulate = false;  // it held more of them at the end than one
  // kLoadSpikes: the normal request rate (lower quartile) and the peak one; the median heap at
  // normal and at high load, and over how many intervals of high load; the correlation of the
  // heap with the rate (for reference); how far the heap fell from its peak by the end.
  double base_request_rate_per_s = 0;
  double peak_request_rate_per_s = 0;
  double heap_at_normal_load_bytes = 0;
  double heap_at_high_load_bytes = 0;
  size_t high_load_intervals = 0;
  double load_correlation = 0;
  double fell_back_bytes = 0;
  // kLimitTooSmall (and the post-mortem): memory in use at the end against the limit, and its
  // range over the second half of the run.
  double in_use_of_limit = 0;
  double in_use_range_bytes = 0;
};
// Memory of one kind that cannot leak (shared anonymous mappings, reserved address space), at the
// last snapshot: shown so that users see it, never in sites, heap live, leak figures, gates or the
// time to OOM.
struct KindMemory {
  std::string kind;  // "shared_anon" or "reserved"
  double live_bytes = 0;
  double live_count = 0;
  // Its stacks with live bytes, most first (at most kKindSitesListed).
  std::vector<SiteReport> sites;
  size_t sites_omitted = 0;
};
constexpr size_t kKindSitesListed = 10;

struct FileReport {
  std::string path;
  // process
  uint32_t pid = 0;
  std::string exe;
  std::vector<std::string> cmdline;
  std::string host;
  std::string clwleak_version;
  // CLWLEAK_LABELS as the header records them (key, value), in order; empty when unset.
  std::vector<std::pair<std::string, std::string>> labels;
  // run facts
  double duration_s = 0;  // from profiling start to the last snapshot
  uint64_t snapshots = 0;
  uint64_t requests = 0;
  bool complete = false;
  std::string end;          // "end" (clean) or "truncated"
  std::string end_message;  // why it is truncated; empty when clean
  uint64_t sample_rate_bytes = 0;
  double snapshot_interval_s = 0;  // the preload's CLWLEAK_INTERVAL
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
  // allocation ages
  bool ages = false;  // the file records allocation ages (birth buckets)
  size_t birth_buckets_after_warmup = 0;
  // The run's resolution in sampled mode: a leak this small may leave no sample in the window
  // (z^2 R bytes over it, R the sample rate), so it can be neither seen nor ruled out. 0 in exact
  // mode; null without a window.
  std::optional<double> resolution_per_n_requests;
  std::optional<double> resolution_per_hour;
  // answers
  Classification verdict = Classification::kStable;  // leak, inconclusive, bounded or stable
  std::vector<VerdictReason> verdict_reasons;         // when `inconclusive`
  MemoryReport memory;
  LeakSummary leak;
  OomProjection oom;
  // Leaking or inconclusive stacks a suppression rule excused (suppressions.h), worst first: left
  // out of `sites`, and so of the totals, the modules, the verdict, the projection and the gates.
  std::vector<SiteReport> suppressed_sites;
  std::vector<SiteReport> sites;  // every stack that can leak: leaks by rate, then bounded by
                                  // growth, then stable
  std::vector<KindMemory> memory_by_kind;  // the stacks that cannot leak, by kind
  std::vector<ModuleReport> modules;  // modules with leaking sites, worst first
  std::vector<std::string> notes;     // caveats worth printing (short sentences)
  std::vector<TimelinePoint> timeline;  // memory over the run, bounded (see TimelinePoint)
  std::string previous_file;               // the file of the image this one was exec'd from
  std::optional<ExecEnding> exec_ending;  // set when the last snapshot's trigger is "exec"
  // Memory held, how the process ended, and the cause of its memory pressure.
  Ending ending = Ending::kNormal;
  HeldMemoryReport held;
  OomCauseReport cause;
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
  Classification verdict = Classification::kStable;  // the worst over the files
  LeakSummary leak;
  std::vector<AggregateSite> sites;   // sites leaking or bounded in at least one file, worst first
  std::vector<ModuleReport> modules;  // modules with leaking sites, worst first
};

enum class GateKind { kFailOnLeak, kFailOnLeakPerHour, kBaseline };
// kInconclusive: the measured interval straddles the limit.
enum class GateOutcome { kPassed, kFailed, kInconclusive };

// One gate checked on one file.
// How one leaking site moved between the baseline run and this one; the baseline gate lists them
// (site_changes.h). Rates are in the check's unit (per N requests or per hour); 0 when the site
// was not leaking in that run.
enum class SiteChangeKind { kGrew, kAppeared, kDisappeared };
struct SiteChange {
  SiteChangeKind kind = SiteChangeKind::kGrew;
  std::string site;  // DescribeSite()
  std::string key;   // SiteReport::key
  double before = 0;
  double after = 0;
};

struct GateCheck {
  GateKind kind = GateKind::kFailOnLeak;
  GateOutcome outcome = GateOutcome::kPassed;
  std::string file;
  bool per_hour = false;        // limit and measured are per hour, else per `per_requests`
  uint64_t per_requests = 1000;
  double limit = 0;             // the threshold compared with (baseline: reference x (1 + pct))
  Rate measured;                // value: the leak's point estimate; lo, hi: LeakSummary's bound
  // --baseline: the baseline's point estimate, the allowance, and the baseline's path.
  double baseline_reference = 0;
  double max_increase_percent = 0;
  std::string baseline_path;
  std::optional<SiteReport> top_site;  // the file's worst leaking site, else its worst inconclusive
  std::vector<SiteChange> site_changes;  // --baseline: the sites that grew, appeared, disappeared
  // Set when the file could not be read (why): the check is inconclusive, nothing was measured.
  std::string unreadable;
};

// A file of a batch that could not be read, and why (the reader's message). The other files are
// reported; the gates count it as inconclusive.
struct SkippedFile {
  std::string path;
  std::string reason;
};

struct GateReport {
  bool evaluated = false;  // at least one gate was requested
  // The evidence over every check: failed when one failed, else inconclusive when one was.
  GateOutcome outcome = GateOutcome::kPassed;
  bool inconclusive_passes = false;  // --inconclusive=pass
  bool passed = true;  // no check failed, and none was inconclusive unless inconclusive_passes
  std::vector<GateCheck> checks;  // one per gate and file, in the order the gates are listed
};

}  // namespace clwleak::analysis
