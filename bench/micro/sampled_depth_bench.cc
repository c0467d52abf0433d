// Micro benchmark: one sampled malloc+free pair by call-stack depth (8, 32, 64 frames).
//
// Run under LD_PRELOAD=libclwleak.so with CLWLEAK_SAMPLE_RATE=1 (exact mode) every allocation is
// sampled, so each timed pair pays the whole slow path: unwinding (libunwind, or frame pointers with
// CLWLEAK_UNWIND=fp), interning the stack, writing the block's SampleHeader and, on free, counting
// it freed. bench/micro/compare.py subtracts the bare run. The timed loop allocates from one place,
// so with libunwind the stack is served from the verified stack cache after its second unwind
// (preload/stack_cache.h) when it fits there (up to 32 frames and 64 checked words); compare.py
// also runs it with CLWLEAK_STACK_CACHE=0, which unwinds every time.
//
// The depth is controlled exactly: the timed loop runs on a fresh thread (whose own stack is only
// the few frames of thread start-up), inside a recursion whose length makes the total depth seen
// from malloc's call site equal to the requested one. The depth is checked with backtrace(3), which
// walks the same CFI as libunwind, and reported as the "frames" counter.
#include <benchmark/benchmark.h>
#include <execinfo.h>
#include <pthread.h>

#include <cstdlib>

namespace {

struct Job {
  benchmark::State* state;
  int target_depth;
  int measured_depth;
};

// Frames on the stack from the caller of this function down to the thread's start (the caller
// included, this frame excluded).
__attribute__((noinline)) int CallerDepth() {
  void* frames[512];
  int depth = backtrace(frames, 512);
  return depth - 1;
}

__attribute__((noinline)) void TimedLoop(Job* job) {
  benchmark::State& state = *job->state;
  job->measured_depth = CallerDepth();  // what an unwinder sees from malloc's call site
  for (auto _ : state) {
    void* block = malloc(64);
    benchmark::DoNotOptimize(block);
    free(block);
  }
}

// Adds `remaining` frames, then runs the loop. The asm barrier after the call stops the compiler
// from turning the recursion into a loop or a tail call (either would remove frames).
__attribute__((noinline)) void Recurse(int remaining, Job* job) {
  if (remaining <= 0) {
    TimedLoop(job);
  } else {
    Recurse(remaining - 1, job);
  }
  asm volatile("" ::: "memory");
}

void* ThreadMain(void* argument) {
  Job* job = static_cast<Job*>(argument);
  // Frames of this function and everything below it (thread start-up).
  const int base = CallerDepth();
  // Recurse(n) adds n + 1 frames, TimedLoop one more; malloc's caller is TimedLoop.
  const int extra = job->target_depth - base - 2;
  Recurse(extra < 0 ? 0 : extra, job);
  return nullptr;
}

void BM_SampledPairByDepth(benchmark::State& state) {
  Job job{&state, static_cast<int>(state.range(0)), 0};
  pthread_t thread;
  if (pthread_create(&thread, nullptr, ThreadMain, &job) != 0) {
    state.SkipWithError("pthread_create failed");
    return;
  }
  pthread_join(thread, nullptr);
  state.counters["frames"] = job.measured_depth;
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_SampledPairByDepth)->Arg(8)->Arg(32)->Arg(64)->UseRealTime();

BENCHMARK_MAIN();
