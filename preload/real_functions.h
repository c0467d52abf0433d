// RealFunctions: the next definitions (RTLD_NEXT) of every function libclwleak.so interposes, so
// each call forwards to the host's allocator: glibc's, or a jemalloc/tcmalloc/mimalloc preloaded
// after us.
//
// LoaderFunctions: the next dlsym, dlvsym, dlopen, dlmopen, syscall and _exit. libclwleak.so
// exports its own dlsym (loader_hooks.cc), so it finds the real one without dlsym: in the dynamic
// symbol tables of the objects loaded after it (elf_dynamic.h), which needs neither allocation nor
// locks and works at any time. Everything the preload resolves is looked up through that dlsym.
//
// dlsym itself may allocate (calloc) before malloc is known. While this thread is resolving, such
// calls are served from a small static BootstrapArena; its blocks are never freed (free() ignores
// them; they carry a SampleHeader with kBootstrapMagic and sit in the FreeFilter, so that the
// unsampled free path stays one check in either bookkeeping mode).
//
// Thread-safety: ResolveRealFunctions is idempotent and safe from any thread; the first caller
// resolves, concurrent callers wait for it (in practice start-up is single-threaded).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>

namespace clwleak {

struct RealFunctions {
  void* (*malloc)(size_t);
  void (*free)(void*);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*memalign)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  size_t (*malloc_usable_size)(void*);
  void* (*mmap)(void*, size_t, int, int, int, off_t);
  void* (*mmap64)(void*, size_t, int, int, int, off64_t);
  int (*munmap)(void*, size_t);
  void* (*mremap)(void*, size_t, size_t, int, ...);
  int (*mprotect)(void*, size_t, int);
  int (*dlclose)(void*);
  // glibc's __libc_free and __libc_realloc (tcmalloc and mimalloc define them too); in table mode
  // our exported ones forward to these.
  void (*libc_free)(void*);
  void* (*libc_realloc)(void*, size_t);
};

struct LoaderFunctions {
  void* (*dlsym)(void*, const char*);
  void* (*dlvsym)(void*, const char*, const char*);
  void* (*dlopen)(const char*, int);
  void* (*dlmopen)(long, const char*, int);
  long (*syscall)(long, ...);
  void (*exit)(int) __attribute__((noreturn));
};

// Before the resolution, malloc and calloc hold functions that resolve and then forward (or serve
// the bootstrap arena from inside dlsym); the other pointers are null.
extern RealFunctions g_real;
extern std::atomic<bool> g_real_resolved;

// Null until EnsureLoaderFunctions() has run; read by the assembly hooks of loader_hooks.cc and
// exit_hooks.cc, which call EnsureLoaderFunctions() first when a pointer they need is null.
extern LoaderFunctions g_loader;

// Resolves g_loader (idempotent, any thread, any time: no allocation, no dlsym). False only when
// the process has no dlsym after libclwleak.so, which cannot happen with a dynamic libc.
bool EnsureLoaderFunctions();

// Whether `address` lies in glibc's libc.so.6 (the object that defines gnu_get_libc_version), as
// mapped in this namespace. Valid once the real functions are resolved (false before).
bool InLibc(const void* address);

// How sampled heap blocks are kept, fixed while resolving, before anything can be sampled: true
// (inline mode, sampled_blocks.h) when the next malloc/free are glibc's; false (table mode, the
// AllocationTable behind the FreeFilter) for any other allocator.
extern std::atomic<bool> g_inline_bookkeeping;

inline bool InlineBookkeeping() { return g_inline_bookkeeping.load(std::memory_order_relaxed); }

// Resolves every pointer in g_real. Returns false while this thread is inside the resolution
// (a nested call from dlsym), in which case the caller must use the bootstrap arena.
bool ResolveRealFunctions();

// True once g_real is usable. realloc tests this inline and leaves the rest of EnsureRealFunctions
// to an out-of-line path, so that its fast path needs no stack frame; malloc and calloc need no
// test at all (g_real starts out with functions that resolve first: real_functions.cc).
inline bool RealFunctionsResolved() { return g_real_resolved.load(std::memory_order_acquire); }

inline bool EnsureRealFunctions() { return RealFunctionsResolved() || ResolveRealFunctions(); }

// The arena for allocations made while dlsym runs.
void* BootstrapAllocate(size_t size, size_t alignment);
bool IsBootstrapPointer(const void* pointer);
size_t BootstrapSize(const void* pointer);

}  // namespace clwleak
