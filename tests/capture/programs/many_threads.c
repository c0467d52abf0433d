/* many_threads: 8 threads make 50,000 allocations each (400,000 in all) of varying sizes, keeping
 * one in 100 and freeing the others, some right away and some in batches. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

enum { kThreads = 8, kPerThread = 50000, kKeepEvery = 100, kBatch = 64 };
static void* kept[kThreads][kPerThread / kKeepEvery];
static unsigned long long kept_bytes[kThreads];

NOINLINE static void* thread_alloc(size_t size) {
  void* block = malloc(size);
  memset(block, 12, size < 32 ? size : 32);
  return block;
}

static void* work(void* argument) {
  const int id = (int)(long)argument;
  void* batch[kBatch];
  int batched = 0;
  for (int i = 0; i < kPerThread; ++i) {
    const size_t size = 16 + (size_t)((i * 37 + id * 11) % 1000);
    void* block = thread_alloc(size);
    if (i % kKeepEvery == 0) {
      kept[id][i / kKeepEvery] = block;
      kept_bytes[id] += size;
    } else if (i % 3 == 0) {
      free(block);
    } else {
      batch[batched++] = block;
      if (batched == kBatch) {
        while (batched > 0) free(batch[--batched]);
      }
    }
  }
  while (batched > 0) free(batch[--batched]);
  return NULL;
}

int main(void) {
  pthread_t threads[kThreads];
  for (long t = 0; t < kThreads; ++t) pthread_create(&threads[t], NULL, work, (void*)t);
  unsigned long long bytes = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], NULL);
    bytes += kept_bytes[t];
  }
  printf("%d allocations on %d threads\n", kThreads * kPerThread, kThreads);
  print_truth("main", "thread_alloc", bytes, kThreads * (kPerThread / kKeepEvery));
  return 0;
}
