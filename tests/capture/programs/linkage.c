/* linkage direct|pointers: the same leaks and frees made through the program's own bindings of
 * the allocator (the program is built both lazily bound and with -z now), or through function
 * pointers taken from them (address-taken malloc, realloc and free, and free handed to a function
 * that calls it back). */
#include <stdlib.h>
#include <string.h>

#include "truth.h"

typedef void* (*Allocate)(size_t);
typedef void (*Release)(void*);
typedef void* (*Resize)(void*, size_t);

/* volatile: every call really goes through the pointer */
static Allocate volatile allocate_pointer = malloc;
static Release volatile release_pointer = free;
static Resize volatile resize_pointer = realloc;

static void* kept[32];

NOINLINE static void release_all(void** blocks, int count, Release release) {
  for (int i = 0; i < count; ++i) release(blocks[i]);
}

NOINLINE static void linkage_leak(int slot, int pointers) {
  if (pointers) {
    kept[slot] = allocate_pointer(512);
    kept[slot] = resize_pointer(kept[slot], 1536);
  } else {
    kept[slot] = malloc(512);
    kept[slot] = realloc(kept[slot], 1536);
  }
  memset(kept[slot], 13, 1536);
}

NOINLINE static void linkage_scratch(void** blocks, int count, int pointers) {
  for (int i = 0; i < count; ++i) blocks[i] = pointers ? allocate_pointer(77) : malloc(77);
}

int main(int argc, char** argv) {
  const int pointers = argc > 1 && strcmp(argv[1], "pointers") == 0;
  void* scratch[10];
  linkage_scratch(scratch, 10, pointers);
  if (pointers) {
    release_all(scratch, 10, release_pointer);
  } else {
    for (int i = 0; i < 10; ++i) free(scratch[i]);
  }
  for (int i = 0; i < 6; ++i) linkage_leak(i, pointers);
  printf("bound %s\n", pointers ? "through pointers" : "directly");
  print_truth("main", "linkage_leak", 6 * 1536, 6);
  print_truth("main", "linkage_scratch", 0, 0);
  return 0;
}
