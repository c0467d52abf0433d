// Test-only synthetic clw-worker: simulates a worker serving requests with four allocation sites
// of known behaviour and writes its profile through SyntheticProfile and SampledHeap:
//   leak   - client_send in libclient.so leaks 200 + 1000 + 5000 bytes on every request;
//   lru    - Cache::Put keeps the last N entries of 4 KiB: grows until 40% of the run, then flat;
//   churn  - Buffer::Grow: 4 buffers of 1-32 KiB per request, each freed 1-20 requests later;
//   early  - Config::Load leaks 10,000 bytes per request during the first 10% of the run only;
//   second - optional (second_leak_bytes > 0): Session::Remember in clw-worker leaks that many
//            bytes on every request, through operator new.
// Used by the analyzer's statistical tests and the CLI tests.
#pragma once

#include <cstdint>
#include <string>

namespace clwleak::testing {

struct WorkerScenario {
  uint64_t sample_rate_bytes = 1;  // 1 = exact
  uint64_t seed = 1;
  int snapshots = 100;
  int requests_per_snapshot = 200;
  double seconds_per_snapshot = 5;
  uint64_t memory_limit_bytes = 2ull << 30;
  std::string memory_limit_source = "cgroup memory.max";
  uint64_t base_memory_bytes = 1200ull << 20;  // in use besides the simulated heap
  bool count_requests = true;  // false: requests stay 0 (time axis)
  double leak_scale = 1.0;     // multiplies the leak site's sizes
  bool lru = true, churn = true, early = true;
  bool final = true;
  // The leak site's frame (the HTML report's tests use hostile names such as `operator<<`).
  std::string leak_function = "client_send";
  std::string leak_file = "client.c";
  uint64_t second_leak_bytes = 0;  // > 0: the `second` site leaks this much per request
  bool ages = false;  // record allocation ages (birth buckets) as the preload now does
};

struct WorkerTruth {
  double leak_bytes_per_request = 0;  // of the leak site
  uint32_t leak_stack = 0, lru_stack = 0, churn_stack = 0, early_stack = 0;
  uint32_t second_stack = 0;  // 0 without a second leak
  uint64_t in_use_last = 0;        // cgroup memory.current at the last snapshot
  uint64_t total_requests = 0;
  double duration_s = 0;
};

WorkerTruth WriteSyntheticWorker(const std::string& path, const WorkerScenario& scenario);

}  // namespace clwleak::testing
