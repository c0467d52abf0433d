/* libearly.so: allocates from its constructor, which the dynamic loader runs before
 * libclwleak.so's own start-up when libearly.so is a dependency of the program. The program frees
 * those blocks later: the preload must pass frees of blocks it never saw straight through. */
#include <stdlib.h>
#include <string.h>

void* early_blocks[16];

__attribute__((constructor)) static void early_allocate(void) {
  for (int i = 0; i < 16; ++i) {
    early_blocks[i] = malloc(100 + 100 * (size_t)i);
    memset(early_blocks[i], i, 100);
  }
}
