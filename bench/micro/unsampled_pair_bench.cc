// Micro benchmark: one malloc+free pair, the path every allocation of the host takes.
//
// bench/micro/compare.py runs this binary bare, then under LD_PRELOAD=libclwleak.so with a huge
// sample rate (CLWLEAK_SAMPLE_RATE=1G: the timed allocations are never sampled, so the difference is
// the unsampled hot path: one thread-local decrement in malloc, one load of the word in front of the
// block in free) and at
// the default rate (the same pair with the cost of the occasional sample amortized in). The
// difference of the medians is the cost the preload adds to one pair.
//
// The 2-thread variant runs the same loop on two threads at once: the added cost per pair must not
// grow with threads (no shared cache line is written on the unsampled path).
#include <benchmark/benchmark.h>

#include <cstdlib>

namespace {

void BM_MallocFreePair(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* block = malloc(size);
    benchmark::DoNotOptimize(block);
    free(block);
  }
  state.SetItemsProcessed(state.iterations());
}

// Pairs whose addresses change: a ring of live blocks, each slot freed and refilled in turn, with
// sizes from several size classes, so free() sees many different FreeFilter buckets.
void BM_MallocFreeRing(benchmark::State& state) {
  constexpr size_t kRing = 1024;
  void* ring[kRing];
  size_t sizes[kRing];
  uint32_t random = 12345;
  for (size_t i = 0; i < kRing; ++i) {
    random = random * 1664525u + 1013904223u;
    sizes[i] = 16 + (random >> 8) % 496;  // 16..511 bytes
    ring[i] = malloc(sizes[i]);
  }
  size_t slot = 0;
  for (auto _ : state) {
    free(ring[slot]);
    ring[slot] = malloc(sizes[slot]);
    benchmark::DoNotOptimize(ring[slot]);
    slot = (slot + 1) & (kRing - 1);
  }
  for (void* block : ring) free(block);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_MallocFreePair)->Arg(16)->Arg(256)->Arg(4096)->UseRealTime();
BENCHMARK(BM_MallocFreePair)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_MallocFreeRing)->Threads(1)->Threads(2)->UseRealTime();

BENCHMARK_MAIN();
