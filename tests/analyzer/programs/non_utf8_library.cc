// The leaking library of non_utf8_names_test.cc. The test copies this file into a directory whose
// name is not UTF-8, under a file name that is not UTF-8, and compiles it there with -g: the
// module's path, the function's symbol (the asm label below) and the source path that DWARF
// records then all hold bytes that are not UTF-8.
#include <stdlib.h>
#include <string.h>

extern "C" void* LeakInCafe(size_t bytes) __asm__("caf\xe9_leak");

extern "C" __attribute__((noinline, visibility("default"))) void* LeakInCafe(size_t bytes) {
  void* block = malloc(bytes);
  if (block != nullptr) memset(block, 0xE9, bytes);
  return block;
}
