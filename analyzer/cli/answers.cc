// The headline answers' phrases; see answers.h.
#include "answers.h"

#include "units.h"

namespace clwleak::cli {

std::string PerN(uint64_t per_requests) {
  return "per " + std::to_string(per_requests) + " requests";
}

std::string MoreModules(size_t leaking_modules) {
  if (leaking_modules <= 1) return "";
  return " (and " + std::to_string(leaking_modules - 1) + " more module" +
         (leaking_modules > 2 ? "s" : "") + ")";
}

std::string RateWithInterval(const analysis::Rate& rate, const std::string& per) {
  const auto unit = analysis::UnitFor(rate.value != 0 ? rate.value : rate.hi);
  return analysis::FormatInUnit(rate.value, unit) + " " + unit.name +
         (per.empty() ? "" : " " + per) + " (95% CI " + analysis::FormatInUnit(rate.lo, unit) +
         "–" + analysis::FormatInUnit(rate.hi, unit) + ")";
}

std::string LeakRateText(const std::optional<analysis::Rate>& per_n,
                         const std::optional<analysis::Rate>& per_hour, uint64_t per_requests) {
  if (per_n) return RateWithInterval(*per_n, PerN(per_requests));
  if (per_hour) return RateWithInterval(*per_hour, "per hour");
  return "rate unknown (the window after the warm-up has no duration)";
}

std::string MemoryPhrase(const analysis::FileReport& file) {
  std::string text;
  if (file.memory.limit_bytes > 0) {
    text = "limit " + analysis::FormatBytes(file.memory.limit_bytes) + " from " +
           file.memory.limit_source;
  } else {
    text = "limit unknown: give --memory-limit";
  }
  return text + ", " + analysis::FormatBytes(file.memory.in_use_bytes) + " in use";
}

std::string TimeToOomPhrase(const analysis::FileReport& file) {
  if (file.oom.projected) return analysis::FormatDuration(file.oom.seconds);
  return "none projected, " + file.oom.reason;
}

}  // namespace clwleak::cli
