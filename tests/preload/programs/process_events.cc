// process_events PLUGIN: the process-lifetime events the preload must survive, in one run:
//  1. fork: the child leaks 3 x 5000 bytes from child_retain and exits normally (its own file);
//  2. fork + exec of this program with "--exec-child": the new image leaks 7 x 1000 bytes from
//     exec_child_retain (a file of its own, under the same pid);
//  3. dlopen PLUGIN, leak 4 x 3000 bytes through plugin_retain, dlclose it (its frames must still
//     be named), then clwleak_snapshot_now();
//  4. the parent leaks 2 x 6000 bytes from parent_retain.
// Prints the pids involved so that the test can find every file.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clwleak/clwleak.h"

extern "C" {
__attribute__((noinline)) void* child_retain(size_t size) { return memset(malloc(size), 1, size); }
__attribute__((noinline)) void* exec_child_retain(size_t size) { return memset(malloc(size), 2, size); }
__attribute__((noinline)) void* parent_retain(size_t size) { return memset(malloc(size), 3, size); }
}

void* volatile g_sink[64];  // keeps the leaked blocks reachable from a global

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--exec-child") == 0) {
    for (int i = 0; i < 7; ++i) g_sink[i] = exec_child_retain(1000);
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: process_events PLUGIN\n");
    return 2;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 3; ++i) g_sink[i] = child_retain(5000);
    exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("fork_child=%d status=%d\n", child, WEXITSTATUS(status));

  fflush(stdout);
  pid_t exec_child = fork();
  if (exec_child == 0) {
    execl("/proc/self/exe", argv[0], "--exec-child", (char*)nullptr);
    _exit(127);
  }
  waitpid(exec_child, &status, 0);
  printf("exec_child=%d status=%d\n", exec_child, WEXITSTATUS(status));

  void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (plugin == nullptr) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  auto plugin_retain = reinterpret_cast<void* (*)(size_t)>(dlsym(plugin, "plugin_retain"));
  for (int i = 0; i < 4; ++i) g_sink[10 + i] = plugin_retain(3000);
  dlclose(plugin);
  printf("snapshot_now=%d\n", clwleak_snapshot_now());

  for (int i = 0; i < 2; ++i) g_sink[20 + i] = parent_retain(6000);
  printf("parent=%d\n", getpid());
  return 0;
}
