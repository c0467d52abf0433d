// Counter shards: which copy of the per-stack counters (stack_table.h) the calling thread adds to.
//
// With one copy, every sampled allocation and free is a locked read-modify-write on a cache line
// that all threads share: in exact mode two threads allocating from the same stack spend most of
// their time moving that line between cores. So the counters exist kCounterShards times:
//  - shards 1 .. kCounterShards-1 are each owned by one live thread, claimed on its first sampled
//    event and given back when it exits (a pthread key destructor). Only the owner writes them,
//    with one plain `add` instruction: no lock, and a signal handler on the same thread cannot
//    split it. Other threads (the writer) only read them.
//  - shard 0 is shared, with atomic adds, by every thread that found no free shard, by a thread
//    that is exiting, and while a thread is claiming.
// Readers sum the shards. In a forked child only the forking thread exists: the other owners'
// shards are free again (their counts stay and are still summed).
#pragma once

#include <atomic>
#include <cstdint>

#include "base.h"

namespace clwleak {

constexpr uint32_t kCounterShards = 8;

struct CounterShard {
  uint32_t index;  // 0 .. kCounterShards-1
  bool owned;      // the calling thread is the only writer of this shard
};

// The calling thread's shard state: 0 before its first event, else kShardOwned | index, or
// kShardShared (shard 0).
constexpr uint32_t kShardOwned = 0x100;
constexpr uint32_t kShardShared = 0x200;
extern __thread uint32_t t_counter_shard __attribute__((tls_model("initial-exec")));

// Claims a free shard for the calling thread (or settles on the shared one). Slow path: once per
// thread.
uint32_t ClaimCounterShard();

// Creates the thread-exit key that gives shards back; called at start-up (CreateAllocationFreeKey).
void PrepareCounterShards();

inline CounterShard CurrentCounterShard() {
  uint32_t state = t_counter_shard;
  if (CLWLEAK_UNLIKELY(state == 0)) state = ClaimCounterShard();
  return {state & 0xff, (state & kShardOwned) != 0};
}

// Adds to one counter of the given shard.
inline void AddToCounter(std::atomic<uint64_t>& counter, uint64_t value, CounterShard shard) {
#if defined(__x86_64__)
  if (shard.owned) {
    // The only writer: one non-locked add, which readers see whole (an aligned 8-byte store).
    asm volatile("addq %1, %0" : "+m"(*reinterpret_cast<uint64_t*>(&counter)) : "r"(value));
    return;
  }
#endif
  counter.fetch_add(value, std::memory_order_relaxed);
}

// In a forked child: every shard but the calling thread's is free again.
void ResetCounterShardsInChild();

// Bit i set: shard i may hold counts (shard 0 always; another once a thread has claimed it; never
// cleared). Readers sum only these: on a host with few threads most shards were never touched,
// and reading them costs the writer a cache miss per stack and shard, and a page fault per 16.
uint32_t CounterShardsInUse();

}  // namespace clwleak
