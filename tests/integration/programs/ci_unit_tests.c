/* A project's "unit-test binary" for the CI examples (scripts/ci/) and the Pyroscope upload test:
 * 300 test cases over about 1.5 s, each counted as one request with clwleak_request_done(), as a
 * test suite would do from its per-test tear-down. Built twice (tests/integration/CMakeLists.txt):
 * with CI_LEAK=1 every test case loses 2000 bytes in ci_fixture_leak(), and prints the truth
 * `leak_bytes_per_request=2000`; with CI_LEAK=0 it frees them. Dynamically linked to libc only, so
 * that it also runs in the fresh Debian 12 root of tests/packaging/check_deb_debootstrap.sh. */
#include <clwleak/clwleak.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef CI_LEAK
#error "build with -DCI_LEAK=0 or -DCI_LEAK=1"
#endif

enum { kTests = 300, kLeakBytes = 2000 };

struct Node {
  struct Node* next;
  char payload[kLeakBytes - sizeof(struct Node*)];
};
static struct Node* g_kept; /* reachable, so no compiler removes the allocations */

__attribute__((noinline)) static struct Node* ci_fixture_leak(void) {
  struct Node* node = malloc(sizeof *node);
  if (node == NULL) abort();
  memset(node->payload, 1, sizeof node->payload);
  node->next = g_kept;
  return node;
}

int main(void) {
  for (int i = 0; i < kTests; ++i) {
    struct Node* node = ci_fixture_leak();
    if (CI_LEAK) {
      g_kept = node;
    } else {
      free(node);
    }
    clwleak_request_done();
    struct timespec pause = {0, 5000000}; /* 5 ms per test case */
    nanosleep(&pause, NULL);
  }
  printf("tests=%d passed=%d leak_bytes_per_request=%d profiled=%d\n", kTests, kTests,
         CI_LEAK ? kLeakBytes : 0, clwleak_active());
  return 0;
}
