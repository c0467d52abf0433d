// libleaky.so: a shared library that leaks a known number of bytes from one known function, for
// the capture tests. noinline keeps `leaky_retain_buffer` a frame of its own in every stack.
#include <stdlib.h>
#include <string.h>

extern "C" {

__attribute__((noinline, visibility("default"))) void* leaky_retain_buffer(size_t size) {
  void* block = malloc(size);
  if (block != nullptr) memset(block, 0xab, size);
  return block;
}

__attribute__((noinline, visibility("default"))) void leaky_churn(size_t size) {
  void* block = malloc(size);
  if (block != nullptr) memset(block, 0xcd, size);
  // Keep the compiler from folding the malloc/free pair away.
  __asm__ volatile("" : : "r"(block) : "memory");
  free(block);
}

}  // extern "C"
