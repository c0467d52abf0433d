// thread_modes: a host that is single-threaded for a while, then starts a thread of its own. In
// each phase it leaks 4096 bytes a millisecond from its own function and prints what it observes:
// whether glibc still considers the process single-threaded, and how many threads it has.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <time.h>

#include <atomic>
#include <thread>

namespace {

int CountThreads() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(tasks)) count += entry->d_name[0] != '.';
  closedir(tasks);
  return count;
}

void* volatile g_sink;

template <typename Leak>
void LeakFor(int milliseconds, Leak leak) {
  for (int i = 0; i < milliseconds; ++i) {
    g_sink = leak(4096);
    timespec pause = {0, 1000000};
    nanosleep(&pause, nullptr);
  }
}

}  // namespace

extern "C" __attribute__((noinline)) void* phase_one_retain(size_t size) {
  return memset(malloc(size), 1, size);
}

extern "C" __attribute__((noinline)) void* phase_two_retain(size_t size) {
  return memset(malloc(size), 2, size);
}

int main(int argc, char** argv) {
  const int milliseconds = argc > 1 ? atoi(argv[1]) : 500;
  LeakFor(milliseconds, phase_one_retain);
  printf("phase1 single_threaded=%d threads=%d\n", __libc_single_threaded ? 1 : 0, CountThreads());
  std::atomic<bool> stop{false};
  std::thread idle([&] {
    while (!stop.load()) {
      timespec pause = {0, 5000000};
      nanosleep(&pause, nullptr);
    }
  });
  LeakFor(milliseconds, phase_two_retain);
  printf("phase2 single_threaded=%d threads=%d\n", __libc_single_threaded ? 1 : 0, CountThreads());
  stop = true;
  idle.join();
  printf("leaked_per_phase=%d\n", milliseconds * 4096);
  return 0;
}
