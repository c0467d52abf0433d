/* cross_thread: a producer thread allocates blocks, a consumer thread frees every other one; the
 * rest stay. Each free is made by a thread that did not allocate the block. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

enum { kBlocks = 2000 };
static void* blocks[kBlocks];

NOINLINE static void producer_alloc(int i) {
  blocks[i] = malloc(100 + (size_t)(i % 7));
  memset(blocks[i], 4, 16);
}

static void* produce(void* unused) {
  (void)unused;
  for (int i = 0; i < kBlocks; ++i) producer_alloc(i);
  return NULL;
}

static void* consume(void* unused) {
  (void)unused;
  for (int i = 0; i < kBlocks; i += 2) free(blocks[i]);
  return NULL;
}

int main(void) {
  pthread_t producer, consumer;
  pthread_create(&producer, NULL, produce, NULL);
  pthread_join(producer, NULL);
  pthread_create(&consumer, NULL, consume, NULL);
  pthread_join(consumer, NULL);
  unsigned long long bytes = 0, count = 0;
  for (int i = 1; i < kBlocks; i += 2) {
    bytes += 100 + (size_t)(i % 7);
    ++count;
  }
  printf("freed on another thread\n");
  print_truth("main", "producer_alloc", bytes, count);
  return 0;
}
