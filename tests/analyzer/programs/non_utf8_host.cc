// non_utf8_host LIBRARY REQUESTS BYTES ARGUMENT: a host whose names are not UTF-8, for
// non_utf8_names_test.cc. It dlopens LIBRARY (a path that is not UTF-8), calls the library's
// leaking function, whose symbol is "caf\xE9_leak", REQUESTS times with BYTES each (counting each
// call with clwleak_request_done(), pacing so that the preload takes several snapshots), and writes
// ARGUMENT (not UTF-8 either) on stdout and stderr, so that the test can compare both streams with
// a bare run's. Prints its truth: requests=<n> leaked_bytes=<n>.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clwleak/clwleak.h"

void* volatile g_last;  // keeps the leaked blocks from being optimized away

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: non_utf8_host LIBRARY REQUESTS BYTES ARGUMENT\n");
    return 2;
  }
  void* library = dlopen(argv[1], RTLD_NOW);
  using LeakFunction = void* (*)(size_t);
  auto leak =
      library != nullptr ? reinterpret_cast<LeakFunction>(dlsym(library, "caf\xe9_leak")) : nullptr;
  if (leak == nullptr) {
    fprintf(stderr, "cannot load the leaking function: %s\n", dlerror());
    return 1;
  }
  const long requests = atol(argv[2]);
  const size_t bytes = strtoull(argv[3], nullptr, 10);
  for (long i = 0; i < requests; ++i) {
    g_last = leak(bytes);
    clwleak_request_done();
    if (i % 40 == 0) {
      timespec pause = {0, 2000000};
      nanosleep(&pause, nullptr);
    }
  }
  printf("argument=%s\nrequests=%ld leaked_bytes=%zu\n", argv[4], requests,
         static_cast<size_t>(requests) * bytes);
  fprintf(stderr, "argument on stderr=%s\n", argv[4]);
  return 0;
}
