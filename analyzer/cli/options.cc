// Parsing of clw-leak-analyze's command line; see options.h.
#include "options.h"

#include <cmath>
#include <cstdlib>
#include <string_view>

#include "units.h"

namespace clwleak::cli {
namespace {

bool ParsePositiveNumber(std::string_view text, double* value) {
  std::string owned(text);
  char* end = nullptr;
  *value = std::strtod(owned.c_str(), &end);
  return !owned.empty() && end == owned.c_str() + owned.size() && std::isfinite(*value) &&
         *value > 0;
}

bool ParseWarmup(std::string_view text, analysis::Warmup* warmup, std::string* error) {
  std::string_view body = text;
  if (!body.empty() && body.back() == '%') {
    body.remove_suffix(1);
    double percent = 0;
    std::string owned(body);
    char* end = nullptr;
    percent = std::strtod(owned.c_str(), &end);
    if (owned.empty() || end != owned.c_str() + owned.size() || !(percent >= 0) ||
        !(percent < 100)) {
      *error = "--warmup: '" + std::string(text) + "' must be a percentage in [0%, 100%)";
      return false;
    }
    warmup->kind = analysis::Warmup::Kind::kFraction;
    warmup->value = percent / 100;
    return true;
  }
  bool all_digits = !text.empty();
  for (char c : text) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    warmup->kind = analysis::Warmup::Kind::kRequests;
    warmup->value = std::strtod(std::string(text).c_str(), nullptr);
    return true;
  }
  double seconds = 0;
  std::string detail;
  if (!analysis::ParseDuration(text, &seconds, &detail)) {
    *error = "--warmup: '" + std::string(text) +
             "' is not a percentage (10%), a duration (90s, 5m) or a request count (5000)";
    return false;
  }
  warmup->kind = analysis::Warmup::Kind::kSeconds;
  warmup->value = seconds;
  return true;
}

}  // namespace

std::string UsageText() {
  return R"(Usage: clw-leak-analyze [OPTIONS] FILE...

Reads clwleak snapshot files (written by libclwleak.so) and reports which call stacks and
libraries leak, how many bytes per N requests and per hour, and when the process will reach its
memory limit. Several files (a fleet of workers) give one report per file plus an aggregate.

Options:
  --per N                  report leaks per N requests (default 1000)
  --format F               text (default); json (schema clwleak-report/1); folded (flame-graph
                           stacks: leaked bytes per N requests); prometheus (OpenMetrics text
                           for node_exporter's textfile collector); junit (one test case per
                           gate); pprof (gzipped profile.proto for go tool pprof, Pyroscope;
                           binary: needs -o unless stdout is not a terminal); html (one
                           self-contained page: answers, memory chart with the projection to
                           OOM, leaking sites, flame graph; use with -o report.html)
  -o PATH                  write the report to PATH instead of standard output
  --color WHEN             colours in the text report: auto (default: only when standard output
                           is a terminal and NO_COLOR is unset), always, never
  --memory-limit SIZE      memory limit for the time-to-OOM projection (overrides the file's)
  --request-rate R         requests per second, for files without request counts
  --warmup W               part of the run excluded from the fit: a percentage of the run (10%),
                           a duration (90s, 5m) or a number of requests (5000); default 10%
  --fail-on-leak SIZE      gate: fail when the leak per N requests exceeds SIZE
  --fail-on-leak-per-hour SIZE
                           gate: fail when the leak per hour exceeds SIZE
  --baseline FILE --max-increase PCT
                           gate: fail when the leak rate grew by more than PCT percent over the
                           run recorded in FILE
  --suppressions FILE      known leaks to excuse, LeakSanitizer's syntax: one leak:PATTERN per line
                           (a function, source file or module; * wildcard; # comments).
                           Matching sites are listed as suppressed, with their rate, and left out
                           of the totals and the gates. Without this option ./.clwleak-suppressions
                           is read when it exists (--no-default-suppressions: never)
  --inconclusive=WHAT      what a gate does when the leak rate's 95% interval straddles its
                           limit (the evidence cannot decide): fail (default: exit 3) or pass
  --help                   show this help
  --version                show the version

On a terminal, reading a large file (8 MiB or more, or taking over half a second) shows a progress
bar on standard error; never when standard error is not a terminal.

SIZE: bytes, or a Kubernetes quantity: 64Ki, 512Mi, 4Gi, 1.5Gi (powers of 1024; KiB, MiB, GiB
too) or 64k, 500M, 2G (powers of 1000). 100MB is refused as ambiguous: write 100Mi or 100M.
DURATION: a number with us, ms, s, m, h or d (500ms, 90s, 5m, 1.5h); a bare number is seconds.

Gates compare the leak rate's 95% interval with their limit: below passes, above fails, across
is inconclusive. Exit status: 0 report written and every gate passed; 1 a gate failed; 2 usage
error or unreadable input; 3 a gate was inconclusive (CI should treat it as a failure; decide it
with an exact-mode run, CLWLEAK_SAMPLE_RATE=1, or a longer one), unless --inconclusive=pass.
)";
}

bool ParseCommandLine(int argc, const char* const* argv, CliOptions* options, std::string* error) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool only_files = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-" && !only_files) {
      *error = "'-': standard input cannot be read: the analyzer reads a file more than once; save "
               "the stream to a file first (e.g. ssh host cat clwleak.pb > run.pb), or name a file "
               "called '-' as ./-";
      return false;
    }
    if (only_files || arg.empty() || arg[0] != '-') {
      options->files.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_files = true;
      continue;
    }
    std::string name = arg, value;
    bool has_inline_value = false;
    if (arg.rfind("--", 0) == 0) {
      const size_t equals = arg.find('=');
      if (equals != std::string::npos) {
        name = arg.substr(0, equals);
        value = arg.substr(equals + 1);
        has_inline_value = true;
      }
    }
    auto take_value = [&]() -> bool {
      if (has_inline_value) return true;
      if (i + 1 >= args.size()) {
        *error = name + " needs a value";
        return false;
      }
      value = args[++i];
      return true;
    };
    auto size_option = [&](std::optional<uint64_t>* target) {
      if (!take_value()) return false;
      uint64_t bytes = 0;
      std::string detail;
      if (!analysis::ParseSize(value, &bytes, &detail)) {
        *error = name + ": " + detail;
        return false;
      }
      *target = bytes;
      return true;
    };

    if (name == "--help" || name == "-h") {
      options->help = true;
    } else if (name == "--version") {
      options->version = true;
    } else if (name == "--per") {
      if (!take_value()) return false;
      double per = 0;
      if (!ParsePositiveNumber(value, &per) || per != std::floor(per) || per > 1e15) {
        *error = "--per: '" + value + "' is not a positive whole number of requests";
        return false;
      }
      options->analysis.per_requests = static_cast<uint64_t>(per);
    } else if (name == "--format") {
      if (!take_value()) return false;
      if (value != "text" && value != "json" && value != "folded" && value != "prometheus" &&
          value != "junit" && value != "pprof" && value != "html") {
        *error = "--format: '" + value +
                 "' is not supported (use text, json, folded, prometheus, junit, pprof or html)";
        return false;
      }
      options->format = value;
    } else if (name == "-o" || name == "--output") {
      if (!take_value()) return false;
      if (value.empty()) {
        *error = name + " needs a path";
        return false;
      }
      options->output = value;
    } else if (name == "--color" || name == "--colour") {
      if (!take_value()) return false;
      if (!ParseColorMode(value, &options->color)) {
        *error = name + ": '" + value + "' is not auto, always or never";
        return false;
      }
    } else if (name == "--memory-limit") {
      if (!size_option(&options->analysis.memory_limit)) return false;
      if (*options->analysis.memory_limit == 0) {
        *error = "--memory-limit must be above zero";
        return false;
      }
    } else if (name == "--request-rate") {
      if (!take_value()) return false;
      double rate = 0;
      if (!ParsePositiveNumber(value, &rate)) {
        *error = "--request-rate: '" + value + "' is not a positive number of requests per second";
        return false;
      }
      options->analysis.request_rate = rate;
    } else if (name == "--warmup") {
      if (!take_value() || !ParseWarmup(value, &options->analysis.warmup, error)) return false;
    } else if (name == "--fail-on-leak") {
      if (!size_option(&options->gates.fail_on_leak)) return false;
    } else if (name == "--fail-on-leak-per-hour") {
      if (!size_option(&options->gates.fail_on_leak_per_hour)) return false;
    } else if (name == "--inconclusive") {
      if (!take_value()) return false;
      if (value != "fail" && value != "pass") {
        *error = "--inconclusive: '" + value + "' is not fail or pass";
        return false;
      }
      options->gates.inconclusive_passes = value == "pass";
    } else if (name == "--baseline") {
      if (!take_value()) return false;
      options->baseline = value;
      options->gates.baseline_path = value;
    } else if (name == "--suppressions") {
      if (!take_value()) return false;
      if (value.empty()) {
        *error = "--suppressions needs a file";
        return false;
      }
      options->suppression_files.push_back(value);
    } else if (name == "--no-default-suppressions") {
      options->default_suppressions = false;
    } else if (name == "--max-increase") {
      if (!take_value()) return false;
      std::string number = value;
      if (!number.empty() && number.back() == '%') number.pop_back();
      double percent = 0;
      std::string owned = number;
      char* end = nullptr;
      percent = std::strtod(owned.c_str(), &end);
      if (owned.empty() || end != owned.c_str() + owned.size() || !(percent >= 0) ||
          !std::isfinite(percent)) {
        *error = "--max-increase: '" + value + "' is not a percentage (e.g. 10 or 10%)";
        return false;
      }
      options->gates.max_increase_percent = percent;
    } else {
      *error = "unknown option " + name;
      return false;
    }
  }
  if (options->help || options->version) return true;
  if (options->gates.max_increase_percent && options->baseline.empty()) {
    *error = "--max-increase needs --baseline FILE";
    return false;
  }
  if (!options->baseline.empty() && !options->gates.max_increase_percent) {
    *error = "--baseline needs --max-increase PCT";
    return false;
  }
  if (options->files.empty()) {
    *error = "no input file";
    return false;
  }
  // Growth that cannot be judged matters when it could cross a gate's limit.
  if (options->gates.fail_on_leak) {
    options->analysis.material_per_n_requests = static_cast<double>(*options->gates.fail_on_leak);
  }
  if (options->gates.fail_on_leak_per_hour) {
    options->analysis.material_per_hour = static_cast<double>(*options->gates.fail_on_leak_per_hour);
  }
  return true;
}

}  // namespace clwleak::cli
