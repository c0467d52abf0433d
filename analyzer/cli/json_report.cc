// JSON report formatting; see json_report.h and docs/report-schema.md.
#include "json_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "byte_escape.h"
#include "gate_text.h"
#include "held_json.h"
#include "verdict_text.h"

namespace clwleak::cli {
namespace {

using analysis::AggregateReport;
using analysis::Classification;
using analysis::FileReport;
using analysis::ModuleReport;
using analysis::Rate;
using analysis::SiteReport;
using Json = nlohmann::ordered_json;

constexpr size_t kStableSitesListed = 20;

Json Value(const std::optional<Rate>& rate) {
  return rate ? JsonNumber(rate->value) : Json(nullptr);
}
Json Interval(const std::optional<Rate>& rate) {
  return rate ? Json::array({JsonNumber(rate->lo), JsonNumber(rate->hi)}) : Json(nullptr);
}

const char* LimitCheckName(analysis::LimitCheck check) {
  switch (check) {
    case analysis::LimitCheck::kNotRecorded:
      return "not_recorded";
    case analysis::LimitCheck::kEnforced:
      return "enforced";
    case analysis::LimitCheck::kSettingMatches:
      return "setting_matches";
    case analysis::LimitCheck::kSettingBelow:
      return "setting_below";
    case analysis::LimitCheck::kSettingAbove:
      return "setting_above";
  }
  return "not_recorded";
}

// The kernel's limit over the run: its first value and each change.
Json EnforcedLimitChangesJson(const analysis::MemoryReport& memory) {
  Json changes = Json::array();
  for (const analysis::EnforcedLimitChange& change : memory.enforced_limit_changes) {
    changes.push_back({{"seconds", JsonNumber(change.seconds)},
                       {"limit_bytes", JsonNumber(change.limit_bytes)},
                       {"limit_source", change.limit_source}});
  }
  return changes;
}

std::string Hex(uint64_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

Json SiteJson(const SiteReport& site) {
  Json json;
  json["classification"] = analysis::ClassificationName(site.classification);
  json["inconclusive_reason"] = site.inconclusive_reason == analysis::InconclusiveReason::kNone
                                    ? Json(nullptr)
                                    : Json(ReasonName(site.inconclusive_reason));
  json["remedies"] = RemedyNames(site.remedies);
  json["onset"] = site.onset ? JsonNumber(*site.onset) : Json(nullptr);
  json["growing_buffer"] = site.growing_buffer;
  json["bytes_per_n_requests"] = Value(site.per_n_requests);
  json["bytes_per_n_requests_ci95"] = Interval(site.per_n_requests);
  json["bytes_per_hour"] = Value(site.per_hour);
  json["bytes_per_hour_ci95"] = Interval(site.per_hour);
  json["growth_bytes"] = JsonNumber(site.fit.growth);
  json["live_bytes"] = JsonNumber(site.live_bytes);
  json["live_count"] = JsonNumber(site.live_count);
  json["live_samples"] = site.live_samples;
  json["module"] = site.module;
  json["kind"] = site.kind;
  json["site_frame"] = site.site_frame;
  json["stack_key"] = site.key;
  Json frames = Json::array();
  for (const analysis::FrameReport& frame : site.frames) {
    Json entry;
    entry["function"] = frame.function;
    entry["file"] = frame.file;
    entry["line"] = frame.line;
    entry["module"] = frame.module;
    entry["address"] = Hex(frame.address);
    entry["module_offset"] = Hex(frame.module_offset);
    frames.push_back(std::move(entry));
  }
  json["frames"] = std::move(frames);
  return json;
}

Json ModulesJson(const std::vector<ModuleReport>& modules) {
  Json json = Json::array();
  for (const ModuleReport& module : modules) {
    Json entry;
    entry["module"] = module.module;
    entry["bytes_per_n_requests"] = Value(module.per_n_requests);
    entry["bytes_per_n_requests_ci95"] = Interval(module.per_n_requests);
    entry["bytes_per_hour"] = Value(module.per_hour);
    entry["bytes_per_hour_ci95"] = Interval(module.per_hour);
    entry["sites"] = module.sites;
    entry["live_bytes"] = JsonNumber(module.live_bytes);
    json.push_back(std::move(entry));
  }
  return json;
}

Json LeakJson(const analysis::LeakSummary& leak, uint64_t per_requests) {
  Json json;
  json["detected"] = leak.detected;
  json["module"] = leak.module.empty() ? Json(nullptr) : Json(leak.module);
  json["sites"] = leak.sites;
  json["per_requests"] = per_requests;
  json["bytes_per_n_requests"] = Value(leak.per_n_requests);
  json["bytes_per_hour"] = Value(leak.per_hour);
  // ci95 belongs to bytes_per_n_requests, or to bytes_per_hour when there are no request counts.
  json["ci95"] = leak.per_n_requests ? Interval(leak.per_n_requests) : Interval(leak.per_hour);
  json["ci95_of"] = leak.per_n_requests ? "bytes_per_n_requests"
                    : leak.per_hour     ? "bytes_per_hour"
                                        : "none";
  json["bytes_per_hour_ci95"] = Interval(leak.per_hour);
  return json;
}

// The baseline gate's moved sites: change (grew, appeared, disappeared), site, key, before, after.
Json SiteChangesJson(const analysis::GateCheck& check) {
  Json sites = Json::array();
  for (const analysis::SiteChange& change : check.site_changes) {
    const char* kind = change.kind == analysis::SiteChangeKind::kGrew       ? "grew"
                       : change.kind == analysis::SiteChangeKind::kAppeared ? "appeared"
                                                                            : "disappeared";
    sites.push_back({{"change", kind},
                     {"site", change.site},
                     {"key", change.key},
                     {"before", JsonNumber(change.before)},
                     {"after", JsonNumber(change.after)}});
  }
  return sites;
}

Json GateJson(const analysis::GateReport& gate) {
  Json json;
  json["evaluated"] = gate.evaluated;
  json["passed"] = gate.passed;
  json["failures"] = GateLines(gate, analysis::GateOutcome::kFailed);
  json["outcome"] = GateOutcomeName(gate.outcome);
  json["inconclusive_passes"] = gate.inconclusive_passes;
  json["inconclusive"] = GateLines(gate, analysis::GateOutcome::kInconclusive);
  Json checks = Json::array();
  for (const analysis::GateCheck& check : gate.checks) {
    checks.push_back({{"gate", GateName(check)},
                      {"file", check.file},
                      {"outcome", GateOutcomeName(check.outcome)},
                      {"unit", check.per_hour ? "bytes_per_hour" : "bytes_per_n_requests"},
                      {"limit", JsonNumber(check.limit)},
                      {"measured", JsonNumber(check.measured.value)},
                      {"ci95", Json::array({JsonNumber(check.measured.lo),
                                            JsonNumber(check.measured.hi)})}});
    if (check.kind == analysis::GateKind::kBaseline) checks.back()["sites"] = SiteChangesJson(check);
  }
  json["checks"] = std::move(checks);
  return json;
}

Json VerdictReasonsJson(const FileReport& file) {
  Json reasons = Json::array();
  for (const analysis::VerdictReason& reason : file.verdict_reasons) {
    reasons.push_back({{"reason", ReasonName(reason.reason)},
                       {"sites", reason.sites},
                       {"remedies", RemedyNames(reason.remedies)}});
  }
  return reasons;
}

Json FileJson(const FileReport& file) {
  Json json;
  json["file"] = file.path;
  json["process"] = {{"pid", file.pid},
                     {"exe", file.exe},
                     {"cmdline", file.cmdline},
                     {"host", file.host},
                     {"clwleak_version", file.clwleak_version}};
  json["duration_s"] = JsonNumber(file.duration_s);
  json["snapshots"] = file.snapshots;
  json["requests"] = file.requests;
  json["complete"] = file.complete;
  json["end"] = file.end;
  json["end_message"] = file.end_message.empty() ? Json(nullptr) : Json(file.end_message);
  json["sample_rate_bytes"] = file.sample_rate_bytes;
  json["dropped_samples"] = file.dropped_samples;
  json["dropped_bytes"] = file.dropped_bytes;
  json["lower_bound"] = file.dropped_samples > 0;
  json["axis"] = file.axis;
  json["request_rate_per_s"] =
      file.request_rate_per_s ? JsonNumber(*file.request_rate_per_s) : Json(nullptr);
  json["request_rate_source"] =
      file.request_rate_source.empty() ? Json(nullptr) : Json(file.request_rate_source);
  json["warmup"] = file.warmup;
  const bool has_limit = file.memory.limit_bytes > 0;
  json["memory"] = {
      {"limit_bytes", has_limit ? JsonNumber(file.memory.limit_bytes) : Json(nullptr)},
      {"limit_source", has_limit ? Json(file.memory.limit_source) : Json(nullptr)},
      {"in_use_bytes", JsonNumber(file.memory.in_use_bytes)},
      {"in_use_source", file.memory.in_use_source},
      {"heap_live_bytes", JsonNumber(file.memory.heap_live_bytes)},
      {"rss_bytes", JsonNumber(file.memory.rss_bytes)},
      {"rss_growth_bytes_per_s", file.memory.rss_growth_bytes_per_s
                                     ? JsonNumber(*file.memory.rss_growth_bytes_per_s)
                                     : Json(nullptr)}};
  const bool has_enforced = file.memory.enforced_limit_bytes > 0;
  json["memory"]["enforced_limit_bytes"] =
      has_enforced ? JsonNumber(file.memory.enforced_limit_bytes) : Json(nullptr);
  json["memory"]["enforced_limit_source"] =
      has_enforced ? Json(file.memory.enforced_limit_source) : Json(nullptr);
  json["memory"]["limit_check"] = LimitCheckName(file.memory.limit_check);
  json["memory"]["enforced_limit_changes"] = EnforcedLimitChangesJson(file.memory);
  json["memory"]["in_use_processes"] =
      file.memory.in_use_processes > 0 ? Json(file.memory.in_use_processes) : Json(nullptr);
  json["memory"]["in_use_shared"] = file.memory.in_use_processes > 1;
  json["leak"] = LeakJson(file.leak, file.per_requests);
  json["leak"]["growth_bytes_per_s"] = JsonNumber(file.leak.growth_bytes_per_s);
  json["leak"]["bound_per_n_requests"] = Interval(file.leak.bound_per_n_requests);
  json["leak"]["bound_per_hour"] = Interval(file.leak.bound_per_hour);
  json["verdict"] = analysis::ClassificationName(file.verdict);
  json["verdict_reasons"] = VerdictReasonsJson(file);
  json["ages"] = file.ages;
  json["resolution"] = {
      {"bytes_per_n_requests", file.resolution_per_n_requests
                                   ? JsonNumber(*file.resolution_per_n_requests)
                                   : Json(nullptr)},
      {"bytes_per_hour",
       file.resolution_per_hour ? JsonNumber(*file.resolution_per_hour) : Json(nullptr)}};
  json["time_to_oom_s"] = file.oom.projected ? JsonNumber(file.oom.seconds) : Json(nullptr);
  json["time_to_oom_ci95_s"] = file.oom.projected ? Json::array({JsonNumber(file.oom.seconds_lo),
                                                                 JsonNumber(file.oom.seconds_hi)})
                                                  : Json(nullptr);
  json["time_to_oom_reason"] = file.oom.projected ? Json(nullptr) : Json(file.oom.reason);
  Json sites = Json::array();
  size_t stable_listed = 0, stable_omitted = 0;
  for (const SiteReport& site : file.sites) {
    if (site.classification == Classification::kStable) {
      if (stable_listed == kStableSitesListed) {
        ++stable_omitted;
        continue;
      }
      ++stable_listed;
    }
    sites.push_back(SiteJson(site));
  }
  json["sites"] = std::move(sites);
  json["stable_sites_omitted"] = stable_omitted;
  // Known leaks excused by a suppression rule: the site's fields plus the rule and where it is.
  Json suppressed = Json::array();
  for (const SiteReport& site : file.suppressed_sites) {
    Json entry = SiteJson(site);
    entry["suppressed_by"] = site.suppressed_by;
    entry["suppressed_at"] = site.suppressed_at;
    suppressed.push_back(std::move(entry));
  }
  json["suppressed_sites"] = std::move(suppressed);
  json["modules"] = ModulesJson(file.modules);
  // Memory that cannot leak, by kind: never in sites, heap_live_bytes or the leak figures.
  Json kinds = Json::array();
  for (const analysis::KindMemory& kind : file.memory_by_kind) {
    Json kind_sites = Json::array();
    for (const SiteReport& site : kind.sites) kind_sites.push_back(SiteJson(site));
    kinds.push_back({{"kind", kind.kind},
                     {"live_bytes", JsonNumber(kind.live_bytes)},
                     {"live_count", JsonNumber(kind.live_count)},
                     {"sites", std::move(kind_sites)},
                     {"sites_omitted", kind.sites_omitted}});
  }
  json["memory_by_kind"] = std::move(kinds);
  json["notes"] = file.notes;
  json["timeline"] = TimelineJson(file);
  AddHeldJson(file, &json);
  return json;
}

}  // namespace

Json JsonNumber(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

void EscapeStrings(Json* json) {
  if (json->is_string()) {
    *json = EscapeBytes(json->get_ref<const std::string&>());
  } else if (json->is_structured()) {
    for (Json& value : *json) EscapeStrings(&value);
  }
}

Json TimelineJson(const FileReport& file) {
  Json timeline = Json::array();
  for (const analysis::TimelinePoint& point : file.timeline) {
    timeline.push_back({{"seconds", JsonNumber(point.seconds)},
                        {"requests", JsonNumber(point.requests)},
                        {"heap_live_bytes", JsonNumber(point.heap_live_bytes)},
                        {"in_use_bytes", JsonNumber(point.in_use_bytes)},
                        {"rss_bytes", JsonNumber(point.rss_bytes)}});
  }
  return timeline;
}

std::string RenderJson(const std::vector<FileReport>& files, const AggregateReport* aggregate,
                       const analysis::GateReport& gate,
                       const std::vector<analysis::SkippedFile>& skipped) {
  Json json;
  json["schema"] = kReportSchema;
  Json skipped_json = Json::array();
  for (const analysis::SkippedFile& file : skipped) {
    skipped_json.push_back({{"file", file.path}, {"reason", file.reason}});
  }
  if (files.size() == 1 || aggregate == nullptr) {
    Json file = FileJson(files.front());
    for (auto& [key, value] : file.items()) json[key] = std::move(value);
    json["skipped"] = std::move(skipped_json);
    json["gate"] = GateJson(gate);
    EscapeStrings(&json);
    return json.dump(2) + "\n";
  }
  // Several files: the contract's fields over the fleet, then each file in full.
  bool complete = true;
  double duration = 0;
  uint64_t snapshots = 0, requests = 0, sample_rate = 0, dropped = 0;
  const FileReport* soonest = nullptr;
  for (const FileReport& file : files) {
    complete = complete && file.complete;
    duration = std::max(duration, file.duration_s);
    snapshots += file.snapshots;
    requests += file.requests;
    sample_rate = std::max(sample_rate, file.sample_rate_bytes);
    dropped += file.dropped_samples;
    if (file.oom.projected && (soonest == nullptr || file.oom.seconds < soonest->oom.seconds)) {
      soonest = &file;
    }
  }
  json["files_analyzed"] = files.size();
  json["skipped"] = std::move(skipped_json);
  json["process"] = nullptr;
  json["duration_s"] = duration;
  json["snapshots"] = snapshots;
  json["requests"] = requests;
  json["complete"] = complete;
  json["sample_rate_bytes"] = sample_rate;
  json["dropped_samples"] = dropped;
  json["lower_bound"] = dropped > 0;
  json["memory"] = nullptr;
  json["leak"] = LeakJson(aggregate->leak, aggregate->per_requests);
  json["verdict"] = analysis::ClassificationName(aggregate->verdict);
  json["time_to_oom_s"] = soonest != nullptr ? JsonNumber(soonest->oom.seconds) : Json(nullptr);
  json["time_to_oom_file"] = soonest != nullptr ? Json(soonest->path) : Json(nullptr);
  Json sites = Json::array();
  for (const analysis::AggregateSite& entry : aggregate->sites) {
    Json site = SiteJson(entry.site);
    site["files_present"] = entry.files_present;
    site["files_leaking"] = entry.files_leaking;
    sites.push_back(std::move(site));
  }
  json["sites"] = std::move(sites);
  json["modules"] = ModulesJson(aggregate->modules);
  json["gate"] = GateJson(gate);
  Json per_file = Json::array();
  for (const FileReport& file : files) per_file.push_back(FileJson(file));
  json["files"] = std::move(per_file);
  EscapeStrings(&json);
  return json.dump(2) + "\n";
}

}  // namespace clwleak::cli
