// Macro workload: dlopen/dlclose throughput, alone or beside threads that allocate. One thread
// loads and unloads two small libraries a fixed number of times (a plugin host, a script engine
// loading extensions); --threads N other threads churn malloc/free meanwhile and stop when it is
// done, so the whole run's wall time is the loop's time and the printed rate its throughput.
//
//   bench_dlopen [--cycles N] [--threads ALLOCATING_THREADS] [--seed S]
//
// The libraries are libexpat.so.1 and libffi.so.8 (neither the program nor libclwleak.so depends
// on them, so both runs really map and unmap them each cycle); BENCH_DLOPEN_LIBRARIES
// ("a.so:b.so") names others. Prints "cycles=N libraries=L" on stdout, and on stderr
// "seconds=S cycles_per_second=R allocations=A" (the allocating threads' operations).
#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "workload_options.h"

namespace {

std::atomic<bool> g_done{false};

void Allocate(uint64_t seed, std::atomic<uint64_t>* total) {
  bench::Random random(seed);
  constexpr size_t kWindow = 4096;
  std::vector<void*> blocks(kWindow, nullptr);
  uint64_t operations = 0;
  while (!g_done.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 1024; ++i, ++operations) {
      void*& slot = blocks[operations % kWindow];
      free(slot);
      slot = malloc(random.LogUniform(16, 4096));
      static_cast<char*>(slot)[0] = 1;
    }
  }
  for (void* block : blocks) free(block);
  total->fetch_add(operations);
}

std::vector<std::string> Libraries() {
  const char* names = getenv("BENCH_DLOPEN_LIBRARIES");
  std::string list = names != nullptr && *names != '\0' ? names : "libexpat.so.1:libffi.so.8";
  std::vector<std::string> libraries;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = list.find(':', start);
    const std::string name = list.substr(start, end == std::string::npos ? end : end - start);
    if (!name.empty()) libraries.push_back(name);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return libraries;
}

}  // namespace

int main(int argc, char** argv) {
  bench::WorkloadOptions options(
      argc, argv, "bench_dlopen [--cycles N] [--threads ALLOCATING_THREADS] [--seed S]");
  const uint64_t cycles = options.Get("cycles", 2000);
  const uint64_t threads = options.Get("threads", 0);
  const uint64_t seed = options.Get("seed", 1);
  const std::vector<std::string> libraries = Libraries();
  for (const std::string& library : libraries) {  // present at all? (skipped: exit 77)
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      fprintf(stderr, "bench_dlopen: cannot load %s: %s\n", library.c_str(), dlerror());
      return 77;
    }
    dlclose(handle);
  }

  std::atomic<uint64_t> allocations{0};
  std::vector<std::thread> allocating;
  for (uint64_t i = 0; i < threads; ++i) allocating.emplace_back(Allocate, seed + i, &allocations);
  const auto start = std::chrono::steady_clock::now();
  std::vector<void*> handles(libraries.size());
  for (uint64_t cycle = 0; cycle < cycles; ++cycle) {
    for (size_t i = 0; i < libraries.size(); ++i) {
      handles[i] = dlopen(libraries[i].c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handles[i] == nullptr) {
        fprintf(stderr, "bench_dlopen: %s\n", dlerror());
        return 1;
      }
    }
    for (size_t i = libraries.size(); i-- > 0;) dlclose(handles[i]);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  g_done.store(true);
  for (std::thread& thread : allocating) thread.join();
  // stdout is the same in every run (bench/run checks it); the timing goes to stderr.
  printf("cycles=%llu libraries=%zu\n", static_cast<unsigned long long>(cycles), libraries.size());
  fprintf(stderr, "seconds=%.3f cycles_per_second=%.0f allocations=%llu\n", seconds,
          static_cast<double>(cycles) / seconds,
          static_cast<unsigned long long>(allocations.load()));
  return 0;
}
