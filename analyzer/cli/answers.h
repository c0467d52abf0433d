// The phrases of the headline answers (leak rate with its interval, memory limit, time to OOM),
// shared by the text report and the HTML report so that both say the same thing in the same words.
// Pure functions over the report model; called by text_report.cc and html_report.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "report.h"

namespace clwleak::cli {

// "per 1000 requests"
std::string PerN(uint64_t per_requests);

// " (and 2 more modules)" after the name of the module leaking most; "" for one module.
std::string MoreModules(size_t leaking_modules);

// "15.0 MiB per 1000 requests (95% CI 14.2–15.8)"; the interval is in the value's unit. An empty
// `per` gives "15.0 MiB (95% CI 14.2–15.8)".
std::string RateWithInterval(const analysis::Rate& rate, const std::string& per);

// The main figure of a leak: per N requests when known, else per hour, else why it is unknown.
std::string LeakRateText(const std::optional<analysis::Rate>& per_n,
                         const std::optional<analysis::Rate>& per_hour, uint64_t per_requests);

// "limit 2.0 GiB from cgroup memory.max, 1.21 GiB in use" (or "limit unknown: ..."), with " by 3
// processes" after "in use" when the cgroup's use is shared.
std::string MemoryPhrase(const analysis::FileReport& file);

// When a setting gives a limit other than the kernel's: "CLW_MEMORY_LIMIT (2.0 GiB) is above the
// limit the kernel enforces, 400 MiB from cgroup v1 ...: ..."; "" otherwise.
std::string LimitCheckPhrase(const analysis::FileReport& file);

// When the memory in use is a cgroup's shared by several processes, a sentence saying so; "".
std::string SharedUsePhrase(const analysis::FileReport& file);

// When the kernel's limit changed during the run, each value and when it began; "" otherwise.
std::string LimitChangesPhrase(const analysis::FileReport& file);

// "3h 58m" when projected, else "none projected, <reason>".
std::string TimeToOomPhrase(const analysis::FileReport& file);

}  // namespace clwleak::cli
