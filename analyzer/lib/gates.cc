// CI gates; see gates.h.
#include "gates.h"

#include <cmath>
#include <cstdio>

#include "analysis.h"
#include "units.h"

namespace clwleak::analysis {
namespace {

const SiteReport* TopLeak(const FileReport& file) {
  for (const SiteReport& site : file.sites) {
    if (site.classification == Classification::kLeak) return &site;  // sites are worst first
  }
  return nullptr;
}

std::string TopSiteText(const FileReport& file, bool per_hour) {
  const SiteReport* site = TopLeak(file);
  if (site == nullptr) return "no leaking site";
  std::string text = "top site: " + DescribeSite(*site);
  if (per_hour && site->per_hour) {
    text += ", " + FormatBytes(site->per_hour->value) + " per hour";
  } else if (!per_hour && site->per_n_requests) {
    text += ", " + FormatBytes(site->per_n_requests->value) + " per " +
            FormatCount(file.per_requests) + " requests";
  }
  return text;
}

double Measured(const std::optional<Rate>& rate) { return rate ? rate->value : 0.0; }

}  // namespace

bool EvaluateGates(const std::vector<FileReport>& files, const FileReport* baseline,
                   const GateOptions& options, GateReport* gate, std::string* error) {
  *gate = GateReport{};
  gate->evaluated = options.fail_on_leak || options.fail_on_leak_per_hour ||
                    options.max_increase_percent;
  for (const FileReport& file : files) {
    const std::string per_n = " per " + FormatCount(file.per_requests) + " requests";
    if (options.fail_on_leak) {
      if (file.window_requests <= 0 && file.points_after_warmup >= 2) {
        *error = file.path + ": --fail-on-leak needs request counts, and the file has none; give "
                             "--request-rate or use --fail-on-leak-per-hour";
        return false;
      }
      const double measured = Measured(file.leak.per_n_requests);
      if (measured > static_cast<double>(*options.fail_on_leak)) {
        gate->failures.push_back("--fail-on-leak " +
                                 FormatBytes(static_cast<double>(*options.fail_on_leak)) + per_n +
                                 ": measured " + FormatBytes(measured) + per_n + " in " +
                                 file.path + "; " + TopSiteText(file, false));
      }
    }
    if (options.fail_on_leak_per_hour) {
      const double measured = Measured(file.leak.per_hour);
      if (measured > static_cast<double>(*options.fail_on_leak_per_hour)) {
        gate->failures.push_back(
            "--fail-on-leak-per-hour " +
            FormatBytes(static_cast<double>(*options.fail_on_leak_per_hour)) + " per hour: " +
            "measured " + FormatBytes(measured) + " per hour in " + file.path + "; " +
            TopSiteText(file, true));
      }
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
      const double measured =
          use_requests ? Measured(file.leak.per_n_requests) : Measured(file.leak.per_hour);
      const double reference =
          use_requests ? Measured(baseline->leak.per_n_requests) : Measured(baseline->leak.per_hour);
      const double allowed = reference * (1 + *options.max_increase_percent / 100);
      if (measured > allowed) {
        const std::string unit = use_requests ? per_n : " per hour";
        char increase[48];
        if (reference > 0) {
          std::snprintf(increase, sizeof increase, "+%.0f%%", (measured / reference - 1) * 100);
        } else {
          std::snprintf(increase, sizeof increase, "baseline had no leak");
        }
        char limit[32];
        std::snprintf(limit, sizeof limit, "%g%%", *options.max_increase_percent);
        gate->failures.push_back("--baseline " + options.baseline_path + " --max-increase " +
                                 limit + ": measured " + FormatBytes(measured) + unit + " in " +
                                 file.path + ", baseline " + FormatBytes(reference) + unit + " (" +
                                 increase + "); " + TopSiteText(file, !use_requests));
      }
    }
  }
  gate->passed = gate->failures.empty();
  return true;
}

}  // namespace clwleak::analysis
