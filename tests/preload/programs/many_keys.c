/* libmany_keys.so: takes the process's first 40 pthread keys from its constructor. Preloaded after
 * libclwleak.so, its constructor runs first, so the preload's own keys are numbered 40 and up:
 * keys whose pthread_setspecific would allocate (glibc keeps only the first 32 in the thread). */
#include <pthread.h>
#include <stdio.h>

__attribute__((constructor)) static void take_keys(void) {
  pthread_key_t key = 0;
  for (int i = 0; i < 40; ++i) {
    if (pthread_key_create(&key, NULL) != 0) break;
  }
  fprintf(stderr, "[many_keys] last key %u\n", (unsigned)key);
}
