// The exported symbols of libclwleak.so that replace the allocator's: the malloc family (with
// glibc's __libc_free, __libc_realloc and cfree) and the anonymous-mapping calls. Only
// glue lives here: forward to the next definition, then hand the result to the sampler.
// Everything else is in capture.cc.
//
// HOT PATH. Unsampled malloc is one thread-local subtraction, a branch and a tail call to the real
// malloc (four instructions); unsampled free is one load and a branch: of the word in front of the
// block in inline mode (sample_header.h; glibc reads it anyway), of the FreeFilter in table mode.
// Keep it that way and measure (bench/) before changing anything here.
//
// malloc and calloc do not test whether the next allocator is resolved yet: until it is, g_real
// holds functions that resolve it first (real_functions.cc), and every thread's sample counter
// starts at zero, so each thread's first calls take the slow paths, which resolve before anything
// else.
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "real_functions.h"
#include "sample_header.h"
#include "sampled_blocks.h"

using clwleak::AllocationKind;
using clwleak::AllocationRecord;
using clwleak::BootstrapAllocate;
using clwleak::EnsureRealFunctions;
using clwleak::g_free_filter;
using clwleak::g_real;
using clwleak::HasSampleHeader;
using clwleak::InlineBookkeeping;
using clwleak::MaybeSample;
using clwleak::RealFunctionsResolved;
using clwleak::t_thread;

namespace {

// Subtracts an allocation from this thread's sample counter; true when it is not sampled.
CLWLEAK_HOT inline bool Unsampled(size_t size) {
  return CLWLEAK_LIKELY(clwleak::CountdownNotReached(size));
}

// The slow path of an allocation whose counter reached zero, in either bookkeeping mode.
CLWLEAK_NOINLINE void* AllocateAfterCountdown(size_t size, size_t alignment) {
  if (InlineBookkeeping()) return clwleak::AllocateSampled(size, alignment, false);
  void* block = alignment > 16 ? g_real.memalign(alignment, size) : g_real.malloc(size);
  return clwleak::SampleSlowPath(block, size, AllocationKind::kHeap);
}

// Glibc rounds an alignment that is not a power of two up to the next one; so do we, to size the
// header. 0 when no allocation can satisfy it.
size_t PowerOfTwoAlignment(size_t alignment) {
  if (alignment <= 16) return 16;
  if (alignment > (SIZE_MAX >> 1) + 1) return 0;
  size_t power = 32;
  while (power < alignment) power <<= 1;
  return power;
}

// aligned_alloc and memalign once the real functions are known: `real` is the next allocator's.
inline void* AllocateAligned(void* (*real)(size_t, size_t), size_t alignment, size_t size) {
  if (Unsampled(size)) return real(alignment, size);
  const size_t power = PowerOfTwoAlignment(alignment);
  if (!InlineBookkeeping() || power == 0) {
    return clwleak::SampleSlowPath(real(alignment, size), size, AllocationKind::kHeap);
  }
  return AllocateAfterCountdown(size, power);
}

// malloc(): the hot path, and the slow path when the counter reached zero.
CLWLEAK_HOT inline void* AllocateHeapBlock(size_t size) {
  return Unsampled(size) ? g_real.malloc(size) : AllocateAfterCountdown(size, 0);
}

// malloc() whose counter reached zero: the sampled path, and every first call of a thread (the
// process's first ones come before the next allocator is known, and while dlsym runs).
// Out of line, so that malloc() itself needs no stack frame.
CLWLEAK_NOINLINE void* MallocAfterCountdown(size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, 16);
  return AllocateAfterCountdown(size, 0);
}

// calloc() whose counter reached zero (`total` is count * size, SIZE_MAX on overflow), the first
// calls included, as for malloc(); dlsym's own calloc lands here.
CLWLEAK_NOINLINE void* CallocAfterCountdown(size_t count, size_t size, size_t total) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) {
    if (total == SIZE_MAX) return errno = ENOMEM, nullptr;
    return BootstrapAllocate(total, 16);
  }
  if (InlineBookkeeping() && total != SIZE_MAX) return clwleak::AllocateSampled(total, 0, true);
  return clwleak::SampleSlowPath(g_real.calloc(count, size), total, AllocationKind::kHeap);
}

// realloc of a block from the bootstrap arena (either mode): it cannot be resized in place, so
// move it out to a block of the real allocator.
void* MoveOutOfBootstrap(void* old_block, size_t size) {
  void* block = AllocateHeapBlock(size);
  if (block != nullptr) {
    size_t old_size = clwleak::BootstrapSize(old_block);
    memcpy(block, old_block, old_size < size ? old_size : size);
  }
  return block;
}

// realloc() of a block with a header: from the bootstrap arena, or sampled.
CLWLEAK_NOINLINE void* ReallocateWithHeader(void* pointer, size_t size) {
  if (clwleak::IsBootstrapPointer(pointer)) return MoveOutOfBootstrap(pointer, size);
  return clwleak::ReallocateSampled(pointer, size);
}

// realloc() in table mode (another allocator after the preload).
CLWLEAK_NOINLINE void* ReallocateInTableMode(void* pointer, size_t size) {
  AllocationRecord record;
  bool tracked = false;
  if (CLWLEAK_UNLIKELY(g_free_filter.MayContain(pointer))) {
    if (clwleak::IsBootstrapPointer(pointer)) return MoveOutOfBootstrap(pointer, size);
    tracked = clwleak::ForgetHeapBlock(pointer, &record);
  }
  void* block = g_real.realloc(pointer, size);
  if (block == nullptr) {
    // size 0: glibc freed the block. Otherwise the realloc failed and the old block is still live.
    if (size != 0 && tracked) clwleak::RestoreHeapBlock(pointer, record);
    return nullptr;
  }
  if (Unsampled(size)) return block;
  // A tracked block that moves keeps its birth when it is sampled again.
  return clwleak::SampleSlowPath(block, size, AllocationKind::kHeap,
                                 tracked ? record.birth_bucket : clwleak::kBornNow);
}

void* Reallocate(void* pointer, size_t size);

// realloc() before the next allocator is known (while dlsym runs, only bootstrap blocks exist).
CLWLEAK_NOINLINE void* ReallocateBeforeResolved(void* pointer, size_t size) {
  if (EnsureRealFunctions()) return Reallocate(pointer, size);
  void* block = BootstrapAllocate(size, 16);
  if (block != nullptr && pointer != nullptr) {
    size_t old_size = clwleak::BootstrapSize(pointer);
    memcpy(block, pointer, old_size < size ? old_size : size);
  }
  return block;
}

// The hot path of realloc() on an unsampled block; everything else is out of line so that it
// needs no stack frame.
void* Reallocate(void* pointer, size_t size) {
  if (CLWLEAK_UNLIKELY(!RealFunctionsResolved())) {
    return ReallocateBeforeResolved(pointer, size);
  }
  if (pointer == nullptr) return AllocateHeapBlock(size);
  if (CLWLEAK_LIKELY(InlineBookkeeping())) {
    if (CLWLEAK_UNLIKELY(HasSampleHeader(pointer))) return ReallocateWithHeader(pointer, size);
    return Unsampled(size) ? g_real.realloc(pointer, size)
                           : clwleak::ReallocateIntoSample(pointer, size);
  }
  return ReallocateInTableMode(pointer, size);
}

// Whether __libc_free and __libc_realloc are served by ours (see below); `next` is the next
// definition. Before the allocator is known (inside dlsym) ours serve the bootstrap arena.
bool LibcNamesAreOurs(const void* next) {
  return !EnsureRealFunctions() || InlineBookkeeping() || next == nullptr;
}

}  // namespace

extern "C" {

CLWLEAK_EXPORT void* malloc(size_t size) {
  if (Unsampled(size)) return g_real.malloc(size);
  return MallocAfterCountdown(size);
}

CLWLEAK_EXPORT void free(void* pointer) {
  if (pointer == nullptr) return;
  if (CLWLEAK_LIKELY(InlineBookkeeping())) {
    if (CLWLEAK_UNLIKELY(HasSampleHeader(pointer))) return clwleak::FreeSampled(pointer);
  } else if (CLWLEAK_UNLIKELY(g_free_filter.MayContain(pointer)) &&
             clwleak::FreeSlowPath(pointer)) {
    return;
  }
  g_real.free(pointer);
}

CLWLEAK_EXPORT void* calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;  // the real calloc fails it
  if (Unsampled(total)) return g_real.calloc(count, size);
  return CallocAfterCountdown(count, size, total);
}

CLWLEAK_EXPORT void* realloc(void* pointer, size_t size) { return Reallocate(pointer, size); }

CLWLEAK_EXPORT void* reallocarray(void* pointer, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return Reallocate(pointer, total);
}

CLWLEAK_EXPORT int posix_memalign(void** result, size_t alignment, size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) {
    *result = BootstrapAllocate(size, alignment);
    return *result != nullptr ? 0 : ENOMEM;
  }
  const bool valid_alignment =
      alignment % sizeof(void*) == 0 && (alignment & (alignment - 1)) == 0 && alignment != 0;
  if (Unsampled(size) || !valid_alignment || !InlineBookkeeping()) {
    int error = g_real.posix_memalign(result, alignment, size);
    if (error == 0 && t_thread.bytes_until_sample <= 0) {
      clwleak::SampleSlowPath(*result, size, AllocationKind::kHeap);
    }
    return error;
  }
  void* block = clwleak::AllocateSampled(size, alignment, false);
  if (block == nullptr) return ENOMEM;
  *result = block;
  return 0;
}

CLWLEAK_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, alignment);
  return AllocateAligned(g_real.aligned_alloc, alignment, size);
}

CLWLEAK_EXPORT void* memalign(size_t alignment, size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, alignment);
  return AllocateAligned(g_real.memalign, alignment, size);
}

CLWLEAK_EXPORT void* valloc(size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, page);
  if (Unsampled(size)) return g_real.valloc(size);
  if (!InlineBookkeeping()) {
    return clwleak::SampleSlowPath(g_real.valloc(size), size, AllocationKind::kHeap);
  }
  return AllocateAfterCountdown(size, page);
}

CLWLEAK_EXPORT void* pvalloc(size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(rounded, page);
  if (rounded < size) return g_real.pvalloc(size);  // overflow: the real pvalloc fails it
  if (Unsampled(rounded)) return g_real.pvalloc(size);
  if (!InlineBookkeeping()) {
    return clwleak::SampleSlowPath(g_real.pvalloc(size), rounded, AllocationKind::kHeap);
  }
  return AllocateAfterCountdown(rounded, page);
}

CLWLEAK_EXPORT size_t malloc_usable_size(void* pointer) {
  if (pointer == nullptr) return 0;
  if (clwleak::IsBootstrapPointer(pointer)) return clwleak::BootstrapSize(pointer);
  EnsureRealFunctions();
  if (InlineBookkeeping() && HasSampleHeader(pointer)) return clwleak::UsableSizeSampled(pointer);
  return g_real.malloc_usable_size(pointer);
}

// glibc's names for its free and realloc, which some code calls to reach "the real allocator"
// behind any interposer. In inline mode they must be ours: a block of ours with a header may be
// given to them. In table mode (another allocator after us) they forward to the next definitions,
// as without the preload. glibc's allocating __libc_* names (__libc_malloc...) are left to glibc:
// their blocks have no header, and every free handles them.
CLWLEAK_EXPORT void __libc_free(void* pointer) {
  if (LibcNamesAreOurs(reinterpret_cast<void*>(g_real.libc_free))) return free(pointer);
  g_real.libc_free(pointer);
}

CLWLEAK_EXPORT void* __libc_realloc(void* pointer, size_t size) {
  return LibcNamesAreOurs(reinterpret_cast<void*>(g_real.libc_realloc))
             ? realloc(pointer, size)
             : g_real.libc_realloc(pointer, size);
}

// glibc keeps cfree (free under an old name) for binaries linked before 2.26.
CLWLEAK_EXPORT void cfree(void* pointer) { free(pointer); }

CLWLEAK_EXPORT void* mmap(void* address, size_t length, int prot, int flags, int fd, off_t offset) {
  EnsureRealFunctions();
  void* result = g_real.mmap(address, length, prot, flags, fd, offset);
  if (result != MAP_FAILED) clwleak::OnMapped(result, length, prot, flags);
  return result;
}

CLWLEAK_EXPORT void* mmap64(void* address, size_t length, int prot, int flags, int fd,
                            off64_t offset) {
  EnsureRealFunctions();
  void* result = g_real.mmap64 != nullptr ? g_real.mmap64(address, length, prot, flags, fd, offset)
                                          : g_real.mmap(address, length, prot, flags, fd, offset);
  if (result != MAP_FAILED) clwleak::OnMapped(result, length, prot, flags);
  return result;
}

CLWLEAK_EXPORT int munmap(void* address, size_t length) {
  EnsureRealFunctions();
  // Forget first: once unmapped, another thread may be handed the same range.
  clwleak::BeforeUnmap(address, length);
  return g_real.munmap(address, length);
}

CLWLEAK_EXPORT void* mremap(void* old_address, size_t old_length, size_t new_length, int flags,
                            ...) {
  EnsureRealFunctions();
  void* new_address = nullptr;
  if ((flags & MREMAP_FIXED) != 0) {
    va_list arguments;
    va_start(arguments, flags);
    new_address = va_arg(arguments, void*);
    va_end(arguments);
  }
  // Like realloc: the old range is forgotten, the result is a new mapping of new_length bytes, of
  // the old range's kind (shared, reserved) when it was tracked.
  int prot = PROT_READ | PROT_WRITE, map_flags = MAP_PRIVATE | MAP_ANONYMOUS;
  clwleak::MappingFlagsAt(old_address, &prot, &map_flags);
  clwleak::BeforeUnmap(old_address, old_length);
  void* result = g_real.mremap(old_address, old_length, new_length, flags, new_address);
  if (result != MAP_FAILED) clwleak::OnMapped(result, new_length, prot, map_flags);
  return result;
}

// Commits reserved address space (a JVM grows its heap this way). The preload's own mprotect calls
// (elf_dynamic.cc) may come before the real functions are resolved: then the system call itself.
CLWLEAK_EXPORT int mprotect(void* address, size_t length, int prot) {
  const int result = clwleak::RealFunctionsResolved() && g_real.mprotect != nullptr
                         ? g_real.mprotect(address, length, prot)
                         : static_cast<int>(clwleak::RawMprotect(address, length, prot));
  if (result == 0) clwleak::OnProtectionChanged(address, length, prot);
  return result;
}

}  // extern "C"
