// Test-only simulated runs with allocation ages: a process serving requests at a constant rate,
// with allocation sites of known behaviour (a leak, possibly starting late; an LRU cache; a batch
// flushed periodically; a string appended to; a block realloc'd bigger; churn; start-up growth),
// profiled the way libclwleak.so profiles it: Poisson byte sampling with a seed (SampledHeap),
// the early snapshot schedule (10, 30, 70, ... ms, then every interval, and a final snapshot at
// exit), birth buckets opened by the preload's rule, live bytes by birth per stack. Used by the
// verdict and calibration tests. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clwleak::testing {

enum class Behaviour {
  kLeak,          // `bytes` every `every` requests from `start` on, never freed
  kCache,         // one entry of `bytes` per request, the oldest evicted beyond `capacity`
  kFlush,         // `bytes` per request, all freed every `period_seconds`
  kString,        // one buffer, `bytes` appended per request, capacity doubled by realloc
  kCopiedString,  // the same, doubled by new-and-copy (a new block, the old one freed)
  kReallocBlock,  // one block, realloc'd `bytes` bigger every request
  kChurn,         // `bytes` per request, freed `lifetime` requests later
  kStartup,       // `bytes` per request until `stop` of the run, kept
};

struct SiteBehaviour {
  Behaviour kind = Behaviour::kLeak;
  uint64_t bytes = 64;
  uint64_t every = 1;                // kLeak: one allocation every this many requests
  double start = 0;                  // fraction of the requests when the site starts
  double stop = 1;                   // fraction when it stops (kStartup)
  uint64_t capacity = 0;             // kCache: entries kept
  double period_seconds = 0;         // kFlush
  uint64_t lifetime = 10;            // kChurn
  bool realloc_after_alloc = false;  // kLeak: each block realloc'd 16 bytes bigger right away
                                     // (aligned_alloc then realloc)
  std::string function = "site";     // the attributed frame's function
};

struct AgeScenario {
  uint64_t sample_rate_bytes = 1;  // 1 = exact
  uint64_t seed = 1;
  uint64_t requests = 20000;
  double seconds = 1.0;   // requests are spread evenly over the run
  double interval = 5.0;  // CLWLEAK_INTERVAL
  bool ages = true;       // false: a file written before the preload recorded ages
  bool count_requests = true;
  uint64_t memory_limit_bytes = 2ull << 30;
  uint64_t base_memory_bytes = 200ull << 20;  // in use besides the simulated heap
  std::vector<SiteBehaviour> sites;
};

struct ScenarioTruth {
  std::vector<uint32_t> stacks;  // per site, in order
  std::vector<double> rate;      // per site: bytes per request it leaks at the end (0: none)
  uint64_t requests = 0;
  double seconds = 0;
  uint64_t snapshots = 0;
};

ScenarioTruth WriteAgeScenario(const std::string& path, const AgeScenario& scenario);

}  // namespace clwleak::testing
