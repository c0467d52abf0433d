// The per-process metric families; see leak_metrics.h.
#include "leak_metrics.h"

#include <set>

namespace clwleak::cli {
namespace {}  // namespace

ProcessFigures FiguresOf(const analysis::FileReport& file) {
  ProcessFigures figures;
  figures.exe = file.exe;
  figures.host = file.host;
  figures.pid = file.pid;
  figures.clwleak_version = file.clwleak_version;
  figures.verdict = file.verdict;
  const double per = static_cast<double>(file.per_requests);
  if (file.leak.per_n_requests) {
    const analysis::Rate& rate = *file.leak.per_n_requests;
    figures.leak_per_request = analysis::Rate{rate.value / per, rate.lo / per, rate.hi / per};
  }
  if (file.leak.per_hour) {
    const analysis::Rate& rate = *file.leak.per_hour;
    figures.leak_per_second = analysis::Rate{rate.value / 3600, rate.lo / 3600, rate.hi / 3600};
  }
  figures.leaking_sites = file.leak.sites;
  for (const analysis::SiteReport& site : file.sites) {
    if (site.classification == analysis::Classification::kInconclusive)
      ++figures.inconclusive_sites;
    figures.live_bytes_by_module[site.module] += site.live_bytes;
  }
  figures.top_module = file.leak.module;
  for (const analysis::ModuleReport& module : file.modules) {
    ProcessFigures::ModuleLeak leak{module.module, std::nullopt, std::nullopt};
    if (module.per_n_requests) leak.per_request = module.per_n_requests->value / per;
    if (module.per_hour) leak.per_second = module.per_hour->value / 3600;
    figures.modules.push_back(leak);
  }
  if (file.oom.projected) {
    // The interval's ends: the time at the upper end of the growth interval, and at its lower end
    // (infinite, and left out, when that end is not above zero).
    figures.time_to_oom_s =
        analysis::Rate{file.oom.seconds, file.oom.seconds_lo, file.oom.seconds_hi};
  }
  figures.limit_bytes = file.memory.limit_bytes;
  figures.limit_source = file.memory.limit_source;
  figures.in_use_bytes = file.memory.in_use_bytes;
  figures.heap_live_bytes = file.memory.heap_live_bytes;
  figures.duration_s = file.duration_s;
  figures.snapshots = file.snapshots;
  figures.requests = file.requests;
  figures.complete = file.complete;
  figures.dropped_samples = file.dropped_samples;
  figures.snapshot_interval_s = file.snapshot_interval_s;
  return figures;
}

Labels ProcessLabels(const std::string& file,
                     const std::vector<std::pair<std::string, std::string>>& labels,
                     const Labels& extra) {
  // Names our own series carry; an operator's label with one of them is renamed, not dropped.
  static const std::set<std::string> kOurs = {
      "file",    "pid",    "exe",    "host", "clwleak_version", "module",
      "verdict", "source", "reason", "job",  "instance"};
  Labels out = {{"file", file}};
  std::set<std::string> used = {"file"};
  for (const auto& [name, value] : labels) {
    std::string valid = SanitizeLabelName(name);
    if (kOurs.count(valid) > 0 || valid.rfind("__", 0) == 0) valid = "label_" + valid;
    if (!used.insert(valid).second) continue;  // the first of two names that became equal wins
    out.emplace_back(valid, value);
  }
  for (const auto& label : extra) out.push_back(label);
  return out;
}

LeakMetrics::LeakMetrics(Exposition* metrics) {
  info_ = metrics->Add("clwleak_info", "The profiled process; always 1.");
  leak_per_request_ = metrics->Add("clwleak_leak_bytes_per_request",
                                   "Bytes leaked per request by all leaking stacks (the analysis' "
                                   "rate per --per requests / N).");
  leak_per_request_low_ = metrics->Add("clwleak_leak_bytes_per_request_ci95_low",
                                       "Lower end of the 95% interval of the leak per request.");
  leak_per_request_high_ = metrics->Add("clwleak_leak_bytes_per_request_ci95_high",
                                        "Upper end of the 95% interval of the leak per request.");
  leak_per_second_ = metrics->Add("clwleak_leak_bytes_per_second",
                                  "Bytes leaked per second by all leaking stacks.");
  leak_per_second_low_ = metrics->Add("clwleak_leak_bytes_per_second_ci95_low",
                                      "Lower end of the 95% interval of the leak per second.");
  leak_per_second_high_ = metrics->Add("clwleak_leak_bytes_per_second_ci95_high",
                                       "Upper end of the 95% interval of the leak per second.");
  leaking_sites_ = metrics->Add("clwleak_leaking_sites", "Stacks classified as leaking.");
  verdict_ = metrics->Add(
      "clwleak_verdict",
      "The run's verdict as a state set: 1 for the verdict (leak, bounded, stable, inconclusive), "
      "0 for the others. Only bounded and stable mean no leak.");
  inconclusive_sites_ = metrics->Add("clwleak_inconclusive_sites",
                                     "Stacks whose growth could matter but cannot be judged.");
  top_module_ = metrics->Add("clwleak_leak_top_module_info",
                             "The module whose stacks leak most; 1, absent when nothing leaks.");
  module_per_request_ = metrics->Add("clwleak_module_leak_bytes_per_request",
                                     "Bytes leaked per request by the leaking stacks of a module.");
  module_per_second_ = metrics->Add("clwleak_module_leak_bytes_per_second",
                                    "Bytes leaked per second by the leaking stacks of a module.");
  time_to_oom_ = metrics->Add(
      "clwleak_time_to_oom_seconds",
      "Projected seconds until memory in use reaches the limit; absent when none is projected.");
  time_to_oom_low_ = metrics->Add(
      "clwleak_time_to_oom_seconds_ci95_low",
      "Time to OOM at the upper end of the leak's 95% interval (the earliest plausible).");
  time_to_oom_high_ = metrics->Add(
      "clwleak_time_to_oom_seconds_ci95_high",
      "Time to OOM at the lower end of the leak's 95% interval; absent when that end is zero.");
  live_bytes_ = metrics->Add(
      "clwleak_live_bytes",
      "Live heap and mmap bytes at the last snapshot, by the module the stacks are attributed to.");
  limit_ = metrics->Add("clwleak_memory_limit_bytes", "The memory limit; absent when unknown.");
  in_use_ = metrics->Add("clwleak_memory_in_use_bytes",
                         "Memory in use at the last snapshot (the cgroup's, or RSS).");
  heap_live_ = metrics->Add("clwleak_heap_live_bytes",
                            "Live bytes of every profiled stack at the last snapshot.");
  duration_ = metrics->Add("clwleak_duration_seconds", "Profiled time of the file.");
  snapshots_ = metrics->Add("clwleak_snapshots", "Whole snapshots read from the file.");
  requests_ = metrics->Add("clwleak_requests", "Requests counted by the worker (0: none).");
  complete_ = metrics->Add("clwleak_complete",
                           "1 when the file ended cleanly after its final snapshot, else 0.");
  dropped_ = metrics->Add("clwleak_dropped_samples",
                          "Sampled allocations the preload could not record (tables full).");
  interval_ = metrics->Add("clwleak_snapshot_interval_seconds",
                           "The preload's snapshot period (CLWLEAK_INTERVAL).");
}

void LeakMetrics::Add(const ProcessFigures& figures, const Labels& labels) {
  const RenderedLabels process_labels(labels);
  const std::string process = process_labels.With();
  auto with = [&](const char* name, const std::string& value) {
    return process_labels.With(name, value);
  };
  auto Put = [](Family* family, const std::string& rendered, std::optional<double> value) {
    PutRendered(family, rendered, value);
  };
  Labels info = labels;
  for (const auto& [name, value] : Labels{{"exe", figures.exe},
                                          {"host", figures.host},
                                          {"pid", std::to_string(figures.pid)},
                                          {"clwleak_version", figures.clwleak_version}}) {
    bool present = false;
    for (const auto& label : labels) present = present || label.first == name;
    if (!present) info.emplace_back(name, value);
  }
  Put(info_, RenderedLabels(info).With(), 1.0);
  if (figures.leak_per_request) {
    Put(leak_per_request_, process, figures.leak_per_request->value);
    Put(leak_per_request_low_, process, figures.leak_per_request->lo);
    Put(leak_per_request_high_, process, figures.leak_per_request->hi);
  }
  if (figures.leak_per_second) {
    Put(leak_per_second_, process, figures.leak_per_second->value);
    Put(leak_per_second_low_, process, figures.leak_per_second->lo);
    Put(leak_per_second_high_, process, figures.leak_per_second->hi);
  }
  Put(leaking_sites_, process, static_cast<double>(figures.leaking_sites));
  Put(inconclusive_sites_, process, static_cast<double>(figures.inconclusive_sites));
  for (analysis::Classification state :
       {analysis::Classification::kLeak, analysis::Classification::kBounded,
        analysis::Classification::kStable, analysis::Classification::kInconclusive}) {
    Put(verdict_, with("verdict", analysis::ClassificationName(state)),
        figures.verdict == state ? 1.0 : 0.0);
  }
  if (!figures.top_module.empty()) {
    Put(top_module_, with("module", figures.top_module), 1.0);
  }
  for (const ProcessFigures::ModuleLeak& module : figures.modules) {
    const std::string by_module = with("module", module.module);
    Put(module_per_request_, by_module, module.per_request);
    Put(module_per_second_, by_module, module.per_second);
  }
  if (figures.time_to_oom_s) {
    Put(time_to_oom_, process, figures.time_to_oom_s->value);
    Put(time_to_oom_low_, process, figures.time_to_oom_s->lo);
    Put(time_to_oom_high_, process, figures.time_to_oom_s->hi);
  }
  for (const auto& [module, bytes] : figures.live_bytes_by_module) {
    Put(live_bytes_, with("module", module), bytes);
  }
  if (figures.limit_bytes > 0) {
    Put(limit_, with("source", figures.limit_source), figures.limit_bytes);
  }
  Put(in_use_, process, figures.in_use_bytes);
  Put(heap_live_, process, figures.heap_live_bytes);
  Put(duration_, process, figures.duration_s);
  Put(snapshots_, process, static_cast<double>(figures.snapshots));
  Put(requests_, process, static_cast<double>(figures.requests));
  Put(complete_, process, figures.complete ? 1.0 : 0.0);
  Put(dropped_, process, static_cast<double>(figures.dropped_samples));
  if (figures.snapshot_interval_s > 0) Put(interval_, process, figures.snapshot_interval_s);
}

}  // namespace clwleak::cli
