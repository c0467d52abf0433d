/* libc_names: calls glibc's own names for its allocator (__libc_malloc, __libc_free...), as code
 * does that wants "the real malloc" behind any interposer, mixed with the plain names. The
 * preload's blocks may reach __libc_free and __libc_realloc (which are the preload's); what
 * __libc_malloc returns is glibc's, unrecorded until a realloc moves it. */
#include <stdlib.h>
#include <string.h>

#include "truth.h"

extern void* __libc_malloc(size_t);
extern void __libc_free(void*);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);

static void* kept[8];

NOINLINE static void libc_names_keep(int slot) {
  kept[slot] = __libc_malloc(700);
  kept[slot] = __libc_realloc(kept[slot], 1400);
  memset(kept[slot], 15, 1400);
}

NOINLINE static void libc_names_churn(void) {
  for (int i = 0; i < 100; ++i) {
    __libc_free(strdup("made by strdup, freed by __libc_free"));
    free(__libc_malloc(64));
    __libc_free(malloc(64));
    __libc_free(__libc_calloc(4, 50));
    __libc_free(__libc_memalign(64, 200));
  }
}

int main(void) {
  libc_names_churn();
  for (int i = 0; i < 3; ++i) libc_names_keep(i);
  printf("glibc's names used\n");
  print_truth("main", "libc_names_keep", 3 * 1400, 3);
  print_truth("main", "libc_names_churn", 0, 0);
  return 0;
}
