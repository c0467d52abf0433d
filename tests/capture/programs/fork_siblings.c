/* fork_siblings: the parent forks 4 children one after the other; each allocates the same 4,000
 * blocks of 1,000 bytes from the same stack and exits. Sampled, the children's estimates must come
 * from draws of their own: identical sample counts in every sibling would mean they all replayed
 * the parent's random sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "truth.h"

NOINLINE static void* sibling_alloc(size_t size) {
  void* block = malloc(size);
  memset(block, 3, size);
  return block;
}

int main(void) {
  for (int i = 0; i < 4; ++i) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
      for (int j = 0; j < 4000; ++j) sibling_alloc(1000); /* leaked: live at exit */
      exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child %d exited %d\n", i, WEXITSTATUS(status));
  }
  return 0;
}
