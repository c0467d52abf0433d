/* deepbind_host path|byname now|lazy: loads libcapture_deepbind.so with RTLD_DEEPBIND (by its path,
 * or by bare name through the program's RUNPATH), runs it and checks its leaks. */
#include <dlfcn.h>
#include <string.h>

#include "truth.h"

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const char* name = strcmp(argv[2], "byname") == 0 ? "libcapture_deepbind.so" : argv[1];
  const int binding = strcmp(argv[3], "lazy") == 0 ? RTLD_LAZY : RTLD_NOW;
  void* library = dlopen(name, binding | RTLD_DEEPBIND | RTLD_LOCAL);
  if (library == NULL) {
    printf("dlopen failed\n");
    return 1;
  }
  int (*run)(int) = (int (*)(int))dlsym(library, "deepbind_run");
  printf("deepbind run ok=%d\n", run(1000));
  print_truth("main", "deepbind_keep", 3 * 4096, 3);
  print_truth("main", "deepbind_keep_malloc", 5 * 1000, 5);
  print_truth("main", "deepbind_churn", 0, 0);
  return 0;
}
