// UnwindForkGate: fork() never copies the process while a thread is inside libunwind.
//
// libunwind takes locks of its own while it walks a stack: its register-state cache lock (Debian's
// build has no per-thread cache: UNW_CACHE_PER_THREAD falls back to the global cache) and its
// memory pools' locks. A fork while another thread holds one leaves that lock held forever in the
// child, whose first sampled allocation then hangs. So the atfork prepare handler closes the gate
// and waits until every thread inside the unwinder has left (an unwind takes microseconds); threads
// that reach the gate meanwhile wait until the fork is done (the forking thread itself passes). The wait is bounded (kForkWaitNs): a
// fork from a signal handler that interrupted its own thread's unwind must not wait on itself.
//
// Cost: two atomic adds per unwind on a counter of the thread's counter shard (counter_shards.h),
// on the sampled path only; nothing on the unsampled path.
#pragma once

#include <atomic>
#include <cstdint>

#include "base.h"
#include "counter_shards.h"

namespace clwleak {

class UnwindForkGate {
 public:
  // Counts the caller as inside; while a fork is being prepared by another thread, waits first.
  static void Enter() {
    std::atomic<uint64_t>& inside = Inside();
    inside.fetch_add(1, std::memory_order_seq_cst);
    if (CLWLEAK_UNLIKELY(closed_.load(std::memory_order_seq_cst))) WaitForFork(inside);
  }
  static void Leave() { Inside().fetch_sub(1, std::memory_order_release); }

  // atfork prepare: closes the gate and waits (bounded) until no thread is inside.
  static void CloseForFork();
  // atfork parent: opens the gate again.
  static void OpenAfterFork();
  // atfork child: only the forking thread exists, and it was not inside.
  static void ResetInChild();

 private:
  struct alignas(64) PaddedCount {
    std::atomic<uint64_t> value{0};
  };
  static std::atomic<uint64_t>& Inside() { return inside_[CurrentCounterShard().index].value; }
  // Steps out while the gate is closed, then in again. The forking thread itself passes: an atfork
  // prepare handler that runs after ours may allocate and be sampled.
  CLWLEAK_NOINLINE static void WaitForFork(std::atomic<uint64_t>& inside);

  static std::atomic<bool> closed_;
  static PaddedCount inside_[kCounterShards];
};

// Holds the gate for a scope.
class InsideUnwinder {
 public:
  InsideUnwinder() { UnwindForkGate::Enter(); }
  ~InsideUnwinder() { UnwindForkGate::Leave(); }
  InsideUnwinder(const InsideUnwinder&) = delete;
  InsideUnwinder& operator=(const InsideUnwinder&) = delete;
};

}  // namespace clwleak
