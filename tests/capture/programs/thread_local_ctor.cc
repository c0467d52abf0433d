// thread_local_ctor: a thread_local object whose constructor allocates two blocks, one kept for
// good (leaked) and one its destructor frees when the thread exits; used by four threads and by
// the main thread (whose thread_local destructors run in exit(), before the final snapshot).
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>

#include "truth.h"

namespace {
void* g_kept[8];
std::atomic<int> g_kept_count{0};
}  // namespace

extern "C" NOINLINE void tls_ctor_keep() {
  void* block = malloc(256);
  memset(block, 8, 256);
  g_kept[g_kept_count++] = block;
}

extern "C" NOINLINE void* tls_ctor_scratch() { return calloc(1, 1024); }

struct PerThread {
  PerThread() : scratch(tls_ctor_scratch()) { tls_ctor_keep(); }
  ~PerThread() { free(scratch); }
  void* scratch;
};

thread_local PerThread t_state;

void* Use(void*) {
  static_cast<char*>(t_state.scratch)[0] = 1;
  return nullptr;
}

int main() {
  pthread_t threads[4];
  for (pthread_t& thread : threads) pthread_create(&thread, nullptr, Use, nullptr);
  for (pthread_t& thread : threads) pthread_join(thread, nullptr);
  Use(nullptr);
  printf("constructed %d\n", g_kept_count.load());
  print_truth("main", "tls_ctor_keep", 5 * 256, 5);
  print_truth("main", "tls_ctor_scratch", 0, 0);
  return 0;
}
