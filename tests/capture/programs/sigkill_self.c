/* sigkill_self: leaks, has a snapshot written (clwleak_snapshot_now; nothing without the preload),
 * then kills itself with SIGKILL, as the OOM killer would: the file must still decode, up to that
 * snapshot. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clwleak/clwleak.h"
#include "truth.h"

static void* kept[8];

NOINLINE static void kept_before_kill(int slot) {
  kept[slot] = malloc(2000);
  memset(kept[slot], 11, 2000);
}

int main(void) {
  for (int i = 0; i < 5; ++i) kept_before_kill(i);
  free(kept[4]);
  print_truth("main", "kept_before_kill", 4 * 2000, 4);
  (void)clwleak_snapshot_now();
  kill(getpid(), SIGKILL);
  pause();
  return 0;
}
