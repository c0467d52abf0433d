// leaky_program COUNT SIZE: leaks COUNT blocks of SIZE bytes through libleaky.so's
// leaky_retain_buffer, interleaved with as many freed blocks (churn), then prints its truth:
//   leaked_bytes=<COUNT*SIZE> leaked_count=<COUNT>
#include <stdio.h>
#include <stdlib.h>

#include <vector>

extern "C" void* leaky_retain_buffer(size_t size);
extern "C" void leaky_churn(size_t size);

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: leaky_program COUNT SIZE\n");
    return 2;
  }
  const size_t count = strtoull(argv[1], nullptr, 10);
  const size_t size = strtoull(argv[2], nullptr, 10);
  std::vector<void*>* kept = new std::vector<void*>();  // the leak: never freed
  kept->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    kept->push_back(leaky_retain_buffer(size));
    leaky_churn(size);
  }
  printf("leaked_bytes=%zu leaked_count=%zu\n", count * size, count);
  return 0;
}
