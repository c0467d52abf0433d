// The command line of clw-leak-exporter: the flags, their defaults and --help. Called by main.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clwleak::exporter {

struct ExporterOptions {
  std::string serve;               // --serve HOST:PORT, e.g. 127.0.0.1:9471
  std::vector<std::string> watch;  // --watch DIR (repeatable)
  std::string pattern = "*";       // --pattern GLOB: file names followed in each DIR
  double poll_interval_s = 1;      // --poll-interval: how often DIR and the files are read
  double retention_s = 600;        // --retention: a file with no new snapshot this long ages out
  double header_grace_s = 30;      // --header-grace: how long a file may lack a readable header
  double analysis_interval_s = 5;  // --analysis-interval: the most often a file is re-analysed
  uint64_t per_requests = 1000;    // --per N (as clw-leak-analyze)
  size_t series_points = 64;       // --series-points: the grid kept per file (memory bound)
  size_t max_files = 10000;        // --max-files: files followed at once
  bool help = false;
  bool version = false;
};

// False with *error set on a bad flag or value, or when --serve or --watch is missing.
bool ParseExporterOptions(int argc, char** argv, ExporterOptions* options, std::string* error);
std::string ExporterUsage();

}  // namespace clwleak::exporter
