/* interpose_exercise: calls every function libclwleak.so interposes, in the corner cases that
 * matter, and prints what each returned. The test compares this output with a run without the
 * preload: it must be identical. Only values that do not depend on addresses are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int all_bytes(const unsigned char* p, size_t n, unsigned char value) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != value) return 0;
  return 1;
}

int main(void) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);

  char* m = malloc(100);
  memset(m, 7, 100);
  printf("malloc: ok=%d usable>=100:%d\n", m != NULL, malloc_usable_size(m) >= 100);
  free(m);
  free(NULL);
  printf("malloc(0): %s\n", malloc(0) != NULL ? "non-null" : "null");

  unsigned char* c = calloc(1000, 8);
  printf("calloc zeroed: %d\n", c != NULL && all_bytes(c, 8000, 0));
  free(c);
  errno = 0;
  void* huge = calloc(SIZE_MAX / 2, 4);
  printf("calloc overflow: %s errno=%s\n", huge ? "non-null" : "null", errno == ENOMEM ? "ENOMEM" : "other");

  char* r = realloc(NULL, 64);
  memset(r, 3, 64);
  r = realloc(r, 100000);
  printf("realloc grow keeps data: %d\n", all_bytes((unsigned char*)r, 64, 3));
  r = realloc(r, 16);
  printf("realloc shrink keeps data: %d\n", all_bytes((unsigned char*)r, 16, 3));
  void* zero = realloc(r, 0);
  printf("realloc to 0: %s\n", zero ? "non-null" : "null");
  free(zero);

  errno = 0;
  void* ra = reallocarray(NULL, SIZE_MAX / 2, 4);
  printf("reallocarray overflow: %s errno=%s\n", ra ? "non-null" : "null", errno == ENOMEM ? "ENOMEM" : "other");
  ra = reallocarray(NULL, 10, 10);
  printf("reallocarray: %s\n", ra ? "non-null" : "null");
  free(ra);

  void* aligned = NULL;
  int rc = posix_memalign(&aligned, 256, 1000);
  printf("posix_memalign: rc=%d aligned=%d\n", rc, ((uintptr_t)aligned % 256) == 0);
  free(aligned);
  rc = posix_memalign(&aligned, 3, 1000);
  printf("posix_memalign bad alignment: rc=%s\n", rc == EINVAL ? "EINVAL" : "other");
  void* aa = aligned_alloc(64, 640);
  printf("aligned_alloc: aligned=%d\n", aa != NULL && ((uintptr_t)aa % 64) == 0);
  free(aa);
  void* ma = memalign(128, 300);
  printf("memalign: aligned=%d\n", ma != NULL && ((uintptr_t)ma % 128) == 0);
  free(ma);
  void* va = valloc(100);
  printf("valloc: page aligned=%d\n", va != NULL && ((uintptr_t)va % page) == 0);
  free(va);
  void* pa = pvalloc(100);
  printf("pvalloc: page aligned=%d usable>=page:%d\n", pa != NULL && ((uintptr_t)pa % page) == 0,
         pa != NULL && malloc_usable_size(pa) >= page);
  free(pa);

  /* Blocks change hands between sampled and unsampled across reallocs (at a low sample rate a
   * block may be sampled at one size and not at the next): the data must follow every move. */
  unsigned char* walk = NULL;
  size_t walk_size = 0;
  int walk_ok = 1;
  for (int step = 0; step < 400; ++step) {
    size_t next = (size_t)(step % 37) * 97 + (step % 5 == 0 ? 70000 : 1);
    unsigned char* grown = realloc(walk, next);
    if (grown == NULL) { walk_ok = 0; break; }
    size_t kept = walk_size < next ? walk_size : next;
    for (size_t i = 0; i < kept; ++i) walk_ok &= grown[i] == (unsigned char)(i * 7 + step - 1);
    for (size_t i = 0; i < next; ++i) grown[i] = (unsigned char)(i * 7 + step);
    walk_ok &= malloc_usable_size(grown) >= next;
    walk = grown;
    walk_size = next;
  }
  free(walk);
  printf("realloc walk keeps data and usable size: %d\n", walk_ok);

  int align_ok = 1;
  for (size_t alignment = 32; alignment <= 65536; alignment <<= 1) {
    for (size_t size = 1; size < 20000; size = size * 3 + 5) {
      unsigned char* a = memalign(alignment, size);
      void* p = NULL;
      int rc = posix_memalign(&p, alignment, size);
      /* C11 allowed aligned_alloc to refuse a size that is not a multiple of the alignment, and
       * some allocators (jemalloc) do: round the size up for it. */
      unsigned char* b = aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
      if (a == NULL || b == NULL || rc != 0) {
        align_ok = 0;
        break;
      }
      align_ok &= (uintptr_t)a % alignment == 0 && (uintptr_t)p % alignment == 0 &&
                  (uintptr_t)b % alignment == 0;
      align_ok &= malloc_usable_size(a) >= size && malloc_usable_size(p) >= size;
      memset(a, 1, size);
      memset(p, 2, size);
      memset(b, 3, size);
      unsigned char* r = realloc(a, size + 100);
      align_ok &= r != NULL && all_bytes(r, size, 1) && all_bytes(p, size, 2) && all_bytes(b, size, 3);
      free(r);
      free(p);
      free(b);
    }
  }
  printf("aligned allocations: %d\n", align_ok);

  unsigned char* map = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap: %s zeroed=%d\n", map == MAP_FAILED ? "failed" : "ok", all_bytes(map, 16 * page, 0));
  memset(map, 9, 16 * page);
  printf("munmap middle: %d\n", munmap(map + 4 * page, 4 * page));
  printf("munmap head: %d\n", munmap(map, 2 * page));
  printf("tail intact: %d\n", all_bytes(map + 8 * page, 8 * page, 9));
  unsigned char* moved = mremap(map + 8 * page, 8 * page, 32 * page, MREMAP_MAYMOVE);
  printf("mremap grow: %s data kept=%d\n", moved == MAP_FAILED ? "failed" : "ok", all_bytes(moved, 8 * page, 9));
  printf("munmap rest: %d %d\n", munmap(map + 2 * page, 2 * page), munmap(moved, 32 * page));
  void* m64 = mmap64(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap64: %s\n", m64 == MAP_FAILED ? "failed" : "ok");
  munmap(m64, page);
  errno = 0;
  void* bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap length 0: %s errno=%s\n", bad == MAP_FAILED ? "MAP_FAILED" : "ok", errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("munmap unaligned: %d errno=%s\n", munmap((char*)m64 + 1, page), errno == EINVAL ? "EINVAL" : "other");
  return 0;
}
