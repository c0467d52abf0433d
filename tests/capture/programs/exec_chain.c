/* exec_chain execve|execvp|execl|failed: leaks, then replaces itself by exec of its own program
 * with --after (execvp finds it by name through PATH), which leaks at another site and exits 0.
 * Both images are the same process: the first image's file ends with an "exec" snapshot, the
 * second's ("exec" in truth lines) names it. "failed" first tries to exec a program that does not
 * exist (the process goes on profiled, the failed attempt leaves a snapshot behind), leaks more,
 * then execs for real. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "truth.h"

static void* kept[8];

NOINLINE static void before_exec_leak(int slot) {
  kept[slot] = malloc(4444);
  memset(kept[slot], 11, 4444);
}
NOINLINE static void after_failed_exec_leak(int slot) {
  kept[slot] = malloc(1212);
  memset(kept[slot], 12, 1212);
}
NOINLINE static void after_exec_leak(int slot) {
  kept[slot] = malloc(7777);
  memset(kept[slot], 13, 7777);
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--after") == 0) {
    for (int i = 0; i < 2; ++i) after_exec_leak(i);
    print_truth("exec", "after_exec_leak", 2 * 7777, 2);
    print_truth("exec", "before_exec_leak", 0, 0);
    return 0;
  }
  if (argc != 2) return 2;
  for (int i = 0; i < 3; ++i) before_exec_leak(i);
  int failed_leaks = 0;
  if (strcmp(argv[1], "failed") == 0) {
    char* missing_argv[] = {"no-such-program", NULL};
    execv("/nonexistent/no-such-program", missing_argv);
    printf("exec of a missing program failed: %s\n", strerror(errno));
    for (; failed_leaks < 2; ++failed_leaks) after_failed_exec_leak(failed_leaks + 3);
  }
  print_truth("main", "before_exec_leak", 3 * 4444, 3);
  print_truth("main", "after_failed_exec_leak", 1212ull * failed_leaks, failed_leaks);
  char* after_argv[] = {argv[0], "--after", NULL};
  if (strcmp(argv[1], "execvp") == 0) {
    char directory[4096];
    strncpy(directory, argv[0], sizeof(directory) - 1);
    directory[sizeof(directory) - 1] = '\0';
    setenv("PATH", dirname(directory), 1);
    execvp(basename(argv[0]), after_argv);
  } else if (strcmp(argv[1], "execl") == 0) {
    execl(argv[0], argv[0], "--after", (char*)NULL);
  } else {
    execve(argv[0], after_argv, environ);
  }
  printf("exec failed: %s\n", strerror(errno));
  return 1;
}
