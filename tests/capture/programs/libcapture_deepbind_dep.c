/* libcapture_deepbind_dep.so: a dependency of libcapture_deepbind.so that nothing else loads, so
 * it comes in with the RTLD_DEEPBIND load and binds like it (glibc's free first). */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE char* deepbind_dep_copy(const char* text) { return strdup(text); }
NOINLINE void deepbind_dep_release(void* block) { free(block); }
