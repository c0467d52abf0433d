// memory_held_scenarios SCENARIO ENDING: small workers whose memory is held by a known function
// in a known amount, for the memory-held and OOM-cause tests (tests/analyzer/memory_held_test.py).
// Each serves requests (counted with clwleak_request_done()) beside a little churn and a small
// cache, and prints its truth on one line once the memory it describes is held:
//
//   scenario=<name> holder_function=<f> holder_bytes=<b> at=<end|peak> cause=<c> requests=<n>
//       [holder_bytes_per_request=<r>]
//
// `holder_function` holds `holder_bytes` at the snapshot `at` names (the last one, or the one with
// the most memory in use); for `leak` the bytes grow with the requests: holder_bytes_per_request
// times the requests at that snapshot. `cause` is the cause the report must give.
//
// ENDING: `exit` ends normally a little after the truth; `hold` goes on serving requests that hold
// nothing more until it is killed (the test SIGKILLs it, as the OOM killer would).
//
// Scenarios (the memory limit the test sets is argv[3], in MiB):
//   pile-up   a 32 MiB payload loaded whole every 2,000 requests and kept, six of them
//   one-huge  one 200 MiB payload at one request, held for 1.5 s, then released (exit) or held
//   burst     each request holds a 256 KiB task buffer while in flight (0.25 s): 200 requests/s,
//             a 2 s burst at 1,600 requests/s (400 in flight, 100 MiB), then 200 requests/s again
//   flat      a working set of 64 KiB blocks up to 95% of the limit (VmRSS), each request
//             replacing one block: flat near the limit
//   leak      2,000 B kept per request, at 10,000 requests/s
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "clwleak/clwleak.h"

namespace {

void* volatile g_sink;
long g_requests = 0;
bool g_hold = false;

double Now() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

double RssBytes() {
  FILE* status = fopen("/proc/self/status", "r");
  if (status == nullptr) return 0;
  char line[256];
  double kib = 0;
  while (fgets(line, sizeof line, status) != nullptr) {
    if (strncmp(line, "VmRSS:", 6) == 0) kib = atof(line + 6);
  }
  fclose(status);
  return kib * 1024;
}

__attribute__((noinline)) void churn(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 3, bytes);
  g_sink = block;
  free(block);
}

std::deque<void*> g_cache;
__attribute__((noinline)) void cache_insert(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 2, bytes);
  g_cache.push_back(block);
  if (g_cache.size() > 100) {
    free(g_cache.front());
    g_cache.pop_front();
  }
}

std::vector<void*> g_payloads;
__attribute__((noinline)) void* load_full_payload(size_t bytes) {
  void* payload = malloc(bytes);
  memset(payload, 1, bytes);
  return payload;
}

std::deque<void*> g_in_flight;
__attribute__((noinline)) void handle_task(size_t bytes) {
  void* buffer = malloc(bytes);
  memset(buffer, 4, bytes);
  g_in_flight.push_back(buffer);
}

std::vector<void*> g_working_set;
__attribute__((noinline)) void* working_set_block(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 5, bytes);
  return block;
}

std::vector<void*> g_kept;
__attribute__((noinline)) void leak_per_request(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 6, bytes);
  g_kept.push_back(block);
}

// One request: churn, a cache insert (a cache of 100 entries, full after the first 100 requests),
// and `work`.
template <typename Work>
void Serve(Work work) {
  churn(200);
  cache_insert(256);
  work();
  ++g_requests;
  clwleak_request_done();
}

// One stretch of a run: requests at `per_second` for `seconds`, then `after` (e.g. print the
// truth).
// With `done`, the phase lasts at least `seconds` and until done() (on a loaded machine the
// requests a phase is timed for may come late).
struct Phase {
  double seconds;
  double per_second;
  std::function<void()> after;
  std::function<bool()> done = nullptr;
};

// Serves the phases in order, each request doing `work`. Every request of a scenario goes through
// the one call below, so that what `work` holds is one stack however many phases there are.
template <typename Work>
void Run(const std::vector<Phase>& phases, Work work) {
  for (const Phase& phase : phases) {
    const double start = Now();
    long served = 0;
    while (true) {
      const double elapsed = Now() - start;
      if (elapsed >= phase.seconds && (!phase.done || phase.done())) break;
      if (served < elapsed * phase.per_second) {
        Serve(work);
        ++served;
      } else {
        usleep(200);
      }
    }
    if (phase.after) phase.after();
  }
}

// Prints the truth once a snapshot in the file shows it (so that a kill right after cannot lose
// it).
void PrintTruth(const char* scenario, const char* holder, double bytes, const char* at,
                const char* cause, const char* extra = "") {
  clwleak_snapshot_now();
  printf("scenario=%s holder_function=%s holder_bytes=%.0f at=%s cause=%s requests=%ld%s\n",
         scenario, holder, bytes, at, cause, g_requests, extra);
  fflush(stdout);
}

// After the truth: in `exit` mode a little more, then the end; in `hold` mode until killed (a
// minute at most).
Phase Finish(double per_second) { return Phase{g_hold ? 60.0 : 1.5, per_second, nullptr}; }

int PileUp() {
  const size_t payload = 32u << 20;
  int loaded = 0;
  // A payload every 2,000 requests after the first 7,500, six of them.
  auto work = [&] {
    if (g_requests >= 7500 && (g_requests - 7500) % 2000 == 0 && loaded < 6) {
      g_payloads.push_back(load_full_payload(payload));
      ++loaded;
    }
  };
  Run({{4.0, 5000,
        [&] { PrintTruth("pile-up", "load_full_payload", 6.0 * payload, "end", "large_payloads"); },
        [&] { return loaded == 6; }},
       Finish(5000)},
      work);
  return 0;
}

int OneHuge() {
  const size_t payload = 200u << 20;
  void* huge = nullptr;
  bool loaded = false;
  auto work = [&] {
    if (!loaded && g_requests == 5000) {
      huge = load_full_payload(payload);
      loaded = true;
    }
  };
  auto truth = [&] {
    PrintTruth("one-huge", "load_full_payload", payload, g_hold ? "end" : "peak", "large_payloads");
  };
  if (g_hold) {
    Run({{1.25, 5000, truth, [&] { return loaded; }}, Finish(5000)}, work);
    return 0;
  }
  Run({{1.25, 5000, truth, [&] { return loaded; }}, {1.5, 5000, [&] { free(huge); }}, Finish(5000)},
      work);
  return 0;
}

int Burst() {
  // Freed task buffers go back to the system at once (mmap), so memory in use falls with the load.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  const size_t buffer = 256 * 1024;
  const double latency = 0.25;
  double rate = 200;
  double peak_bytes = 0;
  auto work = [&] {
    handle_task(buffer);
    while (g_in_flight.size() > rate * latency) {
      free(g_in_flight.front());
      g_in_flight.pop_front();
    }
  };
  Run({{2.0, 200, [&] { rate = 1600; }},
       {2.0, 1600,
        [&] {
          peak_bytes = static_cast<double>(g_in_flight.size()) * buffer;
          rate = 200;
        },
        [&] { return g_in_flight.size() >= 400; }},
       {2.0, 200, [&] { PrintTruth("burst", "handle_task", peak_bytes, "peak", "load_spikes"); }},
       Finish(200)},
      work);
  return 0;
}

int Flat(double limit_bytes) {
  const size_t block = 64 * 1024;
  bool growing = true;
  unsigned seed = 1;
  // The working set grows to 95% of the limit (VmRSS) at full speed, then each request replaces
  // one block: one call of working_set_block, so one stack holds it all.
  auto work = [&] {
    void* fresh = working_set_block(block);
    if (growing) {
      g_working_set.push_back(fresh);
      if (g_working_set.size() % 16 == 0 && RssBytes() >= 0.95 * limit_bytes) growing = false;
      return;
    }
    const size_t i = static_cast<size_t>(rand_r(&seed)) % g_working_set.size();
    free(g_working_set[i]);
    g_working_set[i] = fresh;
  };
  Run({{0.5, 1e6, nullptr, [&] { return !growing; }},
       {4.0, 2000,
        [&] {
          PrintTruth("flat", "working_set_block", static_cast<double>(g_working_set.size()) * block,
                     "end", "limit_too_small");
        }},
       Finish(2000)},
      work);
  return 0;
}

int Leak() {
  const size_t bytes = 2000;
  Run({{4.0, 10000,
        [&] {
          PrintTruth("leak", "leak_per_request", static_cast<double>(g_requests) * bytes, "end",
                     "leak", " holder_bytes_per_request=2000");
        }},
       Finish(10000)},
      [&] { leak_per_request(bytes); });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: memory_held_scenarios SCENARIO exit|hold LIMIT_MIB\n");
    return 2;
  }
  const std::string scenario = argv[1];
  g_hold = std::string(argv[2]) == "hold";
  const double limit = atof(argv[3]) * 1024 * 1024;
  if (scenario == "pile-up") return PileUp();
  if (scenario == "one-huge") return OneHuge();
  if (scenario == "burst") return Burst();
  if (scenario == "flat") return Flat(limit);
  if (scenario == "leak") return Leak();
  fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
  return 2;
}
