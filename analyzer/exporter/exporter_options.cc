// Flags of clw-leak-exporter; see exporter_options.h.
#include "exporter_options.h"

#include <cerrno>
#include <cstdlib>

#include "units.h"

namespace clwleak::exporter {
namespace {

bool ParseCount(const std::string& flag, const std::string& text, uint64_t minimum, uint64_t* value,
                std::string* error) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long parsed = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || parsed < minimum) {
    *error = flag + ": expected a whole number of at least " + std::to_string(minimum) + ", got '" +
             text + "'";
    return false;
  }
  *value = parsed;
  return true;
}

bool ParseSeconds(const std::string& flag, const std::string& text, double* seconds,
                  std::string* error) {
  std::string why;
  if (!analysis::ParseDuration(text, seconds, &why) || !(*seconds > 0)) {
    *error = flag + ": " + (why.empty() ? "expected a duration above zero, e.g. 10m" : why);
    return false;
  }
  return true;
}

}  // namespace

std::string ExporterUsage() {
  return R"(Usage: clw-leak-exporter --serve HOST:PORT --watch DIR [OPTIONS]

Follows every clwleak snapshot file in DIR (and those that appear later), reading only what was
appended since the last look, and serves the answers per process as OpenMetrics on
http://HOST:PORT/metrics (and "ok" on /healthz). Files of processes that stopped writing age out
after --retention; a truncated, deleted, replaced or corrupt file is counted in
clwleak_exporter_read_errors_total and never stops the others.

Options:
  --serve HOST:PORT         address to listen on, e.g. 127.0.0.1:9471 or [::1]:9471
  --watch DIR               directory of snapshot files (CLWLEAK_OUTPUT); repeatable
  --pattern GLOB            names of the files followed (default: *, dot files excluded)
  --retention DURATION      a file with no new snapshot for this long ages out (default 10m)
  --poll-interval DURATION  how often DIR and the files are read (default 1s)
  --header-grace DURATION   how long a file may lack a readable header before it counts as a
                            read error (default 30s)
  --analysis-interval DURATION  the most often one file is re-analysed (default 5s)
  --per N                   clwleak_leak_bytes_per_request is the rate per N requests / N (default 1000)
  --series-points N         points kept per file for the fit (default 64; memory per file)
  --max-files N             files followed at once; more are counted as read errors (default 10000)
  --help, --version
)";
}

bool ParseExporterOptions(int argc, char** argv, ExporterOptions* options, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    bool inline_value = false;
    if (const size_t equals = name.find('=');
        name.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
      inline_value = true;
    }
    if (name == "--help" || name == "-h") {
      options->help = true;
      continue;
    }
    if (name == "--version") {
      options->version = true;
      continue;
    }
    static const char* kWithValue[] = {
        "--serve",         "--watch",        "--pattern",           "--retention",
        "--poll-interval", "--header-grace", "--analysis-interval", "--per",
        "--series-points", "--max-files"};
    bool known = false;
    for (const char* flag : kWithValue) known = known || name == flag;
    if (!known) {
      *error = "unknown option '" + name + "' (see --help)";
      return false;
    }
    if (!inline_value) {
      if (i + 1 >= argc) {
        *error = name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    uint64_t count = 0;
    if (name == "--serve") {
      options->serve = value;
    } else if (name == "--watch") {
      if (value.empty()) {
        *error = "--watch: expected a directory";
        return false;
      }
      options->watch.push_back(value);
    } else if (name == "--pattern") {
      options->pattern = value;
    } else if (name == "--retention") {
      if (!ParseSeconds(name, value, &options->retention_s, error)) return false;
    } else if (name == "--poll-interval") {
      if (!ParseSeconds(name, value, &options->poll_interval_s, error)) return false;
    } else if (name == "--header-grace") {
      if (!ParseSeconds(name, value, &options->header_grace_s, error)) return false;
    } else if (name == "--analysis-interval") {
      if (!ParseSeconds(name, value, &options->analysis_interval_s, error)) return false;
    } else if (name == "--per") {
      if (!ParseCount(name, value, 1, &count, error)) return false;
      options->per_requests = count;
    } else if (name == "--series-points") {
      if (!ParseCount(name, value, 8, &count, error)) return false;
      options->series_points = count;
    } else if (name == "--max-files") {
      if (!ParseCount(name, value, 1, &count, error)) return false;
      options->max_files = count;
    }
  }
  if (options->help || options->version) return true;
  if (options->serve.empty()) {
    *error = "--serve HOST:PORT is required (e.g. --serve 127.0.0.1:9471)";
    return false;
  }
  if (options->watch.empty()) {
    *error = "--watch DIR is required";
    return false;
  }
  return true;
}

}  // namespace clwleak::exporter
