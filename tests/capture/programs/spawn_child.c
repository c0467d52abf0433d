/* spawn_child: leaks, then posix_spawns itself with --child (a new image: it profiles into a file
 * of its own), which leaks and exits; the parent waits for it and leaks once more. */
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "truth.h"

extern char** environ;
static void* kept[8];

NOINLINE static void spawner_leak(int slot) {
  kept[slot] = malloc(2222);
  memset(kept[slot], 9, 2222);
}
NOINLINE static void spawned_leak(int slot) {
  kept[slot] = malloc(3333);
  memset(kept[slot], 10, 3333);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) {
    for (int i = 0; i < 3; ++i) spawned_leak(i);
    print_truth("spawned", "spawned_leak", 3 * 3333, 3);
    print_truth("spawned", "spawner_leak", 0, 0);
    return 0;
  }
  spawner_leak(0);
  fflush(stdout);
  char* child_argv[] = {argv[0], "--child", NULL};
  pid_t child;
  if (posix_spawn(&child, "/proc/self/exe", NULL, NULL, child_argv, environ) != 0) return 1;
  int status = 0;
  waitpid(child, &status, 0);
  printf("spawned child exited %d\n", WEXITSTATUS(status));
  spawner_leak(1);
  print_truth("main", "spawner_leak", 2 * 2222, 2);
  print_truth("main", "spawned_leak", 0, 0);
  return 0;
}
