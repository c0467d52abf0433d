// Resolution of the next allocator (RTLD_NEXT) and the bootstrap arena; see real_functions.h.
#include "real_functions.h"

#include <dlfcn.h>
#include <sched.h>
#include <string.h>

#include "base.h"
#include "free_filter.h"

namespace clwleak {

extern FreeFilter g_free_filter;

RealFunctions g_real = {};
std::atomic<bool> g_real_resolved{false};

namespace {

std::atomic<int> g_resolving_state{0};  // 0 not started, 1 in progress, 2 done
__thread bool t_resolving __attribute__((tls_model("initial-exec"))) = false;

// 1 MiB is far more than dlsym needs; it bounds what an early start-up can take from it.
constexpr size_t kArenaSize = 1 << 20;
alignas(64) unsigned char g_arena[kArenaSize];
std::atomic<size_t> g_arena_used{0};

struct BlockHeader {
  size_t size;
  size_t padding;  // keeps the block 16-byte aligned
};

template <typename Function>
void Resolve(Function* slot, const char* name) {
  *slot = reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

}  // namespace

bool ResolveRealFunctions() {
  if (t_resolving) return false;
  int expected = 0;
  if (g_resolving_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    t_resolving = true;
    Resolve(&g_real.malloc, "malloc");
    Resolve(&g_real.free, "free");
    Resolve(&g_real.calloc, "calloc");
    Resolve(&g_real.realloc, "realloc");
    Resolve(&g_real.posix_memalign, "posix_memalign");
    Resolve(&g_real.aligned_alloc, "aligned_alloc");
    Resolve(&g_real.memalign, "memalign");
    Resolve(&g_real.valloc, "valloc");
    Resolve(&g_real.pvalloc, "pvalloc");
    Resolve(&g_real.malloc_usable_size, "malloc_usable_size");
    Resolve(&g_real.mmap, "mmap");
    Resolve(&g_real.mmap64, "mmap64");
    Resolve(&g_real.munmap, "munmap");
    Resolve(&g_real.mremap, "mremap");
    Resolve(&g_real.dlclose, "dlclose");
    t_resolving = false;
    if (g_real.malloc == nullptr || g_real.free == nullptr || g_real.calloc == nullptr ||
        g_real.realloc == nullptr || g_real.mmap == nullptr || g_real.munmap == nullptr) {
      Warn("cannot find the next malloc/mmap with dlsym(RTLD_NEXT); the process cannot continue");
      __builtin_trap();
    }
    g_resolving_state.store(2, std::memory_order_release);
    g_real_resolved.store(true, std::memory_order_release);
    return true;
  }
  // Another thread is resolving: wait for it (a few microseconds, at start-up only).
  while (g_resolving_state.load(std::memory_order_acquire) != 2) sched_yield();
  return true;
}

void* BootstrapAllocate(size_t size, size_t alignment) {
  if (alignment < 16) alignment = 16;
  size_t used = g_arena_used.load(std::memory_order_relaxed);
  for (;;) {
    size_t start = (used + sizeof(BlockHeader) + alignment - 1) & ~(alignment - 1);
    size_t end = start + ((size + 15) & ~static_cast<size_t>(15));
    if (end > kArenaSize || end < start) return nullptr;
    if (g_arena_used.compare_exchange_weak(used, end, std::memory_order_relaxed)) {
      unsigned char* block = g_arena + start;
      reinterpret_cast<BlockHeader*>(block)[-1].size = size;
      g_free_filter.Add(block);
      return block;  // static storage: already zero, as calloc requires
    }
  }
}

bool IsBootstrapPointer(const void* pointer) {
  const unsigned char* p = static_cast<const unsigned char*>(pointer);
  return p >= g_arena && p < g_arena + kArenaSize;
}

size_t BootstrapSize(const void* pointer) {
  return reinterpret_cast<const BlockHeader*>(pointer)[-1].size;
}

}  // namespace clwleak
