// Claiming and giving back counter shards; see counter_shards.h.
#include "counter_shards.h"

#include <pthread.h>

namespace clwleak {

__thread uint32_t t_counter_shard __attribute__((tls_model("initial-exec"))) = 0;

namespace {

constexpr uint32_t kOwnableShards = ((1u << kCounterShards) - 1) & ~1u;  // bit i = shard i; not 0

std::atomic<uint32_t> g_owned_shards{0};
std::atomic<uint32_t> g_shards_in_use{1};  // shard 0 is always summed
pthread_key_t g_exit_key;
bool g_exit_key_ready = false;
pthread_once_t g_exit_key_once = PTHREAD_ONCE_INIT;

// Runs when an owning thread exits: whatever it allocates or frees after this (later destructors,
// its TLS teardown) goes to the shared shard.
void ReleaseShard(void*) {
  const uint32_t state = t_counter_shard;
  t_counter_shard = kShardShared;
  if ((state & kShardOwned) != 0) {
    g_owned_shards.fetch_and(~(1u << (state & 0xff)), std::memory_order_release);
  }
}

// A key whose pthread_setspecific might allocate is never used: threads then share shard 0.
void CreateExitKey() { g_exit_key_ready = CreateAllocationFreeKey(&g_exit_key, &ReleaseShard); }

}  // namespace

void PrepareCounterShards() { pthread_once(&g_exit_key_once, &CreateExitKey); }

uint32_t ClaimCounterShard() {
  // Shared while claiming: a signal handler that records meanwhile must not claim a second shard.
  t_counter_shard = kShardShared;
  PrepareCounterShards();
  if (!g_exit_key_ready) return kShardShared;  // a shard could never be given back
  uint32_t owned = g_owned_shards.load(std::memory_order_acquire);
  uint32_t shard;
  do {
    const uint32_t free = kOwnableShards & ~owned;
    if (free == 0) return kShardShared;
    shard = static_cast<uint32_t>(__builtin_ctz(free));
  } while (!g_owned_shards.compare_exchange_weak(owned, owned | (1u << shard),
                                                 std::memory_order_acq_rel));
  // Our key is one that never allocates here (CreateAllocationFreeKey).
  if (pthread_setspecific(g_exit_key, reinterpret_cast<void*>(1)) != 0) {
    g_owned_shards.fetch_and(~(1u << shard), std::memory_order_release);
    return kShardShared;
  }
  // Before the first add to the shard, so a reader that sees the add sees the shard in use.
  g_shards_in_use.fetch_or(1u << shard, std::memory_order_release);
  t_counter_shard = kShardOwned | shard;
  return t_counter_shard;
}

uint32_t CounterShardsInUse() { return g_shards_in_use.load(std::memory_order_acquire); }

void ResetCounterShardsInChild() {
  const uint32_t state = t_counter_shard;
  const uint32_t mine = (state & kShardOwned) != 0 ? 1u << (state & 0xff) : 0;
  g_owned_shards.store(mine, std::memory_order_release);
}

}  // namespace clwleak
