// address_limit_host two_threads|stress: hosts for the address-space-limit torture test
// (torture_test.cc), which runs them under `ulimit -v` levels, bare and under the preload.
//
//   two_threads  two threads each allocate 20,000 blocks at 64 different stacks (recursion depth),
//                keep one in four and free the rest: ~40 MiB at the peak.
//   stress       eight threads allocate at 32 different stacks each and hand every other block
//                to the next thread, which frees it (cross-thread frees): ~90 MiB at the peak.
//
// Prints what it kept (counts and a checksum of the contents): the same on every run that can
// allocate. When an allocation fails it says so and exits 3, as a program under a limit would.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <cstdint>

namespace {

struct Worker {
  int index = 0;
  int blocks = 0;
  int stacks = 0;
  bool cross_thread = false;
  void** kept = nullptr;
  int kept_count = 0;
  uint64_t checksum = 0;
  bool failed = false;
};

constexpr int kMaxWorkers = 8;
Worker g_workers[kMaxWorkers];
int g_worker_count = 0;
// Blocks handed to the next worker, which frees them (stress only).
std::atomic<void*> g_handoff[kMaxWorkers][64];

// A different call stack for each depth: the profile gets `stacks` sites per worker.
__attribute__((noinline)) void* AllocateAtDepth(int depth, size_t size) {
  if (depth > 0) {
    void* block = AllocateAtDepth(depth - 1, size);
    asm volatile("" : : "r"(block) : "memory");  // not a tail call
    return block;
  }
  return malloc(size);
}

void HandOff(Worker& self, void* block, int i) {
  std::atomic<void*>& slot = g_handoff[(self.index + 1) % g_worker_count][i % 64];
  free(slot.exchange(block));
}

void* Run(void* argument) {
  Worker& self = *static_cast<Worker*>(argument);
  self.kept = static_cast<void**>(calloc(static_cast<size_t>(self.blocks), sizeof(void*)));
  if (self.kept == nullptr) return self.failed = true, nullptr;
  for (int i = 0; i < self.blocks; ++i) {
    const size_t size = 256 + static_cast<size_t>((i * 7919 + self.index * 104729) % 3840);
    unsigned char* block = static_cast<unsigned char*>(AllocateAtDepth(i % self.stacks, size));
    if (block == nullptr) return self.failed = true, nullptr;
    memset(block, (i + self.index) & 0xff, size);
    if (i % 4 == 0) {
      self.kept[self.kept_count++] = block;
      self.checksum = self.checksum * 31 + size + block[size - 1];
    } else if (self.cross_thread && i % 2 == 1) {
      HandOff(self, block, i);
    } else {
      free(block);
    }
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const bool stress = strcmp(argv[1], "stress") == 0;
  if (!stress && strcmp(argv[1], "two_threads") != 0) return 2;
  g_worker_count = stress ? 8 : 2;
  pthread_t threads[kMaxWorkers];
  for (int i = 0; i < g_worker_count; ++i) {
    g_workers[i].index = i;
    g_workers[i].blocks = stress ? 20000 : 40000;
    g_workers[i].stacks = stress ? 32 : 64;
    g_workers[i].cross_thread = stress;
    if (pthread_create(&threads[i], nullptr, Run, &g_workers[i]) != 0) {
      printf("cannot start thread %d\n", i);
      return 3;
    }
  }
  uint64_t kept = 0, checksum = 0;
  bool failed = false;
  for (int i = 0; i < g_worker_count; ++i) {
    pthread_join(threads[i], nullptr);
    failed = failed || g_workers[i].failed;
    kept += static_cast<uint64_t>(g_workers[i].kept_count);
    checksum = checksum * 1000003 + g_workers[i].checksum;
  }
  if (failed) {
    printf("allocation failed\n");
    return 3;
  }
  printf("threads=%d kept=%llu checksum=%llu\n", g_worker_count,
         static_cast<unsigned long long>(kept), static_cast<unsigned long long>(checksum));
  return 0;
}
