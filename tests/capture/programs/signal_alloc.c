/* signal_alloc: signal handlers that allocate, on the thread's stack and on an alternate signal
 * stack, keeping some blocks and freeing others. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

static void* kept[64];
static volatile int kept_count;

NOINLINE static void handler_alloc(int signal_number) {
  void* block = malloc(160);
  memset(block, signal_number, 160);
  if (signal_number == SIGUSR1) {
    kept[kept_count++] = block;
  } else {
    free(block);
  }
}

NOINLINE static void altstack_alloc(int signal_number) {
  kept[kept_count] = malloc(96);
  memset(kept[kept_count++], signal_number, 96);
}

int main(void) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = handler_alloc;
  sigaction(SIGUSR1, &action, NULL);
  sigaction(SIGUSR2, &action, NULL);
  static char alternate[65536];
  stack_t stack = {.ss_sp = alternate, .ss_size = sizeof(alternate), .ss_flags = 0};
  sigaltstack(&stack, NULL);
  action.sa_handler = altstack_alloc;
  action.sa_flags = SA_ONSTACK;
  sigaction(SIGWINCH, &action, NULL);
  for (int i = 0; i < 10; ++i) {
    raise(SIGUSR1);
    raise(SIGUSR2);
  }
  for (int i = 0; i < 5; ++i) raise(SIGWINCH);
  printf("handled %d signals\n", 25);
  print_truth("main", "handler_alloc", 10 * 160, 10);
  print_truth("main", "altstack_alloc", 5 * 96, 5);
  return 0;
}
