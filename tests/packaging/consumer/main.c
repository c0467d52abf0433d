/* A consumer of the installed worker API: counts requests and leaks 1000 bytes per request, paced
 * (about 1 s in all) so that the profiler takes a series of snapshots. */
#include <clwleak/clwleak.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void* volatile g_sink;

__attribute__((noinline)) static void* consumer_keep(size_t size) {
  return memset(malloc(size), 7, size);
}

int main(void) {
  for (int i = 0; i < 20000; ++i) {
    g_sink = consumer_keep(1000);
    clwleak_request_done();
    if (i % 100 == 0) {
      struct timespec pause = {0, 5000000};
      nanosleep(&pause, NULL);
    }
  }
  printf("profiled=%d\n", clwleak_active());
  return 0;
}
