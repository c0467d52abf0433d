// Micro benchmark: free() of an unsampled pointer while 10^4 or 10^6 sampled allocations are live.
//
// With glibc (inline mode) the preload tells a sampled block by the word in front of it, so this
// cost must not grow with the live set. With another allocator (table mode) it answers from its
// FreeFilter (one 8-bit counter per hash bucket) and, when the bucket is non-zero, looks the address
// up in the allocation table: there the cost grows as the sampled set fills the filter.
//
// How the two populations are made, given that the sample rate cannot change at run time: run in
// exact mode (CLWLEAK_SAMPLE_RATE=1), so every block the benchmark allocates with malloc() is
// sampled; that builds the live sampled set. The timed blocks are allocated with glibc's own
// __libc_malloc, which the preload does not interpose, so they are certainly unsampled; they are
// freed with the interposed free(). The bare run does exactly the same calls, so the __libc_malloc
// cost cancels in the difference and what remains is the preload's cost per unsampled free.
//
// The timed blocks form a ring of 4096 live blocks of mixed sizes, each freed and refilled in turn,
// so the frees touch thousands of different filter buckets as in a real program.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <vector>

extern "C" void* __libc_malloc(size_t size);  // glibc's malloc, not the interposed one

namespace {

// The live sampled set, kept across benchmark runs of the same size (building 10^6 sampled blocks
// in exact mode takes seconds: do it once per size, not once per timing run).
class LiveSet {
 public:
  void Resize(size_t count) {
    if (blocks_.size() == count) return;
    for (void* block : blocks_) free(block);
    blocks_.clear();
    blocks_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      void* block = malloc(32);
      benchmark::DoNotOptimize(block);
      blocks_.push_back(block);
    }
  }

 private:
  std::vector<void*> blocks_;
};

LiveSet g_live;

void BM_UnsampledFreeWithLive(benchmark::State& state) {
  const size_t live = static_cast<size_t>(state.range(0));
  g_live.Resize(live);

  constexpr size_t kRing = 4096;
  std::vector<void*> ring(kRing);
  std::vector<size_t> sizes(kRing);
  uint32_t random = 777;
  for (size_t i = 0; i < kRing; ++i) {
    random = random * 1664525u + 1013904223u;
    sizes[i] = 16 + (random >> 8) % 240;  // 16..255 bytes
    ring[i] = __libc_malloc(sizes[i]);
  }
  size_t slot = 0;
  for (auto _ : state) {
    free(ring[slot]);
    ring[slot] = __libc_malloc(sizes[slot]);
    benchmark::DoNotOptimize(ring[slot]);
    slot = (slot + 1) & (kRing - 1);
  }
  for (void* block : ring) free(block);
  // Table mode only: the share of FreeFilter buckets (2^16 of them) that a live set of this size
  // makes non-zero, i.e. the share of frees that reach the table.
  state.counters["filter_hit_table_mode"] = 1.0 - std::exp(-static_cast<double>(live) / 65536.0);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_UnsampledFreeWithLive)->Arg(0)->Arg(10000)->Arg(1000000)->UseRealTime();

BENCHMARK_MAIN();
