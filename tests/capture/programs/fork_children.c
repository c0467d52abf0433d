/* fork_children: the parent leaks, forks a child that leaks too and exits with exit(), waits for
 * it and leaks once more. The child's profile (its own file) holds what it inherited and its own
 * leak; the parent's holds neither the child's leak nor anything the child freed. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "truth.h"

static void* kept[16];

NOINLINE static void parent_leak(int slot, size_t size) {
  kept[slot] = malloc(size);
  memset(kept[slot], 1, size);
}
NOINLINE static void child_leak(int slot, size_t size) {
  kept[slot] = malloc(size);
  memset(kept[slot], 2, size);
}

int main(void) {
  for (int i = 0; i < 3; ++i) parent_leak(i, 1000);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    for (int i = 3; i < 5; ++i) child_leak(i, 500);
    free(kept[0]); /* the child frees one of the parent's blocks in its own copy */
    print_truth("forked", "parent_leak", 2000, 2);
    print_truth("forked", "child_leak", 1000, 2);
    exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child exited %d\n", WEXITSTATUS(status));
  parent_leak(5, 250);
  print_truth("main", "parent_leak", 3250, 4);
  print_truth("main", "child_leak", 0, 0);
  return 0;
}
