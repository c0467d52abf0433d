// The analysis of one file and the aggregation of several; see analysis.h.
#include "analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "attribution.h"
#include "exec_chain.h"
#include "memory_held.h"
#include "memory_limit.h"
#include "oom_cause.h"
#include "exit_snapshot.h"
#include "memory_kinds.h"
#include "memory_limit.h"
#include "rates.h"
#include "series_recorder.h"
#include "snapshot_reader.h"
#include "survivors.h"
#include "units.h"
#include "verdict.h"

namespace clwleak::analysis {
namespace {

constexpr double kZ975 = 1.959963984540054;

double RateValue(const std::optional<Rate>& rate) { return rate ? rate->value : 0.0; }

// Orders sites: leaks by rate, then inconclusive by their possible rate, then bounded by growth,
// then stable by live bytes.
bool WorseSite(const SiteReport& a, const SiteReport& b) {
  auto rank = [](Classification c) { return -Severity(c); };
  if (rank(a.classification) != rank(b.classification)) {
    return rank(a.classification) < rank(b.classification);
  }
  if (a.classification == Classification::kInconclusive) {
    const double ha = a.per_hour ? a.per_hour->hi : a.per_n_requests ? a.per_n_requests->hi : 0;
    const double hb = b.per_hour ? b.per_hour->hi : b.per_n_requests ? b.per_n_requests->hi : 0;
    if (ha != hb) return ha > hb;
  }
  if (a.classification == Classification::kLeak && a.per_hour && b.per_hour &&
      a.per_hour->value != b.per_hour->value) {
    return a.per_hour->value > b.per_hour->value;
  }
  if (a.classification != Classification::kStable && a.fit.growth != b.fit.growth) {
    return a.fit.growth > b.fit.growth;
  }
  if (a.live_bytes != b.live_bytes) return a.live_bytes > b.live_bytes;
  return a.stack_id < b.stack_id;
}

void AddToKind(SiteReport site, std::vector<KindMemory>* kinds) {
  auto entry = std::find_if(kinds->begin(), kinds->end(),
                            [&](const KindMemory& k) { return k.kind == site.kind; });
  if (entry == kinds->end()) {
    kinds->emplace_back();
    kinds->back().kind = site.kind;
    entry = kinds->end() - 1;
  }
  entry->live_bytes += site.live_bytes;
  entry->live_count += site.live_count;
  if (site.live_bytes > 0) entry->sites.push_back(std::move(site));
}

// Kinds in a fixed order (shared before reserved), their stacks most live bytes first, bounded.
void FinishKinds(std::vector<KindMemory>* kinds) {
  std::sort(kinds->begin(), kinds->end(),
            [](const KindMemory& a, const KindMemory& b) { return a.kind > b.kind; });
  for (KindMemory& entry : *kinds) {
    std::sort(entry.sites.begin(), entry.sites.end(), [](const SiteReport& a, const SiteReport& b) {
      return a.live_bytes != b.live_bytes ? a.live_bytes > b.live_bytes : a.stack_id < b.stack_id;
    });
    if (entry.sites.size() > kKindSitesListed) {
      entry.sites_omitted = entry.sites.size() - kKindSitesListed;
      entry.sites.resize(kKindSitesListed);
    }
  }
}

std::string Percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g%%", fraction * 100);
  return buffer;
}

}  // namespace

std::string DescribeSite(const SiteReport& site) {
  if (site.site_frame < 0 || site.site_frame >= static_cast<int>(site.frames.size())) {
    return "stack " + std::to_string(site.stack_id) + " (no frames) in " + site.module;
  }
  const FrameReport& frame = site.frames[site.site_frame];
  if (frame.function.empty()) {
    char offset[32];
    std::snprintf(offset, sizeof offset, "+0x%llx",
                  static_cast<unsigned long long>(frame.module_offset));
    return (frame.module.empty() ? std::string("[unknown]") : frame.module) + offset;
  }
  std::string text = frame.function;
  if (!frame.file.empty()) {
    text += " (" + ModuleBasename(frame.file) +
            (frame.line > 0 ? ":" + std::to_string(frame.line) : std::string()) + ")";
  }
  return text + " in " + site.module;
}

// What the stream of snapshots leaves for the report, beside the series.
struct FileAnalysis::State {
  State(const SnapshotReader& reader, const AnalysisOptions& options)
      : reader(reader),
        options(options),
        recorder(options.series_points, reader.header().birth_bucket_capacity() > 0),
        teardown(static_cast<double>(reader.header().sample_rate_bytes())),
        enforced_limit(reader.header()) {}

  const SnapshotReader& reader;
  AnalysisOptions options;
  SeriesRecorder recorder;
  TeardownJudge teardown;
  uint64_t previous_requests = 0;
  uint64_t idle_since_observed = 0;
  bool teardown_excluded = false;
  EnforcedLimitHistory enforced_limit;
  std::string in_use_source;  // of the last snapshot observed
  uint32_t in_use_processes = 0;
  HeldMemoryTracker held;      // what held the memory at the end and at the peak
  double held_requests = 0;    // the highest request count observed
};

FileAnalysis::FileAnalysis(const SnapshotReader& reader, const AnalysisOptions& options)
    : state_(std::make_unique<State>(reader, options)) {}
FileAnalysis::~FileAnalysis() = default;

void FileAnalysis::Observe() {
  State& s = *state_;
  const proto::Header& header = s.reader.header();
  const proto::Snapshot& snapshot = s.reader.last_snapshot();
  // The limit is a fact of the time, whatever the snapshot shows of the worker.
  s.enforced_limit.Observe(snapshot);
  // The exit snapshot is taken after the program's destructors ran. When it shows memory freed
  // materially since the last snapshot (exit_snapshot.h), that is teardown (caches and pools
  // released), not how the worker behaved: it is left out of the growth series, and memory in
  // use then also comes from the running process.
  if (snapshot.trigger() == "exit" &&
      s.teardown.IsTeardown(static_cast<double>(snapshot.heap_live_bytes()))) {
    s.teardown_excluded = true;
    s.recorder.ObserveSkipped(snapshot, header.start_monotonic_ns());
    return;
  }
  // A snapshot that saw no request since the previous one adds nothing on the request axis, and
  // after the last request it shows shutdown (an interpreter freeing everything), not the
  // worker's behaviour. Files without request counts (always 0) keep every snapshot.
  if (s.previous_requests > 0 && snapshot.requests() == s.previous_requests) {
    ++s.idle_since_observed;
    s.recorder.ObserveSkipped(snapshot, header.start_monotonic_ns());
    return;
  }
  s.recorder.Observe(snapshot, header.start_monotonic_ns());
  s.held_requests = std::max(s.held_requests, static_cast<double>(snapshot.requests()));
  const uint64_t since_start = snapshot.monotonic_ns() > header.start_monotonic_ns()
                                   ? snapshot.monotonic_ns() - header.start_monotonic_ns()
                                   : 0;
  s.held.Observe(snapshot, static_cast<double>(since_start) * 1e-9, s.held_requests);
  if (snapshot.has_cgroup_memory_current()) {
    s.in_use_source = snapshot.memory_in_use_source().empty() ? "cgroup memory.current"
                                                              : snapshot.memory_in_use_source();
    s.in_use_processes = snapshot.cgroup_process_count();
  } else {
    s.in_use_source = "rss";
    s.in_use_processes = 0;
  }
  s.teardown.ObserveRunning(static_cast<double>(snapshot.heap_live_bytes()));
  s.previous_requests = snapshot.requests();
  s.idle_since_observed = 0;
}

bool AnalyzeFile(const std::string& path, const AnalysisOptions& options, FileReport* report,
                 std::string* error) {
  auto reader = SnapshotReader::Open(path, error);
  if (reader == nullptr) return false;
  FileAnalysis analysis(*reader, options);
  ReadStatus status;
  while ((status = reader->Next()) == ReadStatus::kSnapshot) {
    if (options.on_progress) options.on_progress(reader->file_bytes_read(), reader->file_size());
    analysis.Observe();
  }
  if (status == ReadStatus::kError) {
    *error = reader->error();
    return false;
  }
  return analysis.Report(status, report, error);
}

bool FileAnalysis::Report(ReadStatus status, FileReport* report, std::string* error) const {
  const State& s = *state_;
  const SnapshotReader* reader = &s.reader;
  const proto::Header& header = reader->header();
  const AnalysisOptions& options = s.options;
  const std::string& path = reader->path();
  const EnforcedLimitHistory& enforced_limit = s.enforced_limit;
  const uint64_t idle_since_observed = s.idle_since_observed;
  const bool teardown_excluded = s.teardown_excluded;
  const std::string& in_use_source = s.in_use_source;
  const uint32_t in_use_processes = s.in_use_processes;
  // Finishing adds the last snapshot to the grid: done on a copy, so that more snapshots can
  // still be observed on the grid's stride.
  SeriesRecorder recorder = s.recorder;
  recorder.Finish();

  FileReport& file = *report;
  file = FileReport{};
  file.path = path;
  file.pid = header.pid();
  file.exe = header.exe();
  file.cmdline.assign(header.cmdline().begin(), header.cmdline().end());
  file.host = header.host();
  file.clwleak_version = header.clwleak_version();
  file.sample_rate_bytes = header.sample_rate_bytes();
  file.snapshot_interval_s = static_cast<double>(header.snapshot_interval_ns()) / 1e9;
  file.snapshots = reader->snapshots_read();
  file.complete = reader->complete();
  file.previous_file = header.previous_file();
  for (const proto::Label& label : header.labels()) file.labels.emplace_back(label.key(), label.value());
  file.exec_ending = ExecEndingOf(reader->last_snapshot());
  file.end = status == ReadStatus::kEnd ? "end" : "truncated";
  if (status == ReadStatus::kTruncated) file.end_message = reader->error();
  file.per_requests = options.per_requests;

  const std::vector<RunPoint>& points = recorder.points();
  const size_t n = points.size();
  if (n > 0) {
    const proto::Drops& drops = reader->last_snapshot().drops();
    file.dropped_samples =
        drops.allocation_table_full() + drops.stack_table_full() + drops.mmap_table_full();
    file.dropped_bytes = drops.allocation_table_bytes() + drops.stack_table_bytes();
    file.unwind_failures = drops.unwind_failures();
    const RunPoint& last = points.back();
    file.duration_s = last.seconds;
    // The requests the process served: its last snapshot's count, even when that snapshot's heap
    // is teardown and left out of the series.
    file.requests = std::max(static_cast<uint64_t>(last.requests),
                             reader->last_snapshot().requests());
    file.memory.rss_bytes = last.rss_bytes;
    file.memory.heap_live_bytes = last.heap_live_bytes;
    file.memory.in_use_bytes = last.cgroup_memory_current.value_or(last.rss_bytes);
    file.memory.in_use_source = in_use_source;
    file.memory.in_use_processes = in_use_processes;
    file.timeline.reserve(n);
    for (const RunPoint& point : points) {
      file.timeline.push_back(TimelinePoint{point.seconds, point.requests, point.heap_live_bytes,
                                            point.cgroup_memory_current.value_or(point.rss_bytes),
                                            point.rss_bytes});
    }
  }
  ResolveMemoryLimit(header, enforced_limit, options.memory_limit, &file.memory);
  if (idle_since_observed > 0) {
    file.notes.push_back(FormatCount(idle_since_observed) +
                         " snapshot(s) after the last request are not part of the fit (shutdown "
                         "or idling, not request handling)");
  }
  if (teardown_excluded) {
    file.notes.push_back("the exit snapshot (after the program's destructors) is not part of the "
                         "growth fit; the figures describe the running process");
  }
  if (file.dropped_samples > 0) {
    file.notes.push_back("the profiler dropped " + FormatCount(file.dropped_samples) +
                         " samples (tables full): leak figures are a lower bound");
  }

  // The axis: cumulative requests when the file counts them, else seconds.
  const bool by_requests = n > 0 && points.back().requests > 0;
  file.axis = by_requests ? "requests" : "seconds";
  std::vector<double> axis(n);
  for (size_t i = 0; i < n; ++i) axis[i] = by_requests ? points[i].requests : points[i].seconds;

  // Warm-up: the first point at or after the cut-off starts the window.
  double cutoff = 0;
  const Warmup& warmup = options.warmup;
  const double axis_end = n > 0 ? axis.back() : 0;
  switch (warmup.kind) {
    case Warmup::Kind::kFraction:
      cutoff = warmup.value * axis_end;
      file.warmup = "first " + Percent(warmup.value) + " of the " +
                    (by_requests ? "requests (" + FormatCount(static_cast<uint64_t>(cutoff)) +
                                       " requests)"
                                 : "run (" + FormatDuration(cutoff) + ")");
      break;
    case Warmup::Kind::kSeconds:
      file.warmup = "first " + FormatDuration(warmup.value);
      if (by_requests) {
        // Translate the duration into the request count reached by then.
        cutoff = axis_end + 1;
        for (size_t i = 0; i < n; ++i) {
          if (points[i].seconds >= warmup.value) {
            cutoff = axis[i];
            break;
          }
        }
      } else {
        cutoff = warmup.value;
      }
      break;
    case Warmup::Kind::kRequests:
      file.warmup = "first " + FormatCount(static_cast<uint64_t>(warmup.value)) + " requests";
      if (by_requests) {
        cutoff = warmup.value;
      } else if (options.request_rate && *options.request_rate > 0) {
        cutoff = warmup.value / *options.request_rate;
      } else if (n > 0) {
        *error = path + ": --warmup " + FormatCount(static_cast<uint64_t>(warmup.value)) +
                 " counts requests, but the file has no request counts; give a duration (e.g. "
                 "--warmup 60s), a percentage, or --request-rate";
        return false;
      }
      break;
  }
  size_t start = n;
  for (size_t i = 0; i < n; ++i) {
    if (axis[i] >= cutoff) {
      start = i;
      break;
    }
  }
  const size_t window = start < n ? n - start : 0;
  file.points_after_warmup = window;

  // Allocation ages: the birth buckets on the axis, and those after the warm-up.
  const std::vector<BucketStart> buckets = recorder.birth_buckets();
  file.ages = recorder.has_ages() && !buckets.empty() && n > 0;
  std::vector<double> bucket_starts;
  std::vector<bool> bucket_live_known;
  std::vector<std::pair<double, double>> axis_seconds;
  for (size_t i = 0; i < n; ++i) axis_seconds.emplace_back(axis[i], points[i].seconds);
  for (const BucketStart& bucket : buckets) {
    const double position = by_requests ? bucket.requests : bucket.seconds;
    bucket_starts.push_back(position);
    bucket_live_known.push_back(bucket.live_known);
    axis_seconds.emplace_back(position, bucket.seconds);
  }
  const double axis_last = n > 0 ? axis.back() : 0;
  const RunAxis run_axis(by_requests, axis_seconds, axis_last, options.request_rate);
  // The window on the axis: from its first snapshot; without two snapshots there, from the first
  // birth bucket after the warm-up (the survivors still measure growth).
  std::optional<double> window_start;
  if (window >= 2) window_start = axis[start];
  if (file.ages) {
    for (double position : bucket_starts) {
      if (position < cutoff || !(position < axis_last)) continue;
      ++file.birth_buckets_after_warmup;
      if (!window_start) window_start = position;
    }
  }
  if (window_start) {
    file.window_seconds = run_axis.SecondsSince(*window_start);
    file.window_requests = run_axis.RequestsSince(*window_start);
    if (by_requests) {
      if (file.window_seconds > 0) {
        file.request_rate_per_s = file.window_requests / file.window_seconds;
        file.request_rate_source = "measured";
      }
    } else if (options.request_rate && *options.request_rate > 0) {
      file.request_rate_per_s = *options.request_rate;
      file.request_rate_source = "--request-rate";
    }
    if (window >= 2 && file.window_seconds > 0) {
      file.memory.rss_growth_bytes_per_s =
          (points.back().rss_bytes - points[start].rss_bytes) / file.window_seconds;
    }
  } else if (n > 0) {
    file.notes.push_back("fewer than 2 snapshots after the warm-up (" + file.warmup +
                         "): nothing to fit");
  }
  if (!file.ages && window >= 2 && window < kMinPointsToClassify) {
    file.notes.push_back("only " + std::to_string(window) +
                         " snapshots after the warm-up: too few to classify growth");
  }
  if (!by_requests && !options.request_rate && n > 0) {
    file.notes.push_back("the file has no request counts: growth is fitted against time; give "
                         "--request-rate for rates per request");
  }

  // Which rate matters (bytes per axis unit): a week to the memory limit, or a gate's limit.
  const double sample_rate = static_cast<double>(header.sample_rate_bytes());
  const bool sampled = sample_rate > 1;
  double material_per_hour = MaterialBytesPerHour(file.memory.limit_bytes);
  if (options.material_per_hour) material_per_hour = std::min(material_per_hour, *options.material_per_hour);
  double material_slope = 0;
  if (window_start && file.window_seconds > 0) {
    const double axis_per_second = (axis_last - *window_start) / file.window_seconds;
    material_slope = material_per_hour / 3600 / axis_per_second;
    if (options.material_per_n_requests && file.window_requests > 0) {
      const double axis_per_request = (axis_last - *window_start) / file.window_requests;
      material_slope = std::min(
          material_slope, *options.material_per_n_requests / file.per_requests / axis_per_request);
    }
  }

  // Every stack: classify, attribute, rate.
  const ProfileState& state = reader->state();
  const double* x = window > 0 ? axis.data() + start : nullptr;
  std::vector<const StackSeries*> series_of_site;
  std::vector<double> rate_start_of_site;
  file.sites.reserve(recorder.stacks().size());
  for (const StackSeries& series : recorder.stacks()) {
    SiteReport site;
    site.stack_id = series.stack_id;
    site.key = StackKey(state, series.stack_id);
    auto stack = state.stacks.find(series.stack_id);
    const proto::AllocationKind kind =
        stack != state.stacks.end() ? stack->second.kind() : proto::HEAP;
    site.kind = KindName(kind);
    Attribution attribution = Attribute(state, series.stack_id);
    site.module = attribution.module;
    site.site_frame = attribution.site_frame;
    for (const proto::Frame* frame : state.FramesOf(series.stack_id)) {
      FrameReport out;
      out.function = frame->function();
      out.file = frame->file();
      out.line = frame->line();
      out.address = frame->address();
      out.module_offset = frame->module_offset();
      if (const proto::Module* module = state.ModuleOf(*frame)) {
        out.module_path = module->path();
        out.module = ModuleBasename(module->path());
      }
      site.frames.push_back(std::move(out));
    }
    site.live_bytes = static_cast<double>(series.last_live_bytes);
    site.live_count = static_cast<double>(series.last_live_count);
    site.live_samples = series.last_live_samples;
    if (!KindCanLeak(kind)) {
      // Shared memory and reserved address space: listed by kind, never judged as a leak.
      AddToKind(std::move(site), &file.memory_by_kind);
      continue;
    }

    StackEvidence evidence;
    evidence.x = x;
    evidence.y = window > 0 ? series.live_bytes.data() + start : nullptr;
    evidence.n = window;
    evidence.sample_rate_bytes = sample_rate;
    evidence.material_slope = material_slope;
    evidence.live_count = static_cast<double>(series.last_live_count);
    if (!sampled && series.last_live_count > 0) {
      evidence.bytes_per_allocation = static_cast<double>(series.last_live_bytes) /
                                      static_cast<double>(series.last_live_count);
    }
    if (window > 0 && !series.closed_bucket_change.empty()) {
      evidence.closed_bucket_change = series.closed_bucket_change.data() + start;
    }
    SurvivorProfile survivors;
    if (file.ages) {
      survivors = ProfileSurvivors(bucket_starts, axis_last, series.live_by_birth,
                                   series.live_at_bucket_start, bucket_live_known, cutoff,
                                   sample_rate);
      evidence.survivors = &survivors;
    }
    double rate_start = window_start.value_or(0);
    if (window > 0 || survivors.available) {
      const StackVerdict verdict = Classify(evidence);
      site.classification = verdict.classification;
      site.fit = verdict.rate;
      rate_start = verdict.rate.valid ? verdict.rate_start : rate_start;
      if (verdict.late_onset) site.onset = verdict.onset;
      site.rate_start = rate_start;
      site.growing_buffer = verdict.growing_buffer;
      site.inconclusive_reason = verdict.reason;
      site.remedies = verdict.remedies;
    }
    site.window_growth_bytes = site.fit.growth;
    run_axis.FillRates(site.fit, rate_start, file.per_requests, &site.per_n_requests,
                       &site.per_hour);
    if (site.classification == Classification::kLeak ||
        site.classification == Classification::kInconclusive) {
      if (const SuppressionRule* rule = MatchSuppression(options.suppressions, site.frames)) {
        site.suppressed_by = "leak:" + rule->pattern;
        site.suppressed_at = rule->source;
        file.suppressed_sites.push_back(std::move(site));
        continue;
      }
    }
    file.sites.push_back(std::move(site));
    series_of_site.push_back(&series);
    rate_start_of_site.push_back(rate_start);
  }

  // Leaks summed per module and in total. When every leak is measured over the same window of
  // the time series, the summed series is fitted (the same estimator and interval as a single
  // stack: sums of independent compound Poisson increments are one); otherwise (a leak that
  // started late, or one measured on survivors) the sites' rates add as independent.
  bool common_window = window >= 2;
  for (size_t s = 0; s < file.sites.size(); ++s) {
    if (file.sites[s].classification != Classification::kLeak) continue;
    common_window = common_window && rate_start_of_site[s] == axis[start] &&
                    file.sites[s].fit.span == axis_last - axis[start];
  }
  struct LeakSum {
    std::vector<double> series;
    std::vector<Rate> slopes;
  };
  auto sum_fit = [&](const LeakSum& sum, GrowthFit* fit, std::optional<Rate>* per_n,
                     std::optional<Rate>* per_hour) {
    if (common_window) {
      *fit = FitGrowth(x, sum.series.data(), window, sample_rate);
      run_axis.FillRates(*fit, axis[start], file.per_requests, per_n, per_hour);
      return;
    }
    const Rate slope = SumIndependent(sum.slopes);
    const double span = axis_last - window_start.value_or(axis_last);
    *fit = GrowthFit{};
    fit->valid = span > 0;
    fit->span = span;
    fit->growth = slope.value * span;
    fit->growth_lo = slope.lo * span;
    fit->growth_hi = slope.hi * span;
    run_axis.FillSlope(slope, window_start.value_or(axis_last), file.per_requests, per_n,
                       per_hour);
  };
  std::map<std::string, LeakSum> module_sums;
  std::map<std::string, ModuleReport> modules;
  LeakSum total;
  total.series.assign(window, 0.0);
  for (size_t s = 0; s < file.sites.size(); ++s) {
    const SiteReport& site = file.sites[s];
    if (site.classification != Classification::kLeak) continue;
    LeakSum& module_sum = module_sums[site.module];
    module_sum.series.resize(window, 0.0);
    for (LeakSum* sum : {&module_sum, &total}) {
      if (common_window) {
        const double* y = series_of_site[s]->live_bytes.data() + start;
        for (size_t i = 0; i < window; ++i) sum->series[i] += y[i];
      } else {
        sum->slopes.push_back(Rate{site.fit.slope(), site.fit.slope_lo(), site.fit.slope_hi()});
      }
    }
    ModuleReport& module = modules[site.module];
    module.module = site.module;
    ++module.sites;
    module.live_bytes += site.live_bytes;
    ++file.leak.sites;
  }
  for (auto& [name, sum] : module_sums) {
    ModuleReport& module = modules[name];
    sum_fit(sum, &module.fit, &module.per_n_requests, &module.per_hour);
    file.modules.push_back(module);
  }
  std::sort(file.modules.begin(), file.modules.end(),
            [](const ModuleReport& a, const ModuleReport& b) {
              const double ra = a.per_hour ? a.per_hour->value : RateValue(a.per_n_requests);
              const double rb = b.per_hour ? b.per_hour->value : RateValue(b.per_n_requests);
              return ra != rb ? ra > rb : a.module < b.module;
            });
  file.leak.detected = file.leak.sites > 0;
  if (file.leak.detected) {
    file.leak.module = file.modules.front().module;
    sum_fit(total, &file.leak.fit, &file.leak.per_n_requests, &file.leak.per_hour);
    if (file.leak.per_hour) {
      file.leak.growth_bytes_per_s = file.leak.per_hour->value / 3600;
      file.leak.growth_lo_bytes_per_s = file.leak.per_hour->lo / 3600;
      file.leak.growth_hi_bytes_per_s = file.leak.per_hour->hi / 3600;
    }
  } else if (window_start) {
    if (file.window_requests > 0) file.leak.per_n_requests = Rate{};
    if (file.window_seconds > 0) file.leak.per_hour = Rate{};
  }

  // The run's resolution, the interval gates compare, and the verdict.
  const double resolution_bytes = sampled ? kZ975 * kZ975 * sample_rate : 0.0;
  if (window_start && file.window_requests > 0) {
    file.resolution_per_n_requests =
        resolution_bytes / file.window_requests * static_cast<double>(file.per_requests);
  }
  if (window_start && file.window_seconds > 0) {
    file.resolution_per_hour = resolution_bytes / file.window_seconds * 3600;
  }
  std::vector<Rate> unruled_per_n, unruled_per_hour;
  for (const SiteReport& site : file.sites) {
    if (site.classification != Classification::kInconclusive) continue;
    if (site.per_n_requests) unruled_per_n.push_back(*site.per_n_requests);
    if (site.per_hour) unruled_per_hour.push_back(*site.per_hour);
  }
  if (file.leak.per_n_requests) {
    file.leak.bound_per_n_requests = GateBound(*file.leak.per_n_requests, unruled_per_n,
                                               file.resolution_per_n_requests.value_or(0));
  }
  if (file.leak.per_hour) {
    file.leak.bound_per_hour =
        GateBound(*file.leak.per_hour, unruled_per_hour, file.resolution_per_hour.value_or(0));
  }
  const bool resolution_matters =
      sampled && ((file.resolution_per_hour && *file.resolution_per_hour >= material_per_hour) ||
                  (file.resolution_per_n_requests && options.material_per_n_requests &&
                   *file.resolution_per_n_requests >= *options.material_per_n_requests));
  FinishKinds(&file.memory_by_kind);
  file.verdict = JudgeRun(file.sites, sampled, resolution_matters, n > 0 && !window_start,
                          &file.verdict_reasons);
  std::sort(file.sites.begin(), file.sites.end(), WorseSite);
  std::sort(file.suppressed_sites.begin(), file.suppressed_sites.end(), WorseSite);

  // What held the memory, how the process ended, and what pressed on its limit.
  file.ending =
      EndingOf(file.complete, status == ReadStatus::kTruncated, file.exec_ending.has_value());
  FillHeldMemory(s.held, &file);
  file.cause = JudgeOomCause(file);

  file.oom = ProjectTimeToOom(file.memory.limit_bytes, file.memory.in_use_bytes,
                              file.leak.growth_bytes_per_s, file.leak.growth_lo_bytes_per_s,
                              file.leak.growth_hi_bytes_per_s);
  // Nothing measured to grow, but growth not ruled out either: say that, not "nothing grows".
  if (!file.oom.projected && file.verdict == Classification::kInconclusive &&
      !(file.leak.growth_bytes_per_s > 0)) {
    file.oom.reason = "no leak measured (one is not ruled out)";
  }
  return true;
}

namespace {

// Growth of one thing (a stack, a module's leaks, all leaks) pooled over files. Per N requests the
// fleet's figure is sum of growth / sum of the windows' requests (every file counts in the
// denominator, leaking there or not); per hour it is the sum of the files' hourly rates. Files
// are independent, so variances add; each file's interval is taken as normal with its half-width.
struct Pool {
  double growth = 0, variance = 0;
  double per_hour = 0, per_hour_variance = 0;

  // A file's rates. Per N requests its growth is the rate over the file's whole window (a leak
  // that started late counts at its current rate), so that the fleet divides by every window.
  void Add(const std::optional<Rate>& per_n, double window_requests, uint64_t per_requests,
           const std::optional<Rate>& per_hour_rate) {
    if (per_n && window_requests > 0) {
      const double scale = window_requests / static_cast<double>(per_requests);
      const double half = (per_n->hi - per_n->lo) / 2 / kZ975 * scale;
      growth += per_n->value * scale;
      variance += half * half;
    }
    if (per_hour_rate) {
      const double hour_half = (per_hour_rate->hi - per_hour_rate->lo) / 2 / kZ975;
      per_hour += per_hour_rate->value;
      per_hour_variance += hour_half * hour_half;
    }
  }
};

struct Fleet {
  double requests = 0;
  bool all_have_requests = true;
  bool all_have_hours = true;

  void Fill(const Pool& pool, uint64_t per_requests, std::optional<Rate>* per_n,
            std::optional<Rate>* hour) const {
    per_n->reset();
    hour->reset();
    if (all_have_requests && requests > 0) {
      const double scale = static_cast<double>(per_requests) / requests;
      const double half = kZ975 * std::sqrt(pool.variance);
      *per_n = Rate{pool.growth * scale, (pool.growth - half) * scale,
                    (pool.growth + half) * scale};
    }
    if (all_have_hours) {
      const double half = kZ975 * std::sqrt(pool.per_hour_variance);
      *hour = Rate{pool.per_hour, pool.per_hour - half, pool.per_hour + half};
    }
  }
};

double SortRate(const std::optional<Rate>& per_hour, const std::optional<Rate>& per_n) {
  return per_hour ? per_hour->value : RateValue(per_n);
}

}  // namespace

AggregateReport Aggregate(const std::vector<FileReport>& files, uint64_t per_requests) {
  AggregateReport aggregate;
  aggregate.files = files.size();
  aggregate.per_requests = per_requests;
  Fleet fleet;
  std::unordered_map<std::string, size_t> index_of;
  std::vector<Pool> site_pools;
  std::map<std::string, Pool> module_pools;
  std::map<std::string, ModuleReport> modules;
  Pool total;
  for (const FileReport& file : files) {
    if (file.window_requests > 0) {
      fleet.requests += file.window_requests;
    } else {
      fleet.all_have_requests = false;
    }
    if (!(file.window_seconds > 0)) fleet.all_have_hours = false;
    if (Severity(file.verdict) > Severity(aggregate.verdict)) aggregate.verdict = file.verdict;
    for (const SiteReport& site : file.sites) {
      auto [it, inserted] = index_of.emplace(site.key, aggregate.sites.size());
      if (inserted) {
        AggregateSite entry;
        entry.site = site;
        entry.site.live_bytes = entry.site.live_count = 0;
        entry.site.live_samples = 0;
        aggregate.sites.push_back(std::move(entry));
        site_pools.emplace_back();
      }
      AggregateSite& entry = aggregate.sites[it->second];
      entry.site.live_bytes += site.live_bytes;
      entry.site.live_count += site.live_count;
      entry.site.live_samples += site.live_samples;
      ++entry.files_present;
      if (site.classification == Classification::kLeak) ++entry.files_leaking;
      if (Severity(site.classification) > Severity(entry.classification)) {
        entry.classification = site.classification;
      }
      site_pools[it->second].Add(site.per_n_requests, file.window_requests, file.per_requests,
                                 site.per_hour);
    }
    for (const ModuleReport& module : file.modules) {
      module_pools[module.module].Add(module.per_n_requests, file.window_requests,
                                     file.per_requests, module.per_hour);
      ModuleReport& entry = modules[module.module];
      entry.module = module.module;
      entry.sites += module.sites;
      entry.live_bytes += module.live_bytes;
    }
    if (file.leak.detected) {
      total.Add(file.leak.per_n_requests, file.window_requests, file.per_requests,
                file.leak.per_hour);
      aggregate.leak.sites += file.leak.sites;
    }
  }
  for (size_t i = 0; i < aggregate.sites.size(); ++i) {
    AggregateSite& entry = aggregate.sites[i];
    entry.site.classification = entry.classification;
    fleet.Fill(site_pools[i], per_requests, &entry.site.per_n_requests, &entry.site.per_hour);
  }
  aggregate.sites.erase(std::remove_if(aggregate.sites.begin(), aggregate.sites.end(),
                                       [](const AggregateSite& entry) {
                                         return entry.classification == Classification::kStable;
                                       }),
                        aggregate.sites.end());
  std::sort(aggregate.sites.begin(), aggregate.sites.end(),
            [](const AggregateSite& a, const AggregateSite& b) {
              if (a.classification != b.classification) {
                return Severity(a.classification) > Severity(b.classification);
              }
              return SortRate(a.site.per_hour, a.site.per_n_requests) >
                     SortRate(b.site.per_hour, b.site.per_n_requests);
            });
  for (auto& [name, pool] : module_pools) {
    ModuleReport module = modules[name];
    fleet.Fill(pool, per_requests, &module.per_n_requests, &module.per_hour);
    aggregate.modules.push_back(module);
  }
  std::sort(aggregate.modules.begin(), aggregate.modules.end(),
            [](const ModuleReport& a, const ModuleReport& b) {
              const double ra = SortRate(a.per_hour, a.per_n_requests);
              const double rb = SortRate(b.per_hour, b.per_n_requests);
              return ra != rb ? ra > rb : a.module < b.module;
            });
  aggregate.leak.detected = aggregate.leak.sites > 0;
  if (aggregate.leak.detected) aggregate.leak.module = aggregate.modules.front().module;
  fleet.Fill(total, per_requests, &aggregate.leak.per_n_requests, &aggregate.leak.per_hour);
  return aggregate;
}

}  // namespace clwleak::analysis
