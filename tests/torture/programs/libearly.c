/* libearly.so: allocates from its constructor, which the dynamic loader runs before
 * libclwleak.so's own start-up when libearly.so is a dependency of the program. The program frees
 * those blocks later: the preload must pass frees of blocks it never saw straight through. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void* early_blocks[16];
int early_huge_refused;  /* 1 when the sizes no allocator can serve failed cleanly with ENOMEM */

__attribute__((constructor)) static void early_allocate(void) {
  /* Sizes above 2^63 make a sample counter grow instead of shrink: the preload's malloc and calloc
   * must still forward them safely, this early too. */
  volatile size_t huge_size = SIZE_MAX - 4096, half = SIZE_MAX / 2; /* hidden from the compiler */
  errno = 0;
  void* huge = malloc(huge_size);
  int huge_errno = errno;
  void* wide = calloc(half, 4);
  early_huge_refused = huge == NULL && huge_errno == ENOMEM && wide == NULL && errno == ENOMEM;
  for (int i = 0; i < 16; ++i) {
    early_blocks[i] = malloc(100 + 100 * (size_t)i);
    memset(early_blocks[i], i, 100);
  }
}
