/* libcapture_plugin.so: dlopened and dlclosed by dlopen_plugin; its leaks must keep their names
 * after it is unloaded. */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void* plugin_kept[8];

NOINLINE void plugin_leak(int slot, size_t size) {
  plugin_kept[slot] = malloc(size);
  memset(plugin_kept[slot], 3, size);
}

NOINLINE void plugin_churn(void) {
  for (int i = 0; i < 50; ++i) free(malloc(100 + (size_t)i));
}
