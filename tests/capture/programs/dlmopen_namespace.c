/* dlmopen_namespace PATH: loads libcapture_deepbind.so into a new namespace (dlmopen
 * LM_ID_NEWLM, with RTLD_DEEPBIND too) and runs it. A new namespace has its own libc, and the
 * preload is not in it: nothing there is recorded, and nothing of ours may disturb it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  void* library = dlmopen(LM_ID_NEWLM, argv[1], RTLD_NOW | RTLD_DEEPBIND);
  if (library == NULL) {
    printf("dlmopen failed\n");
    return 1;
  }
  int (*run)(int) = (int (*)(int))dlsym(library, "deepbind_run");
  printf("namespace run ok=%d\n", run(200));
  return 0;
}
