/* dlsym_calloc_shim.so: preloaded after libclwleak.so, it makes dlsym() call calloc() the way older
 * C libraries did, so that the test sees libclwleak.so resolve the real allocator while a calloc
 * arrives before it knows where calloc is (served from its bootstrap arena). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int reported;

void* dlsym(void* handle, const char* name) {
  static void* (*real_dlsym)(void*, const char*);
  if (real_dlsym == NULL) real_dlsym = (void* (*)(void*, const char*))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
  unsigned char* scratch = calloc(1, 64);
  int zeroed = scratch != NULL;
  for (int i = 0; scratch != NULL && i < 64; ++i) zeroed &= scratch[i] == 0;
  free(scratch);
  if (!reported) {
    reported = 1;
    const char* line = zeroed ? "[shim] calloc during dlsym: zeroed=1\n" : "[shim] calloc during dlsym: zeroed=0\n";
    write(2, line, strlen(line));
  }
  return real_dlsym(handle, name);
}
