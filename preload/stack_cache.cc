// Verified per-thread stack cache; see stack_cache.h for what is checked and why it suffices.
#include "stack_cache.h"

#include <pthread.h>
#include <unwind.h>

#include <cstring>
#include <initializer_list>
#include <new>

#include "base.h"
#include "stack_cache_budget.h"

namespace clwleak {
namespace {

constexpr uint32_t kSets = 16;         // indexed by the anchor
constexpr uint32_t kWays = 8;          // stacks per anchor (a loop allocates from several)
constexpr uint32_t kRecentMisses = 8;  // per set: stacks that missed once, by hash
constexpr uint32_t kRejected = 8;      // per set: stacks found not cacheable, by hash
constexpr uint32_t kMaxWords = 64;     // words checked per stack
constexpr uint32_t kMaxFrames = 32;    // host frames of a cached stack (each is one of the words)
constexpr uint32_t kMaxWalk = kMaxFrames + 16;  // frames a fill looks at: ours and the host's
constexpr uint32_t kHitBatch = 256;  // hits counted per thread before the global count moves
constexpr uintptr_t kFramePointerCfaOffset = 16;  // push rbp; mov rsp, rbp: CFA = rbp + 16
constexpr int kDwarfRbp = 6;                      // x86-64 DWARF register number of rbp

struct Entry {
  uintptr_t anchor;  // 0 when empty
  uint32_t depth;
  uint32_t word_count;
  CachedStackIds ids;
  uint64_t frame_words;  // bit i: word i is a host frame's return address (they are in order)
  uintptr_t word_address[kMaxWords];
  uintptr_t word_value[kMaxWords];
};
static_assert(kMaxWords <= 64, "frame_words has a bit per word");

struct Set {
  Entry ways[kWays];
  uint64_t recent_misses[kRecentMisses];
  uint64_t rejected[kRejected];  // so that a stack that cannot be cached is not tried each time
  uint32_t next_miss;
  uint32_t next_rejected;
  uint32_t next_victim;
};

struct StackCache {
  Set sets[kSets];
  uint64_t uncounted_hits;
  StackCacheBudget budget;
};

__thread StackCache* t_cache __attribute__((tls_model("initial-exec"))) = nullptr;
__thread bool t_cache_closed __attribute__((tls_model("initial-exec"))) = false;

std::atomic<uint64_t> g_cached_stacks{0};
pthread_key_t g_exit_key;
pthread_once_t g_exit_key_once = PTHREAD_ONCE_INIT;
bool g_exit_key_ready = false;
bool g_always = false;  // CLWLEAK_STACK_CACHE=always

void ReleaseCache(void*) {
  StackCache* cache = t_cache;
  t_cache = nullptr;
  t_cache_closed = true;  // allocations later in this thread's exit must not map a new one
  if (cache == nullptr) return;
  g_cached_stacks.fetch_add(cache->uncounted_hits, std::memory_order_relaxed);
  RawUnmap(cache, sizeof(StackCache));
}

// A key whose pthread_setspecific might allocate is never used: threads then have no cache.
void CreateExitKey() { g_exit_key_ready = CreateAllocationFreeKey(&g_exit_key, &ReleaseCache); }

StackCache* ThreadCache() {
  if (CLWLEAK_LIKELY(t_cache != nullptr) || t_cache_closed) return t_cache;
  PrepareStackCache();
  if (!g_exit_key_ready) {
    t_cache_closed = true;  // it could never be unmapped
    return nullptr;
  }
  void* memory = RawMapAnonymous(sizeof(StackCache));
  if (memory == nullptr) {
    t_cache_closed = true;
    return nullptr;
  }
  t_cache = static_cast<StackCache*>(memory);  // zero-filled: every entry empty
  new (&t_cache->budget) StackCacheBudget();   // placement: no allocation
  if (pthread_setspecific(g_exit_key, t_cache) != 0) {
    RawUnmap(memory, sizeof(StackCache));
    t_cache = nullptr;
    t_cache_closed = true;
  }
  return t_cache;
}

bool AnchorOnThreadStack(const StackCacheQuery& query) {
  return query.anchor > query.stack_low && query.anchor < query.stack_high;
}

Set& SetFor(StackCache& cache, const StackCacheQuery& query) {
  return cache.sets[(query.anchor >> 4) % kSets];
}

bool WordsUnchanged(const Entry& entry) {
  for (uint32_t i = 0; i < entry.word_count; ++i) {
    if (*reinterpret_cast<const uintptr_t*>(entry.word_address[i]) != entry.word_value[i]) {
      return false;
    }
  }
  return true;
}

// Tells stacks apart for the miss and reject lists only (a collision costs a fill attempt or skips
// one, never a wrong stack), so a few frames suffice: it runs on every miss.
uint64_t MissKey(uintptr_t anchor, const uintptr_t* frames, uint32_t depth) {
  uint64_t hash = anchor * 0x9E3779B97F4A7C15ull ^ depth;
  for (uintptr_t frame : {frames[0], frames[depth / 2], frames[depth - 1]}) {
    hash = (hash ^ frame) * 0xFF51AFD7ED558CCDull;
    hash ^= hash >> 29;
  }
  return hash | 1;  // never 0, the empty mark
}

// Returns true the second time a stack misses in its set (among the last few misses there).
bool MissedBefore(Set& set, uint64_t key) {
  for (uint64_t recent : set.recent_misses) {
    if (recent == key) return true;
  }
  set.recent_misses[set.next_miss] = key;
  set.next_miss = (set.next_miss + 1) % kRecentMisses;
  return false;
}

// What libgcc reports for each frame, innermost first (frame 0 is the caller of
// _Unwind_Backtrace): its instruction pointer, rbp, and stack pointer at the call it made, which
// is the CFA of the frame below it. So frame k's own CFA is sp[k + 1].
struct Walk {
  uintptr_t ip[kMaxWalk];
  uintptr_t sp[kMaxWalk];
  uintptr_t rbp[kMaxWalk];
  uint32_t count;
  bool unusable;   // a signal frame on the stack
  bool truncated;  // more frames than kMaxWalk

  uintptr_t Cfa(uint32_t k) const { return sp[k + 1]; }  // k + 1 < count
  bool KeepsFramePointer(uint32_t k) const { return rbp[k] + kFramePointerCfaOffset == Cfa(k); }
};

_Unwind_Reason_Code RecordFrame(_Unwind_Context* context, void* argument) {
  Walk* walk = static_cast<Walk*>(argument);
  if (walk->count == kMaxWalk) {
    walk->truncated = true;
    return _URC_END_OF_STACK;
  }
  int before_instruction = 0;
  const uintptr_t ip = _Unwind_GetIPInfo(context, &before_instruction);
  if (before_instruction != 0) {  // a signal frame: its registers come from a ucontext
    walk->unusable = true;
    return _URC_END_OF_STACK;
  }
  if (ip == 0) return _URC_END_OF_STACK;
  walk->ip[walk->count] = ip;
  walk->sp[walk->count] = _Unwind_GetCFA(context);
  walk->rbp[walk->count] = _Unwind_GetGR(context, kDwarfRbp);
  ++walk->count;
  return _URC_NO_REASON;
}

// Finds the one word in [low, high) that holds `value`; false if there is none or more than one
// (or the range is too large to search).
bool FindOnlyCopy(uintptr_t low, uintptr_t high, uintptr_t value, uintptr_t* address) {
  constexpr uintptr_t kMaxFrameBytes = 4096;
  if (high <= low || high - low > kMaxFrameBytes || (low & (sizeof(uintptr_t) - 1)) != 0) {
    return false;
  }
  uintptr_t found = 0;
  for (uintptr_t word = low; word < high; word += sizeof(uintptr_t)) {
    if (*reinterpret_cast<const uintptr_t*>(word) != value) continue;
    if (found != 0) return false;
    found = word;
  }
  *address = found;
  return found != 0;
}

// Builds `entry` from a libgcc walk that must agree with libunwind's `frames`. Returns false when
// the stack does not meet the conditions under which the check on reuse is complete.
bool BuildEntry(const StackCacheQuery& query, const Walk& walk, const uintptr_t* frames,
                uint32_t depth, uint32_t max_depth, bool (*is_own_frame)(uintptr_t), Entry* entry) {
  // The first frames are OfferUnwoundStack (perhaps split in two by the compiler), then the
  // capturing frame: a frame-pointer frame whose CFA is the anchor.
  constexpr uint32_t kMaxOfferFrames = 2;
  if (walk.unusable) return false;
  uint32_t anchor_frame = 1;
  while (anchor_frame + 1 < walk.count && anchor_frame <= kMaxOfferFrames &&
         walk.Cfa(anchor_frame) != query.anchor) {
    ++anchor_frame;
  }
  if (anchor_frame + 1 >= walk.count || walk.Cfa(anchor_frame) != query.anchor ||
      !walk.KeepsFramePointer(anchor_frame)) {
    return false;
  }
  uint32_t first_host = anchor_frame + 1;
  while (first_host < walk.count && is_own_frame(walk.ip[first_host])) ++first_host;
  const uint32_t host_frames = walk.count - first_host;
  // The same frames as libunwind, and the same end: either both stopped at the depth limit, or
  // both found the outermost frame (whose unwind rule ends the stack, a property of its address).
  if (host_frames < depth) return false;  // depth is 1..kMaxFrames (OfferUnwoundStack checks)
  if (depth < max_depth && (walk.truncated || host_frames != depth)) return false;
  if (memcmp(walk.ip + first_host, frames, depth * sizeof(uintptr_t)) != 0) return false;

  const uint32_t last = first_host + depth - 1;  // the outermost frame kept
  uint32_t words = 0;
  entry->frame_words = 0;
  for (uint32_t k = anchor_frame; k < last; ++k) {
    const uintptr_t cfa = walk.Cfa(k);
    if (cfa <= query.stack_low || cfa >= query.stack_high) return false;
    // The frame above reads its instruction pointer from this frame's return-address slot.
    const uintptr_t slot = cfa - sizeof(uintptr_t);
    if (*reinterpret_cast<const uintptr_t*>(slot) != walk.ip[k + 1]) return false;
    if (words + 2 > kMaxWords) return false;
    if (k + 1 >= first_host) entry->frame_words |= uint64_t{1} << words;
    entry->word_address[words] = slot;
    entry->word_value[words++] = walk.ip[k + 1];
    if (k + 1 == last) break;  // the outermost frame's own CFA is never used
    const uintptr_t next_cfa = walk.Cfa(k + 1);
    if (next_cfa <= cfa) return false;
    if (walk.KeepsFramePointer(k + 1)) {
      // Its CFA comes from its rbp. Frames below that leave rbp as they found it (code without
      // frame pointers that does not use the register) pass it down; the first one that changed
      // it saved it in its own frame: at CFA - 16 if it keeps a frame pointer, else wherever it
      // pushed it, which is known when the value occurs only once in that frame.
      const uintptr_t rbp = walk.rbp[k + 1];
      uint32_t saver = k;
      while (saver > anchor_frame && walk.rbp[saver] == rbp) --saver;
      if (walk.rbp[saver] == rbp) return false;
      uintptr_t saved_rbp;
      if (walk.KeepsFramePointer(saver)) {
        saved_rbp = walk.Cfa(saver) - kFramePointerCfaOffset;
        if (*reinterpret_cast<const uintptr_t*>(saved_rbp) != rbp) return false;
      } else if (!FindOnlyCopy(walk.Cfa(saver - 1), walk.Cfa(saver) - sizeof(uintptr_t), rbp,
                               &saved_rbp)) {
        return false;
      }
      entry->word_address[words] = saved_rbp;
      entry->word_value[words++] = rbp;
    } else if (walk.rbp[k + 1] >= cfa && walk.rbp[k + 1] < next_cfa) {
      return false;  // rbp points into the frame: maybe a realigned frame, whose size varies
    }
  }
  entry->anchor = query.anchor;
  entry->depth = depth;
  entry->word_count = words;
  entry->ids.by_kind[0] = entry->ids.by_kind[1] = UINT32_MAX;  // StackTable::kInvalidId
  return true;
}

}  // namespace

uint32_t FindCachedStack(const StackCacheQuery& query, uintptr_t* frames, uint32_t max_depth,
                         CachedStackIds** ids) {
  // Off the thread's own stack (an alternate signal stack, a coroutine's): never cached.
  if (!AnchorOnThreadStack(query)) return 0;
  StackCache* cache = ThreadCache();
  if (cache == nullptr || !(g_always || cache->budget.Active())) return 0;
  StackCacheBudget& budget = cache->budget;
  const bool timed = budget.TimeThisLookup();
  const uint64_t start = timed ? StackCacheTicks() : 0;
  for (Entry& entry : SetFor(*cache, query).ways) {
    if (entry.anchor != query.anchor || entry.depth > max_depth || !WordsUnchanged(entry)) {
      continue;
    }
    uint32_t depth = 0;
    for (uint64_t bits = entry.frame_words; bits != 0; bits &= bits - 1) {
      frames[depth++] = entry.word_value[__builtin_ctzll(bits)];
    }
    *ids = &entry.ids;
    if (++cache->uncounted_hits == kHitBatch) {
      g_cached_stacks.fetch_add(kHitBatch, std::memory_order_relaxed);
      cache->uncounted_hits = 0;
    }
    if (timed) budget.NoteLookup(StackCacheTicks() - start);
    budget.OnHit();
    return entry.depth;
  }
  if (timed) budget.NoteLookup(StackCacheTicks() - start);
  budget.OnMiss();
  return 0;
}

CLWLEAK_NOINLINE CachedStackIds* OfferUnwoundStack(const StackCacheQuery& query,
                                                   const uintptr_t* frames, uint32_t depth,
                                                   uint32_t max_depth,
                                                   bool (*is_own_frame)(uintptr_t),
                                                   uint64_t unwind_ticks) {
  if (!AnchorOnThreadStack(query)) return nullptr;
  StackCache* cache = ThreadCache();
  if (cache == nullptr) return nullptr;
  cache->budget.OnUnwind(unwind_ticks);
  if (!(g_always || cache->budget.Active()) || depth == 0 || depth > kMaxFrames) return nullptr;
  Set& set = SetFor(*cache, query);
  const uint64_t key = MissKey(query.anchor, frames, depth);
  for (uint64_t rejected : set.rejected) {
    if (rejected == key) return nullptr;
  }
  if (!MissedBefore(set, key)) return nullptr;

  const uint64_t start = StackCacheTicks();
  Walk walk;
  walk.count = 0;
  walk.unusable = false;
  walk.truncated = false;
  _Unwind_Backtrace(&RecordFrame, &walk);
  Entry& entry = set.ways[set.next_victim];
  const bool built = BuildEntry(query, walk, frames, depth, max_depth, is_own_frame, &entry);
  cache->budget.OnFill(StackCacheTicks() - start);
  if (!built) {
    entry.anchor = 0;  // BuildEntry may have written part of it
    set.rejected[set.next_rejected] = key;
    set.next_rejected = (set.next_rejected + 1) % kRejected;
    return nullptr;
  }
  set.next_victim = (set.next_victim + 1) % kWays;
  return &entry.ids;
}

void PrepareStackCache() { pthread_once(&g_exit_key_once, &CreateExitKey); }

void SetStackCacheAlways(bool always) { g_always = always; }

uint64_t CachedStackCount() { return g_cached_stacks.load(std::memory_order_relaxed); }

}  // namespace clwleak
