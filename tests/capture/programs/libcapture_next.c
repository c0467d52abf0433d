/* libcapture_next.so: linked to rtld_next_host, so loaded after libclwleak.so. It takes the
 * allocator from dlsym(RTLD_NEXT, ...), the next definition after itself, which is glibc's, and
 * also through dlvsym, RTLD_DEFAULT, and a dlsym found with dlsym; libc's strdup allocates through
 * the preload's malloc all the while. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

typedef void* (*Allocate)(size_t);
typedef void (*Release)(void*);
typedef void* (*Resize)(void*, size_t);
typedef size_t (*Measure)(void*);
typedef void* (*Lookup)(void*, const char*);

static void* kept[16];

NOINLINE static void next_keep(Allocate allocate, int slot) {
  kept[slot] = allocate(2500);
  memset(kept[slot], 14, 2500);
}

NOINLINE static int next_churn(Release release, Resize resize, Measure measure, int blocks) {
  int ok = 1;
  for (int i = 0; i < blocks; ++i) {
    char* copy = strdup("copied by libc's strdup, freed through RTLD_NEXT");
    ok &= measure(copy) >= 16;
    copy = resize(copy, 3000);
    release(copy);
  }
  return ok;
}

NOINLINE int next_run(int blocks) {
  Allocate allocate = (Allocate)dlsym(RTLD_NEXT, "malloc");
  Release release = (Release)dlsym(RTLD_NEXT, "free");
  Resize resize = (Resize)dlsym(RTLD_NEXT, "realloc");
  Measure measure = (Measure)dlsym(RTLD_NEXT, "malloc_usable_size");
  Release versioned = (Release)dlvsym(RTLD_NEXT, "free", "GLIBC_2.2.5");
  Release global = (Release)dlsym(RTLD_DEFAULT, "free");
  Lookup next_dlsym = (Lookup)dlsym(RTLD_NEXT, "dlsym");
  Release found_by_found = (Release)next_dlsym(RTLD_NEXT, "free");
  Release libc_free = (Release)dlsym(RTLD_NEXT, "__libc_free");
  int ok = next_churn(release, resize, measure, blocks);
  ok &= next_churn(versioned, resize, measure, 10);
  ok &= next_churn(global, resize, measure, 10);
  ok &= next_churn(found_by_found, resize, measure, 10);
  ok &= next_churn(libc_free, resize, measure, 10);
  for (int i = 0; i < 4; ++i) next_keep(allocate, i);
  return ok;
}
