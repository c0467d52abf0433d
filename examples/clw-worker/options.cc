// options.cc — parses clw-worker's command line (see options.h) and prints its --help.
#include "options.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace clw_worker {
namespace {

constexpr const char* kUsage =
    "usage: clw-worker [OPTIONS]\n"
    "A small task worker: a dispatcher queues tasks at --requests-per-second, worker threads decode\n"
    "each task's JSON-ish payload, render a result (kept in a bounded LRU cache) and send it\n"
    "upstream through libclient.so, which loses --leak-bytes per request. Runs until --duration or\n"
    "--requests is reached, or until SIGTERM/SIGINT (then it drains the queue); with neither bound\n"
    "it runs until signalled. At the end it prints its truth on stdout, one line of key=value pairs:\n"
    "  clw-worker: requests=N errors=N leaked_bytes=N leak_bytes_per_request=N elapsed_s=S\n"
    "              request_rate=R cache_entries=N cache_hits=N rss_bytes=N stop=duration|requests|signal\n"
    "Progress lines go to stderr. Exit status: 0, or 1 when a request failed, 2 on a usage error.\n"
    "\n"
    "options (SIZE accepts K/KiB and M/MiB suffixes):\n"
    "  --requests-per-second R\n"
    "                      requests per second to dispatch, 0 = as fast as possible (default\n"
    "                      1000); --rate R is the old spelling, still accepted\n"
    "  --duration S        seconds to dispatch for, 0 = no time bound (default 0)\n"
    "  --requests N        stop after N requests, 0 = no count bound (default 0)\n"
    "  --threads N         worker threads (default 4)\n"
    "  --leak-bytes SIZE   bytes libclient.so leaks per request, 0 = none (default 15360)\n"
    "  --no-leak           same as --leak-bytes 0\n"
    "  --cache-entries N   LRU result cache capacity, 0 = no cache (default 5000)\n"
    "  --payload-bytes SIZE  size of each task document (default 4096)\n"
    "  --progress S        seconds between progress lines on stderr, 0 = none (default 5)\n"
    "  -h, --help          this text\n";

bool ParseNumber(std::string_view text, double* out) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || *end != '\0' || errno != 0 || !std::isfinite(value) || value < 0) return false;
  *out = value;
  return true;
}

bool ParseCount(std::string_view text, std::uint64_t* out) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(copy.c_str(), &end, 10);
  if (copy.empty() || copy[0] == '-' || *end != '\0' || errno != 0) return false;
  *out = value;
  return true;
}

bool ParseSize(std::string_view text, std::size_t* out) {
  std::uint64_t multiplier = 1;
  for (auto [suffix, factor] : {std::pair<std::string_view, std::uint64_t>{"KiB", 1024},
                                {"K", 1024}, {"MiB", 1024 * 1024}, {"M", 1024 * 1024}}) {
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      text.remove_suffix(suffix.size());
      multiplier = factor;
      break;
    }
  }
  std::uint64_t value = 0;
  if (!ParseCount(text, &value)) return false;
  *out = static_cast<std::size_t>(value * multiplier);
  return true;
}

}  // namespace

std::optional<WorkerOptions> ParseOptions(int argc, char** argv, int* exit_code) {
  WorkerOptions options;
  auto usage_error = [&](const std::string& message) {
    std::fprintf(stderr, "clw-worker: %s\n(see clw-worker --help)\n", message.c_str());
    *exit_code = 2;
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      *exit_code = 0;
      return std::nullopt;
    }
    if (arg == "--no-leak") {
      options.leak_bytes = 0;
      continue;
    }
    // Every other option takes a value, as "--name value" or "--name=value".
    std::string_view name = arg, value;
    auto eq = arg.find('=');
    if (eq != std::string_view::npos) name = arg.substr(0, eq);
    if (name == "--requests-per-second") name = "--rate";
    if (name != "--rate" && name != "--duration" && name != "--requests" && name != "--threads" &&
        name != "--leak-bytes" && name != "--cache-entries" && name != "--payload-bytes" &&
        name != "--progress") {
      return usage_error("unknown option " + std::string(arg));
    }
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return usage_error("option " + std::string(arg) + " needs a value");
    }
    bool ok = true;
    std::uint64_t count = 0;
    if (name == "--rate") {
      ok = ParseNumber(value, &options.rate);
    } else if (name == "--duration") {
      ok = ParseNumber(value, &options.duration_s);
    } else if (name == "--requests") {
      ok = ParseCount(value, &options.requests);
    } else if (name == "--threads") {
      ok = ParseCount(value, &count) && count >= 1 && count <= 256;
      options.threads = static_cast<unsigned>(count);
    } else if (name == "--leak-bytes") {
      ok = ParseSize(value, &options.leak_bytes);
    } else if (name == "--cache-entries") {
      ok = ParseCount(value, &count);
      options.cache_entries = static_cast<std::size_t>(count);
    } else if (name == "--payload-bytes") {
      ok = ParseSize(value, &options.payload_bytes) && options.payload_bytes <= 64 * 1024 * 1024;
    } else {  // --progress
      ok = ParseNumber(value, &options.progress_s);
    }
    if (!ok) return usage_error("bad value '" + std::string(value) + "' for " + std::string(name));
  }
  return options;
}

}  // namespace clw_worker
