/* libcapture_deepbind.so: loaded with RTLD_DEEPBIND, so its free, realloc and malloc_usable_size
 * bind to glibc's while libc's strdup allocates through libclwleak.so's malloc. Its constructor
 * already strdup()s and free()s; deepbind_run copies and frees blocks of 4 KiB, resizes and
 * measures them, and keeps some (leaked). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

char* deepbind_dep_copy(const char* text);
void deepbind_dep_release(void* block);

static char text[4096];
static void* kept[64];
static int kept_count;

__attribute__((constructor)) static void deepbind_constructor(void) {
  memset(text, 'd', sizeof(text) - 1);
  for (int i = 0; i < 10; ++i) free(strdup(text));
}

NOINLINE static void deepbind_keep(void) { kept[kept_count++] = strdup(text); }
NOINLINE static void deepbind_keep_malloc(void) {
  kept[kept_count] = malloc(1000);
  memset(kept[kept_count++], 'k', 1000);
}

NOINLINE static int deepbind_churn(int blocks) {
  size_t usable = 0;
  for (int i = 0; i < blocks; ++i) {
    char* copy = strdup(text);
    usable += malloc_usable_size(copy) >= sizeof(text);
    copy = realloc(copy, 8192);
    free(copy);
  }
  for (int i = 0; i < 10; ++i) deepbind_dep_release(deepbind_dep_copy(text));
  void (*looked_up_free)(void*) = (void (*)(void*))dlsym(RTLD_DEFAULT, "free");
  looked_up_free(strdup(text));
  return usable == (size_t)blocks;
}

NOINLINE int deepbind_run(int blocks) {
  const int ok = deepbind_churn(blocks);
  for (int i = 0; i < 3; ++i) deepbind_keep();
  for (int i = 0; i < 5; ++i) deepbind_keep_malloc();
  return ok;
}
