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
  text += ", " + analysis::FormatBytes(file.memory.in_use_bytes) + " in use";
  if (file.memory.in_use_processes > 1) {
    text += " by " + std::to_string(file.memory.in_use_processes) + " processes";
  }
  return text;
}

std::string LimitCheckPhrase(const analysis::FileReport& file) {
  const analysis::MemoryReport& memory = file.memory;
  const std::string setting =
      memory.limit_source + " (" + analysis::FormatBytes(memory.limit_bytes) + ")";
  const std::string enforced =
      analysis::FormatBytes(memory.enforced_limit_bytes) + " from " + memory.enforced_limit_source;
  switch (memory.limit_check) {
    case analysis::LimitCheck::kNotRecorded:
    case analysis::LimitCheck::kEnforced:
    case analysis::LimitCheck::kSettingMatches:
      return "";
    case analysis::LimitCheck::kSettingBelow:
      return setting + " is below the limit the kernel enforces, " + enforced;
    case analysis::LimitCheck::kSettingAbove:
      return setting + " is above the limit the kernel enforces, " + enforced +
             ": the kernel kills the process at its own limit, before the projected time; fix the "
             "setting or remove it";
  }
  return "";
}

std::string SharedUsePhrase(const analysis::FileReport& file) {
  if (file.memory.in_use_processes <= 1) return "";
  return "memory in use is the cgroup's, shared by " +
         std::to_string(file.memory.in_use_processes) +
         " processes: the projection counts this process's growth only, so the others' growth "
         "brings the kill sooner";
}

std::string LimitChangesPhrase(const analysis::FileReport& file) {
  const auto& changes = file.memory.enforced_limit_changes;
  if (changes.size() <= 1) return "";
  std::string text = "the kernel's limit changed during the run: ";
  for (size_t i = 0; i < changes.size(); ++i) {
    if (i > 0) text += ", then ";
    text += analysis::FormatBytes(changes[i].limit_bytes);
    if (i == 0 || changes[i].limit_source != changes[i - 1].limit_source) {
      text += " (" + changes[i].limit_source + ")";
    }
    text += " from " + analysis::FormatDuration(changes[i].seconds);
  }
  if (file.memory.enforced_limit_changes_truncated) text += ", and more changes after";
  return text;
}

std::string TimeToOomPhrase(const analysis::FileReport& file) {
  // At or over the limit "0s" would read as a rounding artefact: say the limit is passed.
  if (file.memory.limit_bytes > 0 && file.oom.headroom_bytes <= 0) {
    std::string text = file.oom.headroom_bytes < 0
                           ? "the limit is already passed, by " +
                                 analysis::FormatBytes(-file.oom.headroom_bytes)
                           : std::string("the limit is already reached");
    return file.oom.projected ? text : text + " (" + file.oom.reason + ")";
  }
  if (file.oom.projected) return analysis::FormatDuration(file.oom.seconds);
  return "none projected, " + file.oom.reason;
}

}  // namespace clwleak::cli
