// Resolution of the next allocator (RTLD_NEXT) and the bootstrap arena; see real_functions.h.
#include "real_functions.h"

#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <sched.h>
#include <string.h>

#include "base.h"
#include "elf_dynamic.h"
#include "free_filter.h"
#include "sample_header.h"

namespace clwleak {

extern FreeFilter g_free_filter;

namespace {

// What g_real.malloc and g_real.calloc hold until the resolution has run: resolve, then forward, or
// serve the block from the bootstrap arena when called from inside the resolution (dlsym). So the
// malloc and calloc hooks may call through g_real without testing whether it is resolved.
void* MallocUntilResolved(size_t size) {
  if (!ResolveRealFunctions()) return BootstrapAllocate(size, 16);
  return g_real.malloc(size);
}

void* CallocUntilResolved(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (!ResolveRealFunctions()) return BootstrapAllocate(total, 16);
  return g_real.calloc(count, size);
}

constexpr RealFunctions UnresolvedFunctions() {
  RealFunctions functions{};
  functions.malloc = MallocUntilResolved;
  functions.calloc = CallocUntilResolved;
  return functions;
}

}  // namespace

// Constant-initialized (no constructor runs): the loader relocates these pointers before any code
// of the process can call malloc.
RealFunctions g_real = UnresolvedFunctions();
std::atomic<bool> g_real_resolved{false};
std::atomic<bool> g_inline_bookkeeping{false};
LoaderFunctions g_loader = {};

namespace {

std::atomic<int> g_resolving_state{0};  // 0 not started, 1 in progress, 2 done
__thread bool t_resolving __attribute__((tls_model("initial-exec"))) = false;

// 1 MiB is far more than dlsym needs; it bounds what an early start-up can take from it.
constexpr size_t kArenaSize = 1 << 20;
alignas(64) unsigned char g_arena[kArenaSize];
std::atomic<size_t> g_arena_used{0};

// libc.so.6's extent, found while resolving; InLibc() is false until then.
uintptr_t g_libc_begin = 0;
uintptr_t g_libc_end = 0;

template <typename Function>
void ResolveNext(Function* slot, const char* name) {
  // Called from this library's code, so RTLD_NEXT means "after libclwleak.so".
  *slot = reinterpret_cast<Function>(g_loader.dlsym(RTLD_NEXT, name));
}

template <typename Function>
void FindNext(Function* slot, const char* name) {
  void* found = FindNextDefinition(reinterpret_cast<const void*>(&g_loader), name);
  __atomic_store_n(reinterpret_cast<void**>(slot), found, __ATOMIC_RELEASE);
}

int FindLibcExtent(dl_phdr_info* info, size_t, void* data) {
  const uintptr_t probe = reinterpret_cast<uintptr_t>(data);
  uintptr_t begin, end;
  LoadedExtent(LoadedObjectOf(*info), &begin, &end);
  if (probe < begin || probe >= end) return 0;
  g_libc_begin = begin;
  g_libc_end = end;
  return 1;
}

// Inline headers need glibc's chunk layout (sample_header.h): the next malloc and free must be
// glibc's own, not a jemalloc, tcmalloc or mimalloc preloaded after us. Comparing with the
// `__libc_malloc` that RTLD_NEXT finds is not enough: tcmalloc and mimalloc define it too. So the
// test is where the functions live: in the same object as gnu_get_libc_version, i.e. libc.so.6.
bool InSameObject(const void* a, const void* b) {
  Dl_info info_a, info_b;
  return dladdr(a, &info_a) != 0 && dladdr(b, &info_b) != 0 && info_a.dli_fbase != nullptr &&
         info_a.dli_fbase == info_b.dli_fbase;
}

bool NextAllocatorIsGlibc() {
  const void* libc = reinterpret_cast<const void*>(&gnu_get_libc_version);
  return InSameObject(reinterpret_cast<const void*>(g_real.malloc), libc) &&
         InSameObject(reinterpret_cast<const void*>(g_real.free), libc) &&
         InSameObject(reinterpret_cast<const void*>(g_real.realloc), libc);
}
}  // namespace

bool EnsureLoaderFunctions() {
  if (__atomic_load_n(&g_loader.exit, __ATOMIC_ACQUIRE) != nullptr) return true;
  // Idempotent: racing threads find and store the same addresses; `exit` is stored last.
  FindNext(&g_loader.dlsym, "dlsym");
  FindNext(&g_loader.dlvsym, "dlvsym");
  FindNext(&g_loader.dlopen, "dlopen");
  FindNext(&g_loader.dlmopen, "dlmopen");
  FindNext(&g_loader.syscall, "syscall");
  if (g_loader.dlsym == nullptr || g_loader.dlvsym == nullptr || g_loader.dlopen == nullptr ||
      g_loader.dlmopen == nullptr || g_loader.syscall == nullptr) {
    return false;
  }
  FindNext(&g_loader.exit, "_exit");
  return g_loader.exit != nullptr;
}

bool InLibc(const void* address) {
  const uintptr_t value = reinterpret_cast<uintptr_t>(address);
  return value >= g_libc_begin && value < g_libc_end;
}

bool ResolveRealFunctions() {
  if (t_resolving) return false;
  int expected = 0;
  if (g_resolving_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    t_resolving = true;
    if (!EnsureLoaderFunctions()) {
      Warn("no real dlsym, dlopen or _exit in any loaded object; the process cannot continue");
      __builtin_trap();
    }
    ResolveNext(&g_real.malloc, "malloc");
    ResolveNext(&g_real.free, "free");
    ResolveNext(&g_real.calloc, "calloc");
    ResolveNext(&g_real.realloc, "realloc");
    ResolveNext(&g_real.posix_memalign, "posix_memalign");
    ResolveNext(&g_real.aligned_alloc, "aligned_alloc");
    ResolveNext(&g_real.memalign, "memalign");
    ResolveNext(&g_real.valloc, "valloc");
    ResolveNext(&g_real.pvalloc, "pvalloc");
    ResolveNext(&g_real.malloc_usable_size, "malloc_usable_size");
    ResolveNext(&g_real.mmap, "mmap");
    ResolveNext(&g_real.mmap64, "mmap64");
    ResolveNext(&g_real.munmap, "munmap");
    ResolveNext(&g_real.mremap, "mremap");
    ResolveNext(&g_real.mprotect, "mprotect");
    ResolveNext(&g_real.dlclose, "dlclose");
    ResolveNext(&g_real.libc_free, "__libc_free");
    ResolveNext(&g_real.libc_realloc, "__libc_realloc");
    dl_iterate_phdr(FindLibcExtent,
                    reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(&gnu_get_libc_version)));
    const bool inline_bookkeeping = NextAllocatorIsGlibc();
    t_resolving = false;
    if (g_real.malloc == nullptr || g_real.free == nullptr || g_real.calloc == nullptr ||
        g_real.realloc == nullptr || g_real.mmap == nullptr || g_real.munmap == nullptr) {
      Warn("cannot find the next malloc/mmap with dlsym(RTLD_NEXT); the process cannot continue");
      __builtin_trap();
    }
    g_inline_bookkeeping.store(inline_bookkeeping, std::memory_order_relaxed);
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
    size_t start = (used + sizeof(SampleHeader) + alignment - 1) & ~(alignment - 1);
    size_t end = start + ((size + 15) & ~static_cast<size_t>(15));
    if (end > kArenaSize || end < start) return nullptr;
    if (g_arena_used.compare_exchange_weak(used, end, std::memory_order_relaxed)) {
      unsigned char* block = g_arena + start;
      SampleHeader* header = HeaderOf(block);
      header->size = size;
      header->magic = kBootstrapMagic;  // how free() knows the block in inline mode
      g_free_filter.Add(block);         // and in table mode
      return block;  // static storage: already zero, as calloc requires
    }
  }
}

bool IsBootstrapPointer(const void* pointer) {
  const unsigned char* p = static_cast<const unsigned char*>(pointer);
  return p >= g_arena && p < g_arena + kArenaSize;
}

size_t BootstrapSize(const void* pointer) {
  return HeaderOf(const_cast<void*>(pointer))->size;
}

}  // namespace clwleak
