/* anonymous_kinds: anonymous memory of every kind, over 24 "requests" with a snapshot after each.
 * Per request it leaks a shared anonymous segment (MAP_SHARED|MAP_ANONYMOUS), reserves PROT_NONE
 * address space and commits part of it by mprotect and part by a MAP_FIXED mapping, leaks private
 * anonymous memory and a heap block. Once, at the start, a MAP_NORESERVE reservation and a shared
 * segment that mremap grows (it stays shared). Truth lines carry the kind (5th field): only the
 * heap and the private ("mmap") memory can leak. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clwleak/clwleak.h"
#include "truth.h"

enum { kRequests = 24 };
static size_t page;

NOINLINE static char* map_shared(size_t pages) {
  return mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}
NOINLINE static char* reserve_space(size_t pages) {
  return mmap(NULL, pages * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}
NOINLINE static char* reserve_noreserve(size_t pages) {
  return mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}
NOINLINE static void commit_by_mprotect(char* at, size_t pages) {
  mprotect(at, pages * page, PROT_READ | PROT_WRITE);
  memset(at, 3, pages * page);
}
NOINLINE static void commit_by_fixed(char* at, size_t pages) {
  mmap(at, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  memset(at, 4, pages * page);
}
NOINLINE static char* map_private(size_t pages) {
  char* memory =
      mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(memory, 5, pages * page);
  return memory;
}
NOINLINE static char* grow_shared(char* old, size_t old_pages, size_t new_pages) {
  return mremap(old, old_pages * page, new_pages * page, MREMAP_MAYMOVE);
}
NOINLINE static void* leak_heap(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 6, bytes);
  return block;
}

int main(void) {
  page = (size_t)sysconf(_SC_PAGESIZE);
  /* stdout's buffer is allocated now, not between the last snapshots. */
  printf("mapping every kind\n");
  fflush(stdout);
  /* Once: a read-write MAP_NORESERVE reservation (8 pages, 2 committed by mprotect), and a shared
   * segment grown from 4 to 12 pages by mremap. */
  char* sparse = reserve_noreserve(8);
  commit_by_mprotect(sparse + 6 * page, 2);
  char* grown = grow_shared(map_shared(4), 4, 12);
  memset(grown, 7, 4 * page); /* the shared object behind it stays 4 pages long */
  for (int request = 0; request < kRequests; ++request) {
    char* shared = map_shared(16);
    memset(shared, 1, 16 * page);
    /* 64 pages reserved: 4 committed by mprotect (pages 8-11), 2 by MAP_FIXED (pages 40-41). */
    char* reserved = reserve_space(64);
    commit_by_mprotect(reserved + 8 * page, 4);
    commit_by_fixed(reserved + 40 * page, 2);
    map_private(1);
    leak_heap(1000);
    clwleak_requests_add(1);
    (void)clwleak_snapshot_now();
    usleep(10000); /* requests spread over time, as a server's are */
  }
  printf("mapped every kind\n");
  const unsigned long long n = kRequests;
  print_truth_kind("main", "map_shared", 16 * page * n, n, "shared_anon");
  print_truth_kind("main", "grow_shared", 12 * page, 1, "shared_anon");
  /* Each reservation keeps 58 of its 64 pages (one piece split in three; its count stays once). */
  print_truth_kind("main", "reserve_space", 58 * page * n, n, "reserved");
  print_truth_kind("main", "reserve_noreserve", 6 * page, 1, "reserved");
  /* Committed parts count as private memory at the committing call, one mapping each. */
  print_truth_kind("main", "commit_by_mprotect", (4 * n + 2) * page, n + 1, "mmap");
  print_truth_kind("main", "commit_by_fixed", 2 * page * n, n, "mmap");
  print_truth_kind("main", "map_private", page * n, n, "mmap");
  print_truth_kind("main", "leak_heap", 1000 * n, n, "heap");
  return 0;
}
