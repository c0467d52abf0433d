// Macro workload: a large-block mix. A window of live blocks of 64 KiB..8 MiB (log-uniform), half
// from malloc (glibc serves these with mmap or from the heap top, depending on its dynamic
// threshold) and half from anonymous mmap directly; one in four malloc'd blocks is grown by realloc
// to 1.5x. Every page of each block is written, as a program filling a buffer would, so page
// faults dominate, as they do in real programs that handle large buffers.
//
//   bench_large_blocks [--ops N] [--window LIVE_BLOCKS] [--seed S]
//
// Under the default sample rate nearly every block is sampled (a 1 MiB block at a 256 KiB rate is
// sampled with probability 1 - e^-4 = 98%), so this measures the sampled path of big allocations
// and the mmap/munmap tracking.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "workload_options.h"

namespace {

struct Block {
  unsigned char* data = nullptr;
  size_t size = 0;
  bool mapped = false;  // from mmap (released with munmap) rather than malloc
};

void Release(Block* block) {
  if (block->data == nullptr) return;
  if (block->mapped) {
    munmap(block->data, block->size);
  } else {
    free(block->data);
  }
  block->data = nullptr;
}

uint64_t TouchPages(unsigned char* data, size_t from, size_t to, size_t page) {
  uint64_t sum = 0;
  for (size_t offset = from; offset < to; offset += page) {
    data[offset] = static_cast<unsigned char>(offset >> 12);
    sum += data[offset];
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  bench::WorkloadOptions options(argc, argv, "[--ops N] [--window LIVE] [--seed S]");
  const uint64_t ops = options.Get("ops", 4000);
  const uint64_t window = options.Get("window", 16);
  bench::Random random(options.Get("seed", 1));
  if (window == 0) {
    fprintf(stderr, "bench_large_blocks: --window must be at least 1\n");
    return 2;
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<Block> blocks(window);
  uint64_t checksum = 0;
  uint64_t bytes = 0;
  for (uint64_t op = 0; op < ops; ++op) {
    Block& block = blocks[op % window];
    Release(&block);
    block.size = random.LogUniform(64 * 1024, 8 * 1024 * 1024);
    block.mapped = (random.Next() & 1) != 0;
    if (block.mapped) {
      void* data = mmap(nullptr, block.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
      if (data == MAP_FAILED) {
        perror("bench_large_blocks: mmap");
        return 1;
      }
      block.data = static_cast<unsigned char*>(data);
    } else {
      block.data = static_cast<unsigned char*>(malloc(block.size));
      if (block.data == nullptr) {
        fprintf(stderr, "bench_large_blocks: malloc(%zu) failed\n", block.size);
        return 1;
      }
    }
    checksum += TouchPages(block.data, 0, block.size, page);
    bytes += block.size;
    if (!block.mapped && (random.Next() & 3) == 0) {
      const size_t grown = block.size + block.size / 2;
      void* data = realloc(block.data, grown);
      if (data == nullptr) {
        fprintf(stderr, "bench_large_blocks: realloc(%zu) failed\n", grown);
        return 1;
      }
      block.data = static_cast<unsigned char*>(data);
      checksum += TouchPages(block.data, block.size, grown, page);
      bytes += grown - block.size;
      block.size = grown;
    }
  }
  for (Block& block : blocks) Release(&block);
  printf("large_blocks ops=%lu allocated_bytes=%lu checksum=%lu\n",
         static_cast<unsigned long>(ops), static_cast<unsigned long>(bytes),
         static_cast<unsigned long>(checksum));
  return 0;
}
