// The exported symbols of libclwleak.so that replace the allocator's: the malloc family and the
// anonymous-mapping calls. Only glue lives here: forward to the next definition, then hand the
// result to the sampler. Everything else is in capture.cc.
//
// HOT PATH. Unsampled malloc is the real malloc plus one thread-local subtraction and a branch
// (MaybeSample); unsampled free is one load from the FreeFilter and a branch. Keep it that way and
// measure (bench/) before changing anything here.
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "real_functions.h"

using clwleak::AllocationKind;
using clwleak::AllocationRecord;
using clwleak::BootstrapAllocate;
using clwleak::EnsureRealFunctions;
using clwleak::g_free_filter;
using clwleak::g_real;
using clwleak::MaybeSample;

namespace {

// realloc of a block from the bootstrap arena: it cannot be resized in place, so move it out.
void* MoveOutOfBootstrap(void* old_block, size_t size) {
  void* block = g_real.malloc(size);
  if (block != nullptr) {
    size_t old_size = clwleak::BootstrapSize(old_block);
    memcpy(block, old_block, old_size < size ? old_size : size);
  }
  return MaybeSample(block, size, AllocationKind::kHeap);
}

void* Reallocate(void* pointer, size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) {
    void* block = BootstrapAllocate(size, 16);
    if (block != nullptr && pointer != nullptr) {
      size_t old_size = clwleak::BootstrapSize(pointer);
      memcpy(block, pointer, old_size < size ? old_size : size);
    }
    return block;
  }
  if (pointer == nullptr) return MaybeSample(g_real.malloc(size), size, AllocationKind::kHeap);
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
  return MaybeSample(block, size, AllocationKind::kHeap);
}

}  // namespace

extern "C" {

CLWLEAK_EXPORT void* malloc(size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, 16);
  return MaybeSample(g_real.malloc(size), size, AllocationKind::kHeap);
}

CLWLEAK_EXPORT void free(void* pointer) {
  if (pointer == nullptr) return;
  if (CLWLEAK_UNLIKELY(g_free_filter.MayContain(pointer)) && clwleak::FreeSlowPath(pointer)) return;
  g_real.free(pointer);
}

CLWLEAK_EXPORT void* calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;  // the real calloc fails it
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) {
    if (total == SIZE_MAX) return errno = ENOMEM, nullptr;
    return BootstrapAllocate(total, 16);
  }
  return MaybeSample(g_real.calloc(count, size), total, AllocationKind::kHeap);
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
  int error = g_real.posix_memalign(result, alignment, size);
  if (error == 0) MaybeSample(*result, size, AllocationKind::kHeap);
  return error;
}

CLWLEAK_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, alignment);
  return MaybeSample(g_real.aligned_alloc(alignment, size), size, AllocationKind::kHeap);
}

CLWLEAK_EXPORT void* memalign(size_t alignment, size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, alignment);
  return MaybeSample(g_real.memalign(alignment, size), size, AllocationKind::kHeap);
}

CLWLEAK_EXPORT void* valloc(size_t size) {
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(size, 4096);
  return MaybeSample(g_real.valloc(size), size, AllocationKind::kHeap);
}

CLWLEAK_EXPORT void* pvalloc(size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
  if (CLWLEAK_UNLIKELY(!EnsureRealFunctions())) return BootstrapAllocate(rounded, page);
  return MaybeSample(g_real.pvalloc(size), rounded, AllocationKind::kHeap);
}

CLWLEAK_EXPORT size_t malloc_usable_size(void* pointer) {
  if (pointer == nullptr) return 0;
  if (clwleak::IsBootstrapPointer(pointer)) return clwleak::BootstrapSize(pointer);
  EnsureRealFunctions();
  return g_real.malloc_usable_size(pointer);
}

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
  // Like realloc: the old range is forgotten, the result is a new mapping of new_length bytes.
  clwleak::BeforeUnmap(old_address, old_length);
  void* result = g_real.mremap(old_address, old_length, new_length, flags, new_address);
  if (result != MAP_FAILED) {
    clwleak::OnMapped(result, new_length, PROT_READ | PROT_WRITE, MAP_ANONYMOUS);
  }
  return result;
}

}  // extern "C"
