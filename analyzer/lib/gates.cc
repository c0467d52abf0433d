// CI gates; see gates.h.
#include "gates.h"

#include "site_changes.h"

#include <limits>

namespace clwleak::analysis {
namespace {

// The file's worst leaking site, else its worst inconclusive one (sites are worst first).
std::optional<SiteReport> TopSite(const FileReport& file) {
  for (Classification wanted : {Classification::kLeak, Classification::kInconclusive}) {
    for (const SiteReport& site : file.sites) {
      if (site.classification == wanted) return site;
    }
  }
  return std::nullopt;
}

// What a gate compares: the point estimate and the bound. A file without a window has neither:
// nothing rules a leak out, so the bound is [0, infinity).
Rate Measured(const std::optional<Rate>& rate, const std::optional<Rate>& bound) {
  Rate measured;
  measured.value = rate ? rate->value : 0.0;
  if (bound) {
    measured.lo = bound->lo;
    measured.hi = bound->hi;
  } else {
    measured.lo = 0;
    measured.hi = std::numeric_limits<double>::infinity();
  }
  return measured;
}

}  // namespace

GateOutcome Compare(const Rate& measured, double limit) {
  if (measured.hi <= limit) return GateOutcome::kPassed;
  if (measured.lo > limit) return GateOutcome::kFailed;
  return GateOutcome::kInconclusive;
}

bool EvaluateGates(const std::vector<FileReport>& files, const FileReport* baseline,
                   const GateOptions& options, GateReport* gate, std::string* error,
                   const std::vector<SkippedFile>& skipped) {
  *gate = GateReport{};
  gate->evaluated = options.fail_on_leak || options.fail_on_leak_per_hour ||
                    options.max_increase_percent;
  gate->inconclusive_passes = options.inconclusive_passes;
  for (const FileReport& file : files) {
    GateCheck base;
    base.file = file.path;
    base.per_requests = file.per_requests;
    base.top_site = TopSite(file);
    if (options.fail_on_leak) {
      if (file.window_requests <= 0 && file.points_after_warmup >= 2) {
        *error = file.path + ": --fail-on-leak needs request counts, and the file has none; give "
                             "--request-rate or use --fail-on-leak-per-hour";
        return false;
      }
      GateCheck check = base;
      check.kind = GateKind::kFailOnLeak;
      check.limit = static_cast<double>(*options.fail_on_leak);
      check.measured = Measured(file.leak.per_n_requests, file.leak.bound_per_n_requests);
      check.outcome = Compare(check.measured, check.limit);
      gate->checks.push_back(std::move(check));
    }
    if (options.fail_on_leak_per_hour) {
      GateCheck check = base;
      check.kind = GateKind::kFailOnLeakPerHour;
      check.per_hour = true;
      check.limit = static_cast<double>(*options.fail_on_leak_per_hour);
      check.measured = Measured(file.leak.per_hour, file.leak.bound_per_hour);
      check.outcome = Compare(check.measured, check.limit);
      gate->checks.push_back(std::move(check));
    }
    if (options.max_increase_percent && baseline != nullptr) {
      // Compare per N requests when both runs count requests, else per hour.
      const bool by_requests = file.leak.per_n_requests.has_value() || file.window_requests > 0;
      const bool baseline_by_requests = baseline->window_requests > 0;
      const bool use_requests = by_requests && baseline_by_requests;
      const bool use_hours = !use_requests && file.window_seconds > 0 &&
                             baseline->window_seconds > 0;
      if (!use_requests && !use_hours) {
        *error = file.path + ": cannot compare with the baseline " + options.baseline_path +
                 ": the runs share no rate (per request or per hour)";
        return false;
      }
      GateCheck check = base;
      check.kind = GateKind::kBaseline;
      check.per_hour = !use_requests;
      check.baseline_path = options.baseline_path;
      check.max_increase_percent = *options.max_increase_percent;
      const std::optional<Rate>& reference =
          use_requests ? baseline->leak.per_n_requests : baseline->leak.per_hour;
      check.baseline_reference = reference ? reference->value : 0.0;
      check.limit = check.baseline_reference * (1 + *options.max_increase_percent / 100);
      check.measured = use_requests
                           ? Measured(file.leak.per_n_requests, file.leak.bound_per_n_requests)
                           : Measured(file.leak.per_hour, file.leak.bound_per_hour);
      check.outcome = Compare(check.measured, check.limit);
      check.site_changes =
          CompareSites(*baseline, file, check.per_hour, *options.max_increase_percent);
      gate->checks.push_back(std::move(check));
    }
  }
  for (const SkippedFile& file : skipped) {
    GateCheck check;
    check.file = file.path;
    check.unreadable = file.reason;
    check.outcome = GateOutcome::kInconclusive;
    check.measured = Measured(std::nullopt, std::nullopt);
    if (!files.empty()) check.per_requests = files.front().per_requests;
    if (options.fail_on_leak) {
      check.kind = GateKind::kFailOnLeak;
      check.limit = static_cast<double>(*options.fail_on_leak);
      gate->checks.push_back(check);
    }
    if (options.fail_on_leak_per_hour) {
      check.kind = GateKind::kFailOnLeakPerHour;
      check.per_hour = true;
      check.limit = static_cast<double>(*options.fail_on_leak_per_hour);
      gate->checks.push_back(check);
    }
    if (options.max_increase_percent && baseline != nullptr) {
      check.kind = GateKind::kBaseline;
      check.per_hour = false;
      check.baseline_path = options.baseline_path;
      check.max_increase_percent = *options.max_increase_percent;
      check.limit = 0;
      gate->checks.push_back(check);
    }
  }
  bool failed = false, inconclusive = false;
  for (const GateCheck& check : gate->checks) {
    failed = failed || check.outcome == GateOutcome::kFailed;
    inconclusive = inconclusive || check.outcome == GateOutcome::kInconclusive;
  }
  gate->outcome = failed         ? GateOutcome::kFailed
                  : inconclusive ? GateOutcome::kInconclusive
                                 : GateOutcome::kPassed;
  gate->passed = !failed && (!inconclusive || options.inconclusive_passes);
  return true;
}

}  // namespace clwleak::analysis
