// AllocatorRebinding: an object loaded with RTLD_DEEPBIND looks symbols up in its own dependencies
// first, so its calls of free, realloc, malloc_usable_size (and the other hooked names,
// hooked_symbols.h) bind to glibc's definitions, not ours: a sampled block with an inline header
// reaching them would abort the process ("free(): invalid pointer"), while libc's own strdup,
// fopen... still allocate through our malloc. After such a load (loader_hooks.cc), every slot of
// the new object and of its dependencies that holds glibc's definition of a hooked name, or that
// would be bound to it lazily, is set to ours: its JUMP_SLOT and GLOB_DAT entries (the GOT) and
// its 64-bit data words. Read-only pages of PT_GNU_RELRO are made writable for the write and read-
// only again. Its allocations are then recorded too.
//
// The object's initializers run inside dlopen, before the rebinding: a HeaderBlackout is held
// across the load, during which no sampled block gets a header (they are passed through and not
// recorded; mappings are still recorded). A function pointer to glibc's free that an initializer
// stored before the rebinding, or a block with a header made before the load and freed by an
// initializer, is not covered. If a slot cannot be written, headers stay off for good (one
// warning).
//
// Thread-safety: RebindAllocatorCalls works while the loader's object list is locked
// (dl_iterate_phdr), so no object can be unloaded meanwhile and two rebindings never overlap;
// the blackout is a process-wide counter. Never called from malloc.
#pragma once

#include <atomic>

namespace clwleak {

// Loads under way; kBlackoutForever is added when a rebinding failed.
extern std::atomic<int> g_header_blackouts;

// True while sampled heap blocks must not get inline headers. Checked on the sampled paths only.
inline bool HeadersSuspended() { return g_header_blackouts.load(std::memory_order_acquire) != 0; }

class HeaderBlackout {
 public:
  HeaderBlackout();
  ~HeaderBlackout();
  HeaderBlackout(const HeaderBlackout&) = delete;
  HeaderBlackout& operator=(const HeaderBlackout&) = delete;
};

// After dlopen(..., RTLD_DEEPBIND) returned `handle`: rebinds its object and dependencies.
void RebindAllocatorCalls(void* handle);

}  // namespace clwleak
