// The analysis of one file and the aggregation of several; see analysis.h.
#include "analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "attribution.h"
#include "exec_chain.h"
#include "memory_limit.h"
#include "series_recorder.h"
#include "snapshot_reader.h"
#include "units.h"

namespace clwleak::analysis {
namespace {

constexpr double kZ975 = 1.959963984540054;

// Converts a fit's growth over the window into rates per N requests and per hour.
void FillRates(const GrowthFit& fit, const FileReport& file, std::optional<Rate>* per_n,
               std::optional<Rate>* per_hour) {
  per_n->reset();
  per_hour->reset();
  if (!fit.valid) {
    if (file.window_requests > 0) *per_n = Rate{};
    if (file.window_seconds > 0) *per_hour = Rate{};
    return;
  }
  if (file.window_requests > 0) {
    const double scale = static_cast<double>(file.per_requests) / file.window_requests;
    *per_n = Rate{fit.growth * scale, fit.growth_lo * scale, fit.growth_hi * scale};
  }
  if (file.window_seconds > 0) {
    const double scale = 3600.0 / file.window_seconds;
    *per_hour = Rate{fit.growth * scale, fit.growth_lo * scale, fit.growth_hi * scale};
  }
}

double RateValue(const std::optional<Rate>& rate) { return rate ? rate->value : 0.0; }

// Orders sites: leaks by rate, then bounded by growth, then stable by live bytes.
bool WorseSite(const SiteReport& a, const SiteReport& b) {
  auto rank = [](Classification c) {
    return c == Classification::kLeak ? 0 : c == Classification::kBounded ? 1 : 2;
  };
  if (rank(a.classification) != rank(b.classification)) {
    return rank(a.classification) < rank(b.classification);
  }
  if (a.classification != Classification::kStable && a.fit.growth != b.fit.growth) {
    return a.fit.growth > b.fit.growth;
  }
  if (a.live_bytes != b.live_bytes) return a.live_bytes > b.live_bytes;
  return a.stack_id < b.stack_id;
}

std::string Percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g%%", fraction * 100);
  return buffer;
}

// Fewer snapshots than this and the exit snapshot is kept: a short run has little else to show.
constexpr uint64_t kMinRunningSnapshots = 3;

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

bool AnalyzeFile(const std::string& path, const AnalysisOptions& options, FileReport* report,
                 std::string* error) {
  auto reader = SnapshotReader::Open(path, error);
  if (reader == nullptr) return false;
  const proto::Header& header = reader->header();
  SeriesRecorder recorder(options.series_points);
  ReadStatus status;
  uint64_t running_snapshots = 0;
  uint64_t previous_heap_live = 0;
  uint64_t previous_requests = 0;
  uint64_t idle_since_observed = 0;
  bool teardown_excluded = false;
  EnforcedLimitHistory enforced_limit(header);
  std::string in_use_source;  // of the last snapshot observed
  uint32_t in_use_processes = 0;
  while ((status = reader->Next()) == ReadStatus::kSnapshot) {
    if (options.on_progress) options.on_progress(reader->file_bytes_read(), reader->file_size());
    const proto::Snapshot& snapshot = reader->last_snapshot();
    // The limit is a fact of the time, whatever the snapshot shows of the worker.
    enforced_limit.Observe(snapshot);
    // The exit snapshot is taken after the program's destructors ran. When it shows memory freed
    // since the last snapshot, that is teardown (caches and pools released), not how the worker
    // behaved: with enough snapshots of the running process, it is left out of the growth series,
    // and memory in use then also comes from the running process.
    if (snapshot.trigger() == "exit" && running_snapshots >= kMinRunningSnapshots &&
        snapshot.heap_live_bytes() < previous_heap_live) {
      teardown_excluded = true;
      continue;
    }
    // A snapshot that saw no request since the previous one adds nothing on the request axis, and
    // after the last request it shows shutdown (an interpreter freeing everything), not the
    // worker's behaviour. Files without request counts (always 0) keep every snapshot.
    if (previous_requests > 0 && snapshot.requests() == previous_requests) {
      ++idle_since_observed;
      continue;
    }
    recorder.Observe(snapshot, header.start_monotonic_ns());
    if (snapshot.has_cgroup_memory_current()) {
      in_use_source = snapshot.memory_in_use_source().empty() ? "cgroup memory.current"
                                                              : snapshot.memory_in_use_source();
      in_use_processes = snapshot.cgroup_process_count();
    } else {
      in_use_source = "rss";
      in_use_processes = 0;
    }
    previous_heap_live = snapshot.heap_live_bytes();
    previous_requests = snapshot.requests();
    idle_since_observed = 0;
    ++running_snapshots;
  }
  if (status == ReadStatus::kError) {
    *error = reader->error();
    return false;
  }
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
  file.snapshots = reader->snapshots_read();
  file.complete = reader->complete();
  file.previous_file = header.previous_file();
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
    file.requests = static_cast<uint64_t>(last.requests);
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
  if (window >= 2) {
    file.window_seconds = points.back().seconds - points[start].seconds;
    if (by_requests) {
      file.window_requests = points.back().requests - points[start].requests;
      if (file.window_seconds > 0) {
        file.request_rate_per_s = file.window_requests / file.window_seconds;
        file.request_rate_source = "measured";
      }
    } else if (options.request_rate && *options.request_rate > 0) {
      file.request_rate_per_s = *options.request_rate;
      file.request_rate_source = "--request-rate";
      file.window_requests = file.window_seconds * *options.request_rate;
    }
    if (file.window_seconds > 0) {
      file.memory.rss_growth_bytes_per_s =
          (points.back().rss_bytes - points[start].rss_bytes) / file.window_seconds;
    }
  } else if (n > 0) {
    file.notes.push_back("fewer than 2 snapshots after the warm-up (" + file.warmup +
                         "): nothing to fit");
  }
  if (window >= 2 && window < kMinPointsToClassify) {
    file.notes.push_back("only " + std::to_string(window) +
                         " snapshots after the warm-up: too few to classify growth");
  }
  if (!by_requests && !options.request_rate && n > 0) {
    file.notes.push_back("the file has no request counts: growth is fitted against time; give "
                         "--request-rate for rates per request");
  }

  // Every stack: classify, attribute, rate.
  const double sample_rate = static_cast<double>(header.sample_rate_bytes());
  const ProfileState& state = reader->state();
  const double* x = window > 0 ? axis.data() + start : nullptr;
  std::vector<const StackSeries*> series_of_site;
  file.sites.reserve(recorder.stacks().size());
  for (const StackSeries& series : recorder.stacks()) {
    SiteReport site;
    site.stack_id = series.stack_id;
    site.key = StackKey(state, series.stack_id);
    auto stack = state.stacks.find(series.stack_id);
    site.kind = stack != state.stacks.end() && stack->second.kind() == proto::MMAP ? "mmap" : "heap";
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
    double bytes_per_sample = 0;
    site.live_bytes = static_cast<double>(series.last_live_bytes);
    site.live_count = static_cast<double>(series.last_live_count);
    site.live_samples = series.last_live_samples;
    auto counters = state.counters.find(series.stack_id);
    if (series.last_live_samples > 0) {
      bytes_per_sample = site.live_bytes / static_cast<double>(series.last_live_samples);
    } else if (counters != state.counters.end()) {
      const proto::StackStats& stats = counters->second;
      if (stats.allocated_samples() > 0) {
        bytes_per_sample = static_cast<double>(stats.allocated_bytes()) / stats.allocated_samples();
      }
    }
    if (window > 0) {
      StackVerdict verdict = Classify(x, series.live_bytes.data() + start, window, sample_rate,
                                      bytes_per_sample);
      site.classification = verdict.classification;
      site.fit = verdict.whole;
    }
    site.window_growth_bytes = site.fit.growth;
    FillRates(site.fit, file, &site.per_n_requests, &site.per_hour);
    file.sites.push_back(std::move(site));
    series_of_site.push_back(&series);
  }

  // Leaks summed per module and in total, fitted on the summed series (the same estimator and
  // interval as a single stack: sums of independent compound Poisson increments are one).
  std::map<std::string, std::vector<double>> module_series;
  std::map<std::string, ModuleReport> modules;
  std::vector<double> total(window, 0.0);
  for (size_t s = 0; s < file.sites.size(); ++s) {
    const SiteReport& site = file.sites[s];
    if (site.classification != Classification::kLeak) continue;
    const double* y = series_of_site[s]->live_bytes.data() + start;
    std::vector<double>& sum = module_series[site.module];
    sum.resize(window, 0.0);
    for (size_t i = 0; i < window; ++i) {
      sum[i] += y[i];
      total[i] += y[i];
    }
    ModuleReport& module = modules[site.module];
    module.module = site.module;
    ++module.sites;
    module.live_bytes += site.live_bytes;
    ++file.leak.sites;
  }
  for (auto& [name, sum] : module_series) {
    ModuleReport& module = modules[name];
    module.fit = FitGrowth(x, sum.data(), window, sample_rate);
    FillRates(module.fit, file, &module.per_n_requests, &module.per_hour);
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
    file.leak.fit = FitGrowth(x, total.data(), window, sample_rate);
    const GrowthFit& fit = file.leak.fit;
    FillRates(fit, file, &file.leak.per_n_requests, &file.leak.per_hour);
    if (file.window_seconds > 0) {
      file.leak.growth_bytes_per_s = fit.growth / file.window_seconds;
      file.leak.growth_lo_bytes_per_s = fit.growth_lo / file.window_seconds;
      file.leak.growth_hi_bytes_per_s = fit.growth_hi / file.window_seconds;
    }
  } else if (window >= 2) {
    if (file.window_requests > 0) file.leak.per_n_requests = Rate{};
    if (file.window_seconds > 0) file.leak.per_hour = Rate{};
  }
  std::sort(file.sites.begin(), file.sites.end(), WorseSite);

  file.oom = ProjectTimeToOom(file.memory.limit_bytes, file.memory.in_use_bytes,
                              file.leak.growth_bytes_per_s, file.leak.growth_lo_bytes_per_s,
                              file.leak.growth_hi_bytes_per_s);
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

  void Add(const GrowthFit& fit, const std::optional<Rate>& per_hour_rate) {
    if (!fit.valid) return;
    const double half = (fit.growth_hi - fit.growth_lo) / 2 / kZ975;
    growth += fit.growth;
    variance += half * half;
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
      if (site.classification == Classification::kLeak) {
        ++entry.files_leaking;
        entry.classification = Classification::kLeak;
      } else if (site.classification == Classification::kBounded &&
                 entry.classification == Classification::kStable) {
        entry.classification = Classification::kBounded;
      }
      site_pools[it->second].Add(site.fit, site.per_hour);
    }
    for (const ModuleReport& module : file.modules) {
      module_pools[module.module].Add(module.fit, module.per_hour);
      ModuleReport& entry = modules[module.module];
      entry.module = module.module;
      entry.sites += module.sites;
      entry.live_bytes += module.live_bytes;
    }
    if (file.leak.detected) {
      total.Add(file.leak.fit, file.leak.per_hour);
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
                return a.classification == Classification::kLeak;
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
