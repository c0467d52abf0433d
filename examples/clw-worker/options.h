// options.h — clw-worker's command line: what to run, how fast and for how long.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "client/client.h"

namespace clw_worker {

struct WorkerOptions {
  double rate = 1000;            // requests/s the dispatcher aims for; 0 = as fast as possible
  double duration_s = 0;         // stop dispatching after this long; 0 = no time bound
  std::uint64_t requests = 0;    // stop after this many requests; 0 = no count bound
  unsigned threads = 4;          // worker threads
  std::size_t leak_bytes = CLIENT_DEFAULT_LEAK_BYTES;  // libclient's loss per request; 0 = no leak
  std::size_t cache_entries = 5000;  // LRU result cache capacity; 0 = no cache
  std::size_t payload_bytes = 4096;  // size of each task's JSON-ish document
  double progress_s = 5;         // seconds between progress lines on stderr; 0 = none
};

// Parses argv. Returns the options, or nullopt with *exit_code set: 0 after --help, 2 after a usage
// error (the message is already printed on stderr).
std::optional<WorkerOptions> ParseOptions(int argc, char** argv, int* exit_code);

}  // namespace clw_worker
