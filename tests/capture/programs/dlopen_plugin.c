/* dlopen_plugin PLUGIN: loads PLUGIN, leaks through it, unloads it. */
#include <dlfcn.h>
#include <stdlib.h>

#include "truth.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (plugin == NULL) {
    printf("dlopen failed\n");
    return 1;
  }
  void (*leak)(int, size_t) = (void (*)(int, size_t))dlsym(plugin, "plugin_leak");
  void (*churn)(void) = (void (*)(void))dlsym(plugin, "plugin_churn");
  for (int i = 0; i < 4; ++i) leak(i, 3000);
  churn();
  dlclose(plugin);
  printf("plugin unloaded\n");
  print_truth("main", "plugin_leak", 12000, 4);
  print_truth("main", "plugin_churn", 0, 0);
  return 0;
}
