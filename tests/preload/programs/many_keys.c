/* many_keys.c: linked into threads_exact_many_keys, it takes the process's first 40 pthread keys
 * from the program's .preinit_array, which ld.so runs before any library's initializer and so
 * before any allocation can start libclwleak.so's capture: the preload's own keys are numbered 40
 * and up, keys whose pthread_setspecific would allocate (glibc keeps only the first 32 in the
 * thread). */
#include <pthread.h>
#include <stdio.h>

static void take_keys(int argc, char** argv, char** envp) {
  (void)argc;
  (void)argv;
  (void)envp;
  pthread_key_t key = 0;
  for (int i = 0; i < 40; ++i) {
    if (pthread_key_create(&key, NULL) != 0) break;
  }
  fprintf(stderr, "[many_keys] last key %u\n", (unsigned)key);
}

__attribute__((section(".preinit_array"),
               used)) static void (*const preinit_take_keys)(int, char**, char**) = take_keys;
