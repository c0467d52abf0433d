/* sigterm_exit: a service's way to stop: its SIGTERM handler calls exit(4), which runs the atexit
 * handlers and the preload's final snapshot. The signal arrives while main waits (raise), not
 * inside malloc. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "truth.h"

static void* kept[4];

NOINLINE static void leak_until_terminated(int slot) {
  kept[slot] = malloc(6060);
  memset(kept[slot], 14, 6060);
}

static void stop(int signal_number) {
  (void)signal_number;
  exit(4);
}

int main(void) {
  for (int i = 0; i < 4; ++i) leak_until_terminated(i);
  print_truth("main", "leak_until_terminated", 4 * 6060, 4);
  signal(SIGTERM, stop);
  raise(SIGTERM);
  return 1;  // not reached
}
