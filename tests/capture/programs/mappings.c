/* mappings: anonymous mmaps trimmed by partial munmaps (middle, head, tail), replaced in part by a
 * MAP_FIXED mapping, moved and grown by mremap, and one unmapped whole. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "truth.h"

static size_t page;

static char* map_pages(size_t pages) {
  return mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

NOINLINE static char* map_trimmed(void) { return map_pages(16); }
NOINLINE static char* map_replaced(void) { return map_pages(8); }
NOINLINE static void map_fixed_over(char* at, size_t pages) {
  mmap(at, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}
NOINLINE static char* map_moved(void) { return map_pages(4); }
NOINLINE static char* remap_grown(char* old) {
  return mremap(old, 4 * page, 12 * page, MREMAP_MAYMOVE);
}
NOINLINE static char* map_gone(void) { return map_pages(5); }

int main(void) {
  page = (size_t)sysconf(_SC_PAGESIZE);
  char* trimmed = map_trimmed();
  memset(trimmed, 1, 16 * page);
  munmap(trimmed + 6 * page, 4 * page); /* a hole in the middle: 12 pages left */
  munmap(trimmed, 2 * page);            /* the head: 10 left */
  munmap(trimmed + 15 * page, page);    /* the tail: 9 left */
  char* replaced = map_replaced();
  map_fixed_over(replaced + 2 * page, 3); /* 5 pages of the old mapping left, 3 new */
  char* moved = remap_grown(map_moved());
  memset(moved, 2, 12 * page);
  char* gone = map_gone();
  munmap(gone, 5 * page);
  printf("mapped and trimmed\n");
  print_truth("main", "map_trimmed", 9 * page, 1);
  print_truth("main", "map_replaced", 5 * page, 1);
  print_truth("main", "map_fixed_over", 3 * page, 1);
  print_truth("main", "remap_grown", 12 * page, 1);
  print_truth("main", "map_moved", 0, 0);
  print_truth("main", "map_gone", 0, 0);
  return 0;
}
