// The cause of memory pressure; see oom_cause.h for the rules.
#include "oom_cause.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace clwleak::analysis {

Ending EndingOf(bool complete, bool cut_mid_record, bool exec) {
  if (exec) return Ending::kExec;
  if (complete) return Ending::kNormal;
  return cut_mid_record ? Ending::kCutMidRecord : Ending::kNoFinalSnapshot;
}

bool EndedAbnormally(Ending ending) {
  return ending == Ending::kNoFinalSnapshot || ending == Ending::kCutMidRecord;
}

namespace {

// The moment's top stack when it is a payload holder (see the rules), with the rest's average.
bool FindPayload(const HeldMoment& moment, HeldSite* payload, double* rest_average) {
  if (!moment.valid || moment.sites.empty()) return false;
  const HeldSite& top = moment.sites.front();
  if (top.share < kPayloadShare || !(top.live_count > 0)) return false;
  const double average = top.live_bytes / top.live_count;
  const double block = std::max<double>(average, 0);
  if (block < kPayloadMinBytes) return false;
  double heap = 0;
  for (const HeldModule& module : moment.modules) heap += module.live_bytes;
  heap = std::max(heap, top.live_bytes / std::max(top.share, 1e-12));
  const double rest_bytes = std::max(heap - top.live_bytes, 0.0);
  const double rest_count = std::max(moment.heap_live_count - top.live_count, 0.0);
  const double rest = rest_count > 0 ? rest_bytes / rest_count : 0;
  if (rest > 0 && block < kPayloadRatio * rest) return false;
  *payload = top;
  *rest_average = rest;
  return true;
}

double Correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0) || !(syy > 0)) return 0;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

OomCauseReport JudgeOomCause(const FileReport& file) {
  OomCauseReport cause;
  const HeldMemoryReport& held = file.held;
  const double limit = file.memory.limit_bytes;
  if (held.end.valid && limit > 0) cause.in_use_of_limit = held.end.in_use_bytes / limit;
  const double peak_share = held.peak.in_use_of_limit.value_or(0);
  cause.under_pressure = EndedAbnormally(file.ending) || peak_share >= kPressureShare;

  // Large payloads.
  HeldSite payload;
  double rest = 0;
  if (cause.under_pressure &&
      (FindPayload(held.peak, &payload, &rest) || FindPayload(held.end, &payload, &rest))) {
    cause.cause = OomCause::kLargePayloads;
    for (const HeldSite& site : held.end.sites) {
      if (site.site.stack_id == payload.site.stack_id) cause.payload_count_at_end = site.live_count;
    }
    cause.payloads_accumulate = cause.payload_count_at_end >= 1.5;
    cause.payload = payload;
    cause.rest_average_allocation_bytes = rest;
    return cause;
  }
  // A leak is the cause unless the process was under pressure and what its leaking sites hold is
  // a small part of the heap at the peak: then the pressure came from something else (a burst, a
  // steady load), judged below, and the leak is the cause only when nothing else is.
  double leaked_live = 0;
  for (const SiteReport& site : file.sites) {
    if (site.classification == Classification::kLeak) leaked_live += site.live_bytes;
  }
  const double heap_at_peak = std::max(held.peak.heap_live_bytes, held.end.heap_live_bytes);
  const bool leak = file.verdict == Classification::kLeak;
  if (leak && (!cause.under_pressure || leaked_live >= kLeakHeldShare * heap_at_peak)) {
    cause.cause = OomCause::kLeak;
    return cause;
  }
  if (!cause.under_pressure) return cause;

  // Load spikes: heap against the request rate, after the first tenth of the run.
  const std::vector<TimelinePoint>& timeline = file.timeline;
  if (!timeline.empty() && timeline.back().requests > 0) {
    const double from = 0.1 * timeline.back().requests;
    std::vector<double> rates, heap;
    double peak_heap = 0, low_heap = 0;
    for (size_t i = 1; i < timeline.size(); ++i) {
      const TimelinePoint& a = timeline[i - 1];
      const TimelinePoint& b = timeline[i];
      if (a.requests < from || !(b.seconds > a.seconds)) continue;
      rates.push_back((b.requests - a.requests) / (b.seconds - a.seconds));
      heap.push_back(b.heap_live_bytes);
    }
    if (rates.size() >= kMinLoadPoints) {
      peak_heap = *std::max_element(heap.begin(), heap.end());
      low_heap = *std::min_element(heap.begin(), heap.end());
      cause.load_correlation = Correlation(rates, heap);
      cause.peak_request_rate_per_s = *std::max_element(rates.begin(), rates.end());
      cause.fell_back_bytes = peak_heap - heap.back();
      // Levels rather than a fit: a stall and the catch-up after it (a scheduler, a GC pause)
      // moves the measured rate a lot for one interval, which must not outweigh the whole run.
      std::vector<double> sorted_rates = rates;
      std::sort(sorted_rates.begin(), sorted_rates.end());
      const double base_rate = sorted_rates[sorted_rates.size() / 4];
      std::vector<double> normal, high;
      for (size_t i = 0; i < rates.size(); ++i) {
        if (rates[i] <= kNormalLoadRatio * base_rate) normal.push_back(heap[i]);
        if (rates[i] >= kHighLoadRatio * base_rate) high.push_back(heap[i]);
      }
      auto median = [](std::vector<double> values) {
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
      };
      cause.base_request_rate_per_s = base_rate;
      cause.high_load_intervals = high.size();
      if (!normal.empty() && high.size() >= kMinHighLoadIntervals && base_rate > 0) {
        cause.heap_at_normal_load_bytes = median(normal);
        cause.heap_at_high_load_bytes = median(high);
        if (cause.heap_at_high_load_bytes >= kHighLoadHeapRatio * cause.heap_at_normal_load_bytes &&
            peak_heap - low_heap >= kLoadRangeShare * peak_heap) {
          cause.cause = OomCause::kLoadSpikes;
          return cause;
        }
      }
    }
  }

  // A limit too small for a steady workload.
  if (limit > 0 && cause.in_use_of_limit >= kNearLimitShare && !timeline.empty()) {
    const double half = timeline.back().seconds / 2;
    double low = 0, high = 0;
    bool any = false;
    for (const TimelinePoint& point : timeline) {
      if (point.seconds < half) continue;
      low = any ? std::min(low, point.in_use_bytes) : point.in_use_bytes;
      high = any ? std::max(high, point.in_use_bytes) : point.in_use_bytes;
      any = true;
    }
    cause.in_use_range_bytes = high - low;
    if (any && high - low <= kFlatShareOfLimit * limit) {
      cause.cause = OomCause::kLimitTooSmall;
      return cause;
    }
  }
  cause.cause = leak ? OomCause::kLeak : OomCause::kUndetermined;
  return cause;
}

}  // namespace clwleak::analysis
