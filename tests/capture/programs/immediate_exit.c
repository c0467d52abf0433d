/* immediate_exit _exit|_Exit|exit_group|handler: leaks, then leaves at once (no destructors)
 * before the first interval snapshot, with exit status 5, 6 or 7; or (handler) calls _exit(8) from
 * a signal handler, where no final snapshot can be written safely (the handler may have
 * interrupted malloc): it prints no truth then, and the file ends without one. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "truth.h"

static void* kept[4];

NOINLINE static void leak_then_exit(int slot) {
  kept[slot] = malloc(5555);
  memset(kept[slot], 18, 5555);
}

static void exit_from_handler(int signal_number) {
  (void)signal_number;
  _exit(8);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  for (int i = 0; i < 4; ++i) leak_then_exit(i);
  if (strcmp(argv[1], "handler") == 0) {
    printf("leaving from a signal handler\n");
    fflush(stdout);
    signal(SIGTERM, exit_from_handler);
    raise(SIGTERM);
  }
  print_truth("main", "leak_then_exit", 4 * 5555, 4);
  if (strcmp(argv[1], "_exit") == 0) _exit(5);
  if (strcmp(argv[1], "_Exit") == 0) _Exit(6);
  if (strcmp(argv[1], "exit_group") == 0) syscall(SYS_exit_group, 7);
  return 2;
}
