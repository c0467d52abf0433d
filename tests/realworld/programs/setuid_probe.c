/* The setuid test's program: linked against libclwleak.so (so the preload is loaded even in a
 * secure process), allocates a little and prints whether the kernel made it setuid (euid differs
 * from uid, AT_SECURE set), so the test can tell "not profiled" from "setuid did not take". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(void) {
  unsigned long sum = 0;
  for (int i = 0; i < 2000; ++i) {
    char* p = malloc(100 + (size_t)i);
    if (p == NULL) return 1;
    memset(p, i & 0xff, 100);
    sum += (unsigned char)p[0];
    free(p);
  }
  printf("uid=%u euid=%u secure=%lu sum=%lu\n", (unsigned)getuid(), (unsigned)geteuid(),
         getauxval(AT_SECURE), sum);
  return 0;
}
