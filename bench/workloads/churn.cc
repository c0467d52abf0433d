// Macro workload: malloc-heavy churn. Each thread keeps a sliding window of live blocks (FIFO: the
// oldest block is freed and a new one allocated in its place), sizes log-uniform in 16 B..4 KiB,
// writing the first and last bytes of each block as a program would. A fixed number of operations
// per thread, so that 2 threads do twice the work of 1: bench/run compares the added CPU time per
// operation between the two.
//
//   bench_churn [--threads N] [--ops PER_THREAD] [--window LIVE_BLOCKS] [--seed S]
//
// The allocator is called directly (no containers), so this is the worst case for the preload:
// nothing but allocation calls for its per-call cost to hide behind.
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "workload_options.h"

namespace {

struct ThreadResult {
  uint64_t checksum = 0;
  uint64_t bytes = 0;
};

void Churn(uint64_t ops, uint64_t window, uint64_t seed, ThreadResult* result) {
  bench::Random random(seed);
  std::vector<unsigned char*> blocks(window, nullptr);
  std::vector<uint32_t> sizes(window, 0);
  uint64_t checksum = 0;
  uint64_t bytes = 0;
  for (uint64_t op = 0; op < ops; ++op) {
    const uint64_t slot = op % window;
    if (blocks[slot] != nullptr) {
      checksum += blocks[slot][0] + blocks[slot][sizes[slot] - 1];
      free(blocks[slot]);
    }
    const uint32_t size = static_cast<uint32_t>(random.LogUniform(16, 4096));
    unsigned char* block = static_cast<unsigned char*>(malloc(size));
    if (block == nullptr) {
      fprintf(stderr, "bench_churn: malloc(%u) failed\n", size);
      exit(1);
    }
    block[0] = static_cast<unsigned char>(op);
    block[size - 1] = static_cast<unsigned char>(op >> 8);
    blocks[slot] = block;
    sizes[slot] = size;
    bytes += size;
  }
  for (unsigned char* block : blocks) free(block);
  result->checksum = checksum;
  result->bytes = bytes;
}

}  // namespace

int main(int argc, char** argv) {
  bench::WorkloadOptions options(argc, argv,
                                 "[--threads N] [--ops PER_THREAD] [--window LIVE] [--seed S]");
  const uint64_t threads = options.Get("threads", 1);
  const uint64_t ops = options.Get("ops", 10000000);
  const uint64_t window = options.Get("window", 4096);
  const uint64_t seed = options.Get("seed", 1);
  if (threads == 0 || window == 0) {
    fprintf(stderr, "bench_churn: --threads and --window must be at least 1\n");
    return 2;
  }
  std::vector<ThreadResult> results(threads);
  std::vector<std::thread> workers;
  for (uint64_t i = 0; i < threads; ++i) {
    workers.emplace_back(Churn, ops, window, seed + i * 7919, &results[i]);
  }
  for (std::thread& worker : workers) worker.join();
  uint64_t checksum = 0;
  uint64_t bytes = 0;
  for (const ThreadResult& result : results) {
    checksum += result.checksum;
    bytes += result.bytes;
  }
  printf("churn threads=%lu ops=%lu allocated_bytes=%lu checksum=%lu\n",
         static_cast<unsigned long>(threads), static_cast<unsigned long>(threads * ops),
         static_cast<unsigned long>(bytes), static_cast<unsigned long>(checksum));
  return 0;
}
