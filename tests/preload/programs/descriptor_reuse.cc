// descriptor_reuse INPUT OUTPUT: a host that closes every descriptor it did not open, then opens a
// file to read (INPUT, which it fills with 1,000 known bytes first) and one to write (OUTPUT) on
// the lowest numbers, and allocates on a new thread (a new thread's first stacks are unwound
// afresh). Prints what it reads and the size of what it wrote: under the preload, exactly what it
// prints bare. A profiler that kept a descriptor of its own on one of those numbers would take
// bytes of INPUT or add bytes to OUTPUT.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

void* volatile g_sink;

void* Allocate(void*) {
  for (int i = 0; i < 200; ++i) g_sink = malloc(100 + i);  // leaks: sampled in exact mode
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int fill = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  for (int i = 0; i < 100; ++i) write(fill, "0123456789", 10);
  close(fill);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  const int input = open(argv[1], O_RDONLY);
  const int output = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  for (int round = 0; round < 4; ++round) {
    pthread_t thread;
    pthread_create(&thread, nullptr, Allocate, nullptr);
    pthread_join(thread, nullptr);
  }
  char buffer[2000];
  const ssize_t got = read(input, buffer, sizeof(buffer));
  unsigned long sum = 0;
  for (ssize_t i = 0; i < got; ++i) sum = sum * 31 + static_cast<unsigned char>(buffer[i]);
  printf("input=%d output=%d read=%zd checksum=%lu written=%lld\n", input, output, got, sum,
         static_cast<long long>(lseek(output, 0, SEEK_END)));
  return 0;
}
