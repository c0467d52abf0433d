// ThreadState: the per-thread data of the preload, in initial-exec TLS so that reaching it from
// malloc is one %fs-relative access (no __tls_get_addr, no allocation). libclwleak.so is loaded at
// start-up (LD_PRELOAD), so its TLS is in the static block of every thread.
//
// `bytes_until_sample` is the only field the unsampled malloc path touches.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sampler.h"

namespace clwleak {

struct ThreadState {
  // Bytes left before the next sample; <= 0 sends the next allocation to the slow path.
  int64_t bytes_until_sample = 0;
  // Non-zero while this thread runs preload code that may allocate (unwinding, the writer,
  // start-up): allocations made meanwhile are passed through unsampled.
  uint32_t busy = 0;
  bool sampler_ready = false;
  IntervalDrawer intervals;
  uintptr_t stack_low = 0;   // the thread's own stack (thread_stack.h), 0 until found
  uintptr_t stack_high = 0;
  uint32_t stack_lookup_failures = 0;
};

extern __thread ThreadState t_thread __attribute__((tls_model("initial-exec")));

// Subtracts an allocation of `size` bytes from this thread's sample counter; true when the counter
// is still above zero, i.e. the allocation is not sampled. The test of every allocating hot path.
// On x86-64 it is one read-modify-write of the counter and a branch on its flags (GCC otherwise
// loads, subtracts, stores and tests), which a signal handler cannot split either.
inline bool CountdownNotReached(size_t size) {
#if defined(__x86_64__)
  bool reached;
  asm("subq %2, %0" : "+m"(t_thread.bytes_until_sample), "=@ccle"(reached) : "r"(size));
  return !reached;
#else
  return (t_thread.bytes_until_sample -= static_cast<int64_t>(size)) > 0;
#endif
}

inline ThreadState& CurrentThread() { return t_thread; }

// Holds the re-entrancy guard for a scope.
class BusyScope {
 public:
  BusyScope() { ++t_thread.busy; }
  ~BusyScope() { --t_thread.busy; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;
};

}  // namespace clwleak
