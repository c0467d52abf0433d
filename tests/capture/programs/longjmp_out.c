/* longjmp_out: allocates at several depths of a call chain and longjmps out of the deepest; the
 * blocks made before the jump stay (leaked) unless freed after it. Also siglongjmp out of a signal
 * handler that allocated. */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

static jmp_buf jump;
static sigjmp_buf signal_jump;
static void* kept[64];
static volatile int kept_count;

NOINLINE static void alloc_then_jump(void) {
  kept[kept_count] = malloc(640);
  memset(kept[kept_count++], 5, 640);
  longjmp(jump, 1);
}
NOINLINE static void alloc_level_two(void) {
  kept[kept_count] = malloc(640);
  memset(kept[kept_count++], 5, 640);
  alloc_then_jump();
}
NOINLINE static void alloc_level_one(void) {
  kept[kept_count] = malloc(640);
  memset(kept[kept_count++], 5, 640);
  alloc_level_two();
}

NOINLINE static void alloc_in_handler(int signal_number) {
  (void)signal_number;
  kept[kept_count] = malloc(48);
  memset(kept[kept_count++], 6, 48);
  siglongjmp(signal_jump, 1);
}

static volatile int rounds;

int main(void) {
  for (rounds = 0; rounds < 3; ++rounds) {
    if (setjmp(jump) == 0) alloc_level_one(); /* 3 blocks a round */
  }
  free(kept[0]); /* one of alloc_level_one's */
  free(kept[2]); /* one of alloc_then_jump's */
  signal(SIGUSR1, alloc_in_handler);
  for (rounds = 0; rounds < 4; ++rounds) {
    if (sigsetjmp(signal_jump, 1) == 0) raise(SIGUSR1);
  }
  printf("jumped out %d times\n", 7);
  print_truth("main", "alloc_level_one", 7 * 640, 7); /* every block of the chain has its frame */
  print_truth("main", "alloc_then_jump", 2 * 640, 2);
  print_truth("main", "alloc_in_handler", 4 * 48, 4);
  return 0;
}
