/* libcapture_ctor.so: a library whose constructor allocates, linked to ctor_host: ld.so runs its
 * constructor before libclwleak.so's, and the block must be recorded at this function. */
#include <stdlib.h>
#include <string.h>

void* ctor_block;

__attribute__((constructor, noinline)) void ctor_allocates(void) {
  ctor_block = malloc(777777);
  memset(ctor_block, 16, 64);
}
