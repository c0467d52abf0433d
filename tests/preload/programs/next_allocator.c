/* libnext_allocator.so: an allocator of its own, as far as the dynamic linker can tell. Preloaded
 * after libclwleak.so it is what dlsym(RTLD_NEXT, "malloc") finds, as a jemalloc or tcmalloc would
 * be, so libclwleak.so must keep sampled blocks in its table (table mode) rather than in headers
 * that only glibc's chunk layout makes safe to find. Each call forwards to glibc's own entry. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void __libc_free(void*);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void* __libc_valloc(size_t);
extern void* __libc_pvalloc(size_t);

void* malloc(size_t size) { return __libc_malloc(size); }
void free(void* pointer) { __libc_free(pointer); }
void* calloc(size_t count, size_t size) { return __libc_calloc(count, size); }
void* realloc(void* pointer, size_t size) { return __libc_realloc(pointer, size); }
void* memalign(size_t alignment, size_t size) { return __libc_memalign(alignment, size); }
void* aligned_alloc(size_t alignment, size_t size) { return __libc_memalign(alignment, size); }
void* valloc(size_t size) { return __libc_valloc(size); }
void* pvalloc(size_t size) { return __libc_pvalloc(size); }

int posix_memalign(void** result, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0)
    return EINVAL;
  void* block = __libc_memalign(alignment, size);
  if (block == NULL) return ENOMEM;
  *result = block;
  return 0;
}
