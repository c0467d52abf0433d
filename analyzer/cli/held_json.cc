// The JSON of memory held, endings and causes; see held_json.h.
#include "held_json.h"

#include "analysis.h"
#include "held_text.h"
#include "json_report.h"

namespace clwleak::cli {
namespace {

using Json = nlohmann::ordered_json;
using analysis::HeldMoment;
using analysis::HeldSite;

Json HeldSiteJson(const HeldSite& held, bool with_growth) {
  Json json;
  const analysis::SiteReport& site = held.site;
  const bool has_frame =
      site.site_frame >= 0 && site.site_frame < static_cast<int>(site.frames.size());
  json["function"] = has_frame ? Json(site.frames[site.site_frame].function) : Json(nullptr);
  json["site"] = analysis::DescribeSite(site);
  json["module"] = site.module;
  json["stack_key"] = site.key;
  json["classification"] = analysis::ClassificationName(site.classification);
  json["live_bytes"] = JsonNumber(held.live_bytes);
  json["live_count"] = JsonNumber(held.live_count);
  json["share"] = JsonNumber(held.share);
  json["largest_allocation_bytes"] =
      held.largest_allocation_bytes > 0 ? Json(held.largest_allocation_bytes) : Json(nullptr);
  if (with_growth) json["growth_bytes"] = JsonNumber(held.growth_bytes);
  return json;
}

Json MomentJson(const HeldMoment& moment) {
  if (!moment.valid) return Json(nullptr);
  Json json;
  json["seconds"] = JsonNumber(moment.seconds);
  json["requests"] = JsonNumber(moment.requests);
  json["in_use_bytes"] = JsonNumber(moment.in_use_bytes);
  json["in_use_of_limit"] =
      moment.in_use_of_limit ? JsonNumber(*moment.in_use_of_limit) : Json(nullptr);
  json["heap_live_bytes"] = JsonNumber(moment.heap_live_bytes);
  json["heap_live_count"] = JsonNumber(moment.heap_live_count);
  Json sites = Json::array();
  for (const HeldSite& held : moment.sites) sites.push_back(HeldSiteJson(held, false));
  json["sites"] = std::move(sites);
  Json modules = Json::array();
  for (const analysis::HeldModule& module : moment.modules) {
    modules.push_back({{"module", module.module},
                       {"live_bytes", JsonNumber(module.live_bytes)},
                       {"live_count", JsonNumber(module.live_count)},
                       {"share", JsonNumber(module.share)},
                       {"largest_allocation_bytes", module.largest_allocation_bytes > 0
                                                        ? Json(module.largest_allocation_bytes)
                                                        : Json(nullptr)},
                       {"stacks", module.stacks}});
  }
  json["modules"] = std::move(modules);
  return json;
}

}  // namespace

void AddHeldJson(const analysis::FileReport& file, Json* json) {
  const analysis::HeldMemoryReport& held = file.held;
  (*json)["ending"] = EndingName(file.ending);
  (*json)["post_mortem"] = analysis::EndedAbnormally(file.ending);
  Json out;
  out["end"] = MomentJson(held.end);
  out["peak"] = MomentJson(held.peak);
  out["peak_is_end"] = held.peak_is_end;
  out["largest_recorded"] = held.largest_recorded;
  const analysis::FinalStretch& stretch = held.final_stretch;
  if (stretch.valid) {
    Json grew = Json::array();
    for (const HeldSite& site : stretch.grew) grew.push_back(HeldSiteJson(site, true));
    out["final_stretch"] = {{"snapshots", stretch.snapshots},
                            {"seconds", JsonNumber(stretch.seconds)},
                            {"requests", JsonNumber(stretch.requests)},
                            {"in_use_growth_bytes", JsonNumber(stretch.in_use_growth_bytes)},
                            {"heap_growth_bytes", JsonNumber(stretch.heap_growth_bytes)},
                            {"grew", std::move(grew)}};
  } else {
    out["final_stretch"] = nullptr;
  }
  (*json)["held"] = std::move(out);

  const analysis::OomCauseReport& cause = file.cause;
  Json oom;
  oom["cause"] = OomCauseName(cause.cause);
  oom["under_pressure"] = cause.under_pressure;
  oom["text"] = cause.cause == analysis::OomCause::kNone ? Json(nullptr) : Json(OomCauseText(file));
  oom["fix"] =
      cause.cause == analysis::OomCause::kNone ? Json(nullptr) : Json(OomCauseFix(cause.cause));
  oom["payload"] = cause.payload ? HeldSiteJson(*cause.payload, false) : Json(nullptr);
  oom["payload_count_at_end"] = JsonNumber(cause.payload_count_at_end);
  oom["payloads_accumulate"] = cause.payloads_accumulate;
  oom["rest_average_allocation_bytes"] = JsonNumber(cause.rest_average_allocation_bytes);
  oom["base_request_rate_per_s"] = JsonNumber(cause.base_request_rate_per_s);
  oom["heap_at_normal_load_bytes"] = JsonNumber(cause.heap_at_normal_load_bytes);
  oom["heap_at_high_load_bytes"] = JsonNumber(cause.heap_at_high_load_bytes);
  oom["high_load_intervals"] = cause.high_load_intervals;
  oom["load_correlation"] = JsonNumber(cause.load_correlation);
  oom["peak_request_rate_per_s"] = JsonNumber(cause.peak_request_rate_per_s);
  oom["fell_back_bytes"] = JsonNumber(cause.fell_back_bytes);
  oom["in_use_of_limit"] = JsonNumber(cause.in_use_of_limit);
  oom["in_use_range_bytes"] = JsonNumber(cause.in_use_range_bytes);
  (*json)["oom_cause"] = std::move(oom);
}

}  // namespace clwleak::cli
