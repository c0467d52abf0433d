/* basic_allocations: every allocating function of the malloc family, each from its own site, some
 * blocks kept (leaked) and others freed, with realloc growing, shrinking, moving and freeing. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "truth.h"

static void* kept[64];
static int kept_count;

static void keep(void* block) { kept[kept_count++] = block; }

NOINLINE static void leak_malloc(size_t size) { keep(malloc(size)); }
NOINLINE static void leak_calloc(size_t count, size_t size) { keep(calloc(count, size)); }
NOINLINE static void* grow(void* block, size_t size) { return realloc(block, size); }
NOINLINE static void leak_posix_memalign(size_t alignment, size_t size) {
  void* block = NULL;
  if (posix_memalign(&block, alignment, size) == 0) keep(block);
}
NOINLINE static void leak_aligned_alloc(size_t alignment, size_t size) {
  keep(aligned_alloc(alignment, size));
}
NOINLINE static void leak_memalign(size_t alignment, size_t size) {
  keep(memalign(alignment, size));
}
NOINLINE static void leak_valloc(size_t size) { keep(valloc(size)); }
NOINLINE static void leak_pvalloc(size_t size) { keep(pvalloc(size)); }
NOINLINE static void leak_reallocarray(size_t count, size_t size) {
  keep(reallocarray(NULL, count, size));
}
NOINLINE static void churn(size_t size) {
  for (int i = 0; i < 100; ++i) {
    void* block = malloc(size + (size_t)i);
    memset(block, i, 16);
    free(block);
  }
}

int main(void) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  for (int i = 0; i < 3; ++i) leak_malloc(1000);
  leak_calloc(10, 30);
  leak_calloc(1, 4000);
  /* realloc: the live block is the last one, from the last realloc's stack. */
  void* moving = malloc(100);
  moving = grow(moving, 300);
  moving = grow(moving, 70000); /* large enough to move */
  moving = grow(moving, 200);   /* shrink */
  keep(moving);
  void* freed_by_realloc = malloc(64);
  if (realloc(freed_by_realloc, 0) != NULL) return 1; /* glibc frees it and returns NULL */
  leak_posix_memalign(64, 500);
  leak_posix_memalign(4096, 100);
  leak_aligned_alloc(256, 512);
  leak_memalign(128, 333);
  leak_valloc(123);
  leak_pvalloc(5);
  leak_reallocarray(7, 11);
  churn(777);
  int usable_ok = 1;
  for (int i = 0; i < kept_count; ++i) usable_ok &= malloc_usable_size(kept[i]) > 0;
  printf("kept %d blocks, usable sizes ok=%d\n", kept_count, usable_ok);
  print_truth("main", "leak_malloc", 3000, 3);
  print_truth("main", "leak_calloc", 300 + 4000, 2);
  print_truth("main", "grow", 200, 1);
  print_truth("main", "leak_posix_memalign", 600, 2);
  print_truth("main", "leak_aligned_alloc", 512, 1);
  print_truth("main", "leak_memalign", 333, 1);
  print_truth("main", "leak_valloc", 123, 1);
  print_truth("main", "leak_pvalloc", page, 1); /* pvalloc rounds up to a whole page */
  print_truth("main", "leak_reallocarray", 77, 1);
  print_truth("main", "churn", 0, 0);
  return 0;
}
