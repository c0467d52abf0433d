// fd_closer FILE: behaves like a daemon that closes every descriptor it did not open, then puts
// a file of its own on a high descriptor number (where a profiler might keep its output) and keeps
// writing to it while it allocates. Prints the file's content length and checksum at the end: the
// preload must never write into the host's file.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  int own = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  for (int high = 900; high < 1000 && own >= 0; ++high) dup2(own, high);  // every high number
  static void* volatile sink;
  (void)sink;
  for (int i = 0; i < 40; ++i) {
    for (int fd = 900; fd < 1000; ++fd) write(fd, "host data\n", 10);
    for (int j = 0; j < 1000; ++j) sink = malloc(1000);  // leaks: the writer has work to do
    timespec pause = {0, 10000000};
    nanosleep(&pause, nullptr);
  }
  FILE* check = fopen(argv[1], "r");
  unsigned long length = 0, sum = 0;
  for (int c; check != nullptr && (c = fgetc(check)) != EOF; ++length) sum = sum * 31 + c;
  printf("length=%lu checksum=%lu\n", length, sum);
  return 0;
}
