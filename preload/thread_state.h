// ThreadState: the per-thread data of the preload, in initial-exec TLS so that reaching it from
// malloc is one %fs-relative access (no __tls_get_addr, no allocation). libclwleak.so is loaded at
// start-up (LD_PRELOAD), so its TLS is in the static block of every thread.
//
// `bytes_until_sample` is the only field the unsampled malloc path touches.
#pragma once

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
