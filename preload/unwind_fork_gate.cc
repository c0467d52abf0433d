// UnwindForkGate; see unwind_fork_gate.h.
#include "unwind_fork_gate.h"

#include <sched.h>

namespace clwleak {
namespace {

// Far above any unwind (microseconds), far below a noticeable stall of the forking thread.
constexpr uint64_t kForkWaitNs = 1000ull * 1000 * 1000;

// Set on the thread that runs the atfork prepare handler, until the fork returns.
__thread bool t_forking __attribute__((tls_model("initial-exec"))) = false;

}  // namespace

std::atomic<bool> UnwindForkGate::closed_{false};
UnwindForkGate::PaddedCount UnwindForkGate::inside_[kCounterShards];

void UnwindForkGate::WaitForFork(std::atomic<uint64_t>& inside) {
  if (t_forking) return;
  while (closed_.load(std::memory_order_seq_cst)) {
    inside.fetch_sub(1, std::memory_order_release);  // let the fork go first
    while (closed_.load(std::memory_order_acquire)) sched_yield();
    inside.fetch_add(1, std::memory_order_seq_cst);
  }
}

void UnwindForkGate::CloseForFork() {
  t_forking = true;
  closed_.store(true, std::memory_order_seq_cst);
  const uint64_t deadline = MonotonicNanos() + kForkWaitNs;
  for (;;) {
    uint64_t inside = 0;
    for (const PaddedCount& count : inside_) inside += count.value.load(std::memory_order_seq_cst);
    if (inside == 0 || MonotonicNanos() > deadline) return;
    sched_yield();
  }
}

void UnwindForkGate::OpenAfterFork() {
  t_forking = false;
  closed_.store(false, std::memory_order_release);
}

void UnwindForkGate::ResetInChild() {
  t_forking = false;
  for (PaddedCount& count : inside_) count.value.store(0, std::memory_order_relaxed);
  closed_.store(false, std::memory_order_release);
}

}  // namespace clwleak
