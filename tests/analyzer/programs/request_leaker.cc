// request_leaker REQUESTS BYTES: a small worker for the analyzer's real-file test. Each request
// leaks BYTES through libleaky.so's leaky_retain_buffer, allocates and frees as much again, and is
// counted with clwleak_request_done(); requests are paced (20 us apart) so that the preload takes
// many snapshots. Prints its truth: requests=<n> leaked_bytes_per_request=<BYTES>.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clwleak/clwleak.h"

extern "C" void* leaky_retain_buffer(size_t size);
extern "C" void leaky_churn(size_t size);

void* volatile g_last;  // keeps the leaked blocks from being optimized away

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: request_leaker REQUESTS BYTES\n");
    return 2;
  }
  const long requests = atol(argv[1]);
  const size_t bytes = strtoull(argv[2], nullptr, 10);
  for (long i = 0; i < requests; ++i) {
    g_last = leaky_retain_buffer(bytes);
    leaky_churn(bytes);
    clwleak_request_done();
    if (i % 100 == 0) {
      timespec pause = {0, 2000000};
      nanosleep(&pause, nullptr);
    }
  }
  printf("requests=%ld leaked_bytes_per_request=%zu\n", requests, bytes);
  return 0;
}
