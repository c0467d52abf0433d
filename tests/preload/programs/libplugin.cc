// libplugin.so: loaded with dlopen by process_events; leaks from plugin_retain.
#include <stdlib.h>
#include <string.h>

extern "C" __attribute__((noinline, visibility("default"))) void* plugin_retain(size_t size) {
  void* block = malloc(size);
  if (block != nullptr) memset(block, 0x5a, size);
  return block;
}
