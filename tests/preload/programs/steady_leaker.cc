// steady_leaker: leaks 4096 bytes from steady_retain every millisecond until it is killed, and
// prints "started" once it has run for a little while. The SIGKILL test kills it mid-run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern "C" __attribute__((noinline)) void* steady_retain(size_t size) {
  return memset(malloc(size), 4, size);
}

int main() {
  static void* volatile sink;
  (void)sink;
  for (long i = 0;; ++i) {
    sink = steady_retain(4096);
    timespec pause = {0, 1000000};
    nanosleep(&pause, nullptr);
    if (i == 100) {
      printf("started\n");
      fflush(stdout);
    }
  }
}
