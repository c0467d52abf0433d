/* exit_nested: leaves with exit(3) from deep inside a call chain. An atexit handler frees one of
 * the leaked blocks first: the final snapshot is written after the handlers ran. */
#include <stdlib.h>
#include <string.h>

#include "truth.h"

static void* kept[4];

NOINLINE static void leak_before_exit(int slot) {
  kept[slot] = malloc(4096);
  memset(kept[slot], slot, 4096);
}
static void free_one_at_exit(void) { free(kept[0]); }

NOINLINE static void leave(void) {
  print_truth("main", "leak_before_exit", 3 * 4096, 3);
  exit(3);
}
NOINLINE static void deeper(void) { leave(); }
NOINLINE static void deepest_caller(void) { deeper(); }

int main(void) {
  atexit(free_one_at_exit);
  for (int i = 0; i < 4; ++i) leak_before_exit(i);
  printf("leaving from a nested call\n");
  deepest_caller();
  return 0;
}
