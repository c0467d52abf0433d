/* aligned_host: the allocation calls that valgrind's memcheck does not redirect (reallocarray) or
 * redirects differently (aligned_alloc, posix_memalign), mixed with the ones it does, freed in
 * every way. Prints the total of what it allocated. Under valgrind (with the preload in the
 * environment) memcheck must find no error; built with a sanitizer, the sanitizer none. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  unsigned long total = 0;
  for (int i = 0; i < 200; ++i) {
    size_t count = 1 + (size_t)i % 7;
    char* grown = reallocarray(NULL, count, 48);
    grown = reallocarray(grown, count * 2, 48);
    memset(grown, i, count * 2 * 48);
    char* aligned = aligned_alloc(64, 128 * (1 + (size_t)i % 4));
    memset(aligned, i, 128);
    void* posix = NULL;
    if (posix_memalign(&posix, 256, 4096) != 0) return 1;
    char* plain = malloc(100 + (size_t)i);
    plain = realloc(plain, 300 + (size_t)i);
    total += count * 2 * 48 + 128 * (1 + (unsigned long)i % 4) + 4096 + 300 + (unsigned long)i;
    free(grown);
    free(aligned);
    free(posix);
    free(plain);
  }
  printf("allocated %lu bytes\n", total);
  return 0;
}
