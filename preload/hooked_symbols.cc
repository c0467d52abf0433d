// The table of functions libclwleak.so defines in glibc's place; see hooked_symbols.h.
#include "hooked_symbols.h"

#include <sched.h>
#include <string.h>

#include <atomic>

#include "base.h"
#include "elf_dynamic.h"
#include "real_functions.h"

namespace clwleak {
namespace {

// Every function the preload exports that the C library also defines.
// clang-format off
HookedSymbol g_symbols[] = {
    // The heap (interpose.cc): what must never meet a sampled block unprepared.
    {"malloc"}, {"free"}, {"calloc"}, {"realloc"}, {"reallocarray"}, {"posix_memalign"},
    {"aligned_alloc"}, {"memalign"}, {"valloc"}, {"pvalloc"}, {"malloc_usable_size"},
    {"__libc_free"}, {"__libc_realloc"}, {"cfree"},
    // Mappings (interpose.cc): recorded when reached through us.
    {"mmap"}, {"mmap64"}, {"munmap"}, {"mremap"}, {"mprotect"},
    // The loader (loader_hooks.cc, runtime.cc): so that lookups made through it stay covered.
    {"dlopen"}, {"dlmopen"}, {"dlsym"}, {"dlvsym"}, {"dlclose"},
    // Exits (exit_hooks.cc): the final snapshot before an immediate exit.
    {"_exit"}, {"_Exit"}, {"syscall"},
};
// clang-format on

uintptr_t g_self_begin = 0;  // libclwleak.so's loaded extent
uintptr_t g_self_end = 0;

int FindSelf(dl_phdr_info* info, size_t, void*) {
  ElfDynamic object;
  if (!object.Read(LoadedObjectOf(*info)) ||
      !object.Contains(reinterpret_cast<uintptr_t>(&g_symbols))) {
    return 0;
  }
  for (HookedSymbol& symbol : g_symbols) {
    symbol.ours = reinterpret_cast<void*>(object.FindDefinition(symbol.name));
  }
  object.Extent(&g_self_begin, &g_self_end);
  return 1;
}

std::atomic<int> g_state{0};  // 0 not built, 1 building, 2 built

void Build() {
  dl_iterate_phdr(FindSelf, nullptr);
  for (HookedSymbol& symbol : g_symbols) {
    symbol.next = FindNextDefinition(&g_symbols, symbol.name);
    // No next definition: glibc keeps only an old version of it (cfree), which ours replaces.
    symbol.redirectable = symbol.ours != nullptr && (symbol.next == nullptr || InLibc(symbol.next));
  }
}

}  // namespace

bool IsInPreload(const void* address) {
  const uintptr_t value = reinterpret_cast<uintptr_t>(address);
  return value >= g_self_begin && value < g_self_end;
}

const HookedSymbol* FindHookedSymbol(const char* name) {
  if (!EnsureRealFunctions()) return nullptr;  // inside the resolution: nothing to redirect yet
  int expected = 0;
  if (g_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    Build();
    g_state.store(2, std::memory_order_release);
  } else {
    while (g_state.load(std::memory_order_acquire) != 2) sched_yield();
  }
  for (const HookedSymbol& symbol : g_symbols) {
    if (SameString(symbol.name, name)) return &symbol;
  }
  return nullptr;
}

}  // namespace clwleak
