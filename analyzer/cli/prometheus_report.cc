// The Prometheus (OpenMetrics) report; see prometheus_report.h.
#include "prometheus_report.h"

#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>

#include "byte_escape.h"
#include "gate_text.h"

namespace clwleak::cli {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  Labels labels;
  double value = 0;
};

// One metric family: its samples in the order they were added.
struct Family {
  std::string name;
  std::string help;
  std::vector<Sample> samples;
};

// Integers as integers (byte counts stay exact up to 2^53), other values with 15 significant
// digits (more would print the binary rounding of a division, 892799999.99999988).
std::string FormatValue(double value) {
  char text[40];
  if (value == std::floor(value) && std::fabs(value) < 9e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.15g", value);
  }
  return text;
}

class Exposition {
 public:
  Family* Add(const std::string& name, const std::string& help) {
    families_.push_back(Family{name, help, {}});
    return &families_.back();
  }
  std::string Render() const {
    std::string out;
    for (const Family& family : families_) {
      if (family.samples.empty()) continue;
      // HELP text is escaped exactly like a label value (backslash, newline, double quote).
      out += "# HELP " + family.name + " " + EscapeLabelValue(family.help) + "\n";
      out += "# TYPE " + family.name + " gauge\n";
      for (const Sample& sample : family.samples) {
        out += family.name;
        if (!sample.labels.empty()) {
          out += '{';
          for (size_t i = 0; i < sample.labels.size(); ++i) {
            if (i > 0) out += ',';
            out += sample.labels[i].first + "=\"" + EscapeLabelValue(sample.labels[i].second) + "\"";
          }
          out += '}';
        }
        out += " " + FormatValue(sample.value) + "\n";
      }
    }
    return out + "# EOF\n";
  }

 private:
  std::deque<Family> families_;  // a deque: Add() never moves the families handed out before
};

void Put(Family* family, Labels labels, std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return;
  family->samples.push_back(Sample{std::move(labels), *value});
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : EscapeBytes(value)) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RenderPrometheus(const std::vector<analysis::FileReport>& files,
                             const analysis::GateReport& gate) {
  Exposition metrics;
  // Families are created first and filled file by file, so each family's samples stay together
  // (OpenMetrics forbids interleaving families).
  Family* info = metrics.Add("clwleak_info", "The profiled process; always 1.");
  Family* leak_per_request = metrics.Add(
      "clwleak_leak_bytes_per_request",
      "Bytes leaked per request by all leaking stacks (the analysis' rate per --per requests / N).");
  Family* leak_per_hour =
      metrics.Add("clwleak_leak_bytes_per_hour", "Bytes leaked per hour by all leaking stacks.");
  Family* leak_ci_low = metrics.Add("clwleak_leak_bytes_per_request_ci95_low",
                                    "Lower end of the 95% interval of the leak per request.");
  Family* leak_ci_high = metrics.Add("clwleak_leak_bytes_per_request_ci95_high",
                                     "Upper end of the 95% interval of the leak per request.");
  Family* leaking_sites = metrics.Add("clwleak_leaking_sites", "Stacks classified as leaking.");
  Family* verdict = metrics.Add(
      "clwleak_verdict",
      "The run's verdict as a state set: 1 for the verdict (leak, bounded, stable, inconclusive), "
      "0 for the others. Only bounded and stable mean no leak.");
  Family* inconclusive_sites = metrics.Add(
      "clwleak_inconclusive_sites", "Stacks whose growth could matter but cannot be judged.");
  Family* module_leak = metrics.Add("clwleak_module_leak_bytes_per_request",
                                    "Bytes leaked per request by the leaking stacks of a module.");
  Family* time_to_oom = metrics.Add(
      "clwleak_time_to_oom_seconds",
      "Projected seconds until memory in use reaches the limit; absent when none is projected.");
  Family* live_bytes = metrics.Add(
      "clwleak_live_bytes",
      "Live heap and mmap bytes at the last snapshot, by the module the stacks are attributed to.");
  Family* limit = metrics.Add("clwleak_memory_limit_bytes", "The memory limit; absent when unknown.");
  Family* in_use = metrics.Add("clwleak_memory_in_use_bytes",
                               "Memory in use at the last snapshot (the cgroup's, or RSS).");
  Family* heap_live = metrics.Add("clwleak_heap_live_bytes",
                                  "Live bytes of every profiled stack at the last snapshot.");
  Family* duration = metrics.Add("clwleak_duration_seconds", "Profiled time of the file.");
  Family* snapshots = metrics.Add("clwleak_snapshots", "Whole snapshots read from the file.");
  Family* requests = metrics.Add("clwleak_requests", "Requests counted by the worker (0: none).");
  Family* complete = metrics.Add(
      "clwleak_complete", "1 when the file ended cleanly after its final snapshot, else 0.");
  Family* dropped = metrics.Add("clwleak_dropped_samples",
                                "Sampled allocations the preload could not record (tables full).");
  Family* gate_passed = metrics.Add(
      "clwleak_gate_passed", "1 when every requested gate passed, 0 when one failed or was "
                             "inconclusive (unless --inconclusive=pass); absent when no gate "
                             "was requested.");
  Family* gate_outcome = metrics.Add(
      "clwleak_gate_outcome",
      "The gates' outcome as a state set (passed, failed, inconclusive); absent when no gate was "
      "requested.");

  for (const analysis::FileReport& file : files) {
    const Labels by_file = {{"file", file.path}};
    Put(info,
        {{"file", file.path}, {"exe", file.exe}, {"host", file.host},
         {"pid", std::to_string(file.pid)}, {"clwleak_version", file.clwleak_version}},
        1.0);
    const double per = static_cast<double>(file.per_requests);
    if (file.leak.per_n_requests) {
      Put(leak_per_request, by_file, file.leak.per_n_requests->value / per);
      Put(leak_ci_low, by_file, file.leak.per_n_requests->lo / per);
      Put(leak_ci_high, by_file, file.leak.per_n_requests->hi / per);
    }
    if (file.leak.per_hour) Put(leak_per_hour, by_file, file.leak.per_hour->value);
    Put(leaking_sites, by_file, static_cast<double>(file.leak.sites));
    size_t inconclusive = 0;
    for (const analysis::SiteReport& site : file.sites) {
      inconclusive += site.classification == analysis::Classification::kInconclusive ? 1 : 0;
    }
    Put(inconclusive_sites, by_file, static_cast<double>(inconclusive));
    for (analysis::Classification state :
         {analysis::Classification::kLeak, analysis::Classification::kBounded,
          analysis::Classification::kStable, analysis::Classification::kInconclusive}) {
      Put(verdict, {{"file", file.path}, {"verdict", analysis::ClassificationName(state)}},
          file.verdict == state ? 1.0 : 0.0);
    }
    for (const analysis::ModuleReport& module : file.modules) {
      if (module.per_n_requests) {
        Put(module_leak, {{"file", file.path}, {"module", module.module}},
            module.per_n_requests->value / per);
      }
    }
    if (file.oom.projected) Put(time_to_oom, by_file, file.oom.seconds);
    std::map<std::string, double> live_by_module;
    for (const analysis::SiteReport& site : file.sites) live_by_module[site.module] += site.live_bytes;
    for (const auto& [module, bytes] : live_by_module) {
      Put(live_bytes, {{"file", file.path}, {"module", module}}, bytes);
    }
    if (file.memory.limit_bytes > 0) {
      Put(limit, {{"file", file.path}, {"source", file.memory.limit_source}},
          file.memory.limit_bytes);
    }
    Put(in_use, by_file, file.memory.in_use_bytes);
    Put(heap_live, by_file, file.memory.heap_live_bytes);
    Put(duration, by_file, file.duration_s);
    Put(snapshots, by_file, static_cast<double>(file.snapshots));
    Put(requests, by_file, static_cast<double>(file.requests));
    Put(complete, by_file, file.complete ? 1.0 : 0.0);
    Put(dropped, by_file, static_cast<double>(file.dropped_samples));
  }
  if (gate.evaluated) {
    Put(gate_passed, {}, gate.passed ? 1.0 : 0.0);
    for (analysis::GateOutcome state : {analysis::GateOutcome::kPassed,
                                        analysis::GateOutcome::kFailed,
                                        analysis::GateOutcome::kInconclusive}) {
      Put(gate_outcome, {{"outcome", GateOutcomeName(state)}}, gate.outcome == state ? 1.0 : 0.0);
    }
  }
  return metrics.Render();
}

}  // namespace clwleak::cli
