// torture SCENARIO: process-level situations that a preload living inside other people's processes
// must survive without crashing, hanging or changing what the program prints. Each scenario prints
// a deterministic result; the test compares it with a run without the preload.
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "clwleak/clwleak.h"

extern "C" void* early_blocks[16];  // libearly.so, allocated before the preload started
extern "C" int early_huge_refused;  // libearly.so: its impossible sizes failed with ENOMEM

namespace {

uint64_t Checksum(const void* data, size_t size) {
  const unsigned char* bytes = static_cast<const unsigned char*>(data);
  uint64_t sum = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) sum = (sum ^ bytes[i]) * 1099511628211ull;
  return sum;
}

// Allocation work with a result that depends only on the arguments.
uint64_t Churn(unsigned seed, int rounds) {
  uint64_t sum = 0;
  std::vector<std::string> strings;
  for (int i = 0; i < rounds; ++i) {
    strings.push_back(std::string(16 + (seed * 31 + i) % 300, static_cast<char>('a' + i % 26)));
    if (strings.size() > 64) {
      sum += Checksum(strings.front().data(), strings.front().size());
      strings.erase(strings.begin());
    }
  }
  for (const std::string& s : strings) sum += s.size();
  return sum;
}

int ThreadChurn() {
  // 300 rounds of 8 short-lived threads that allocate and exit.
  std::atomic<uint64_t> total{0};
  for (int round = 0; round < 300; ++round) {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 8; ++t) threads.emplace_back([&, t] { total += Churn(t, 200); });
    for (std::thread& thread : threads) thread.join();
  }
  printf("thread_churn %llu\n", static_cast<unsigned long long>(total.load()));
  return 0;
}

int ForkStorm() {
  // 4 threads fork 5 times each; every child allocates, checks its work and exits normally.
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        Churn(t, 100);  // keep the parent allocating while others fork
        pid_t child = fork();
        if (child == 0) exit(Churn(t + 10, 300) == Churn(t + 10, 300) ? 0 : 1);
        int status = 0;
        waitpid(child, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++good;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  printf("fork_storm children_ok=%d\n", good.load());
  return 0;
}

int ForkWhileUnwinding() {
  // 3 threads allocate without pause (in exact mode each allocation walks its stack) while the
  // main thread forks 50 times; every child allocates at once. A fork that copied a lock the
  // unwinder held on another thread would hang the child's first sampled allocation.
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) Churn(t, 20);
    });
  }
  int good = 0;
  for (int i = 0; i < 50; ++i) {
    pid_t child = fork();
    if (child == 0) _exit(Churn(7, 20) == Churn(7, 20) ? 0 : 1);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++good;
  }
  stop = true;
  for (std::thread& thread : threads) thread.join();
  printf("fork_while_unwinding children_ok=%d\n", good);
  return 0;
}

int VforkExec() {
  volatile int ok = 0;  // volatile: live across vfork
  for (volatile int i = 0; i < 20; ++i) {
    pid_t child = vfork();
    if (child == 0) {
      execl("/bin/true", "true", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ok;
    Churn(static_cast<unsigned>(i), 50);
  }
  printf("vfork_exec ok=%d\n", static_cast<int>(ok));
  return 0;
}

int DlopenThreads(const char* plugin_path) {
  std::atomic<bool> stop{false};
  std::atomic<int> loads{0};
  std::vector<std::thread> allocators, loaders;
  for (unsigned t = 0; t < 2; ++t) {
    allocators.emplace_back([&, t] {
      while (!stop) Churn(t, 100);
    });
  }
  for (unsigned t = 0; t < 4; ++t) {
    loaders.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        void* plugin = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
        if (plugin == nullptr) continue;
        auto retain = reinterpret_cast<void* (*)(size_t)>(dlsym(plugin, "plugin_retain"));
        free(retain(1000));
        dlclose(plugin);
        ++loads;
      }
    });
  }
  for (std::thread& thread : loaders) thread.join();
  stop = true;
  for (std::thread& thread : allocators) thread.join();
  printf("dlopen_threads loads=%d\n", loads.load());
  return 0;
}

std::atomic<int> g_handled{0};

void AllocatingHandler(int) {
  // mmap/munmap are async-signal-safe system calls; they enter the preload's mapping hooks while
  // the interrupted code may be inside them.
  void* page = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) munmap(page, 8192);
  ++g_handled;
}

int SignalsDuringAllocation() {
  struct sigaction action = {};
  action.sa_handler = AllocatingHandler;
  sigaction(SIGUSR1, &action, nullptr);
  std::atomic<bool> stop{false};
  pthread_t main_thread = pthread_self();
  std::thread sender([&] {
    while (!stop) {
      pthread_kill(main_thread, SIGUSR1);
      usleep(50);
    }
  });
  uint64_t sum = 0;
  for (int i = 0; i < 20000; ++i) {
    void* block = malloc(64 + i % 4000);
    void* page = mmap(nullptr, 4096 * (1 + i % 4), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sum += (block != nullptr) + (page != MAP_FAILED);
    munmap(page, 4096 * (1 + i % 4));
    free(block);
  }
  stop = true;
  sender.join();
  printf("signals sum=%llu handled>0=%d\n", static_cast<unsigned long long>(sum), g_handled.load() > 0);
  return 0;
}

// A single-threaded host (the preload writes its snapshots inline, on this thread) under a timer
// signal every 100 us whose handler maps and unmaps, and that asks for snapshots itself: the
// handler runs between, never inside, the preload's writes, and nothing hangs.
int SignalsSingleThreaded() {
  struct sigaction action = {};
  action.sa_handler = AllocatingHandler;
  action.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &action, nullptr);
  itimerval timer = {{0, 100}, {0, 100}};
  setitimer(ITIMER_REAL, &timer, nullptr);
  uint64_t sum = 0;
  for (int i = 0; i < 20000; ++i) {
    void* block = malloc(64 + i % 4000);
    sum += block != nullptr;
    free(block);
    if (i % 2000 == 0) clwleak_snapshot_now();
  }
  itimerval off = {};
  setitimer(ITIMER_REAL, &off, nullptr);
  printf("signals_single_thread sum=%llu handled>0=%d\n", static_cast<unsigned long long>(sum),
         g_handled.load() > 0);
  return 0;
}

// Registers atexit handlers for 150 ms from the first moment of main. glibc allocates a block for
// every 32 handlers while it holds its exit-functions lock, so the preload's first snapshots (due
// 10, 30, 70 ms after start), written on this thread at a sampled allocation, come due inside that
// lock: nothing they do may need it (a function-local static with a destructor would).
std::atomic<int> g_exit_handlers_run{0};
void CountExitHandler() { g_exit_handlers_run.fetch_add(1, std::memory_order_relaxed); }

int AtexitStorm() {
  timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int registered = 0;
  do {
    for (int i = 0; i < 32; ++i, ++registered) atexit(CountExitHandler);
    timespec pause = {0, 100000};
    nanosleep(&pause, nullptr);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 150000000L);
  printf("atexit_storm registered handlers: %s\n", registered > 1000 ? "over 1000" : "too few");
  return 0;
}

pthread_key_t g_key;

void AtExitAllocates() {
  void* block = malloc(777);  // leaked on purpose from an atexit handler
  memset(block, 7, 777);
  printf("atexit ran\n");
}

int ExitPaths() {
  pthread_key_create(&g_key, [](void* value) {
    // Thread-exit destructor: free the thread's block and allocate once more.
    free(value);
    free(malloc(123));
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([] {
      thread_local std::string name(200, 'x');  // a destructor that frees at thread exit
      pthread_setspecific(g_key, malloc(64));
      Churn(static_cast<unsigned>(name.size()), 50);
    });
  }
  for (std::thread& thread : threads) thread.join();
  atexit(AtExitAllocates);
  printf("exit_paths threads=8\n");
  return 0;
}

sigjmp_buf g_jump;
std::atomic<int> g_jumps{0};

void JumpingHandler(int) {
  ++g_jumps;
  siglongjmp(g_jump, 1);
}

int LongjmpOutOfHandler() {
  struct sigaction action = {};
  action.sa_handler = JumpingHandler;
  sigaction(SIGALRM, &action, nullptr);
  // A loaded machine may deliver the first signal before the loop's first sigsetjmp: g_jump must
  // name this frame before the timer is armed (a jump landing here arms it again and goes on).
  (void)sigsetjmp(g_jump, 1);
  itimerval timer = {{0, 200}, {0, 200}};  // a signal every 200 us
  setitimer(ITIMER_REAL, &timer, nullptr);
  volatile int completed = 0;  // volatile: live across siglongjmp
  for (volatile int i = 0; i < 3000; ++i) {
    if (sigsetjmp(g_jump, 1) == 0) {
      // Jumps may land anywhere in here, the preload's hooks included. Blocks may leak; the
      // program must still run on and allocate.
      for (int j = 0; j < 50; ++j) {
        void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        // The C library's malloc is not safe to jump out of (its arena lock would stay taken), so
        // the signal is blocked around it; the mapping calls and their hooks stay exposed.
        sigset_t alarm, previous;
        sigemptyset(&alarm);
        sigaddset(&alarm, SIGALRM);
        sigprocmask(SIG_BLOCK, &alarm, &previous);
        free(malloc(100 + j));
        sigprocmask(SIG_SETMASK, &previous, nullptr);
        if (page != MAP_FAILED) munmap(page, 4096);
      }
      completed = completed + 1;
    }
  }
  itimerval off = {};
  setitimer(ITIMER_REAL, &off, nullptr);
  // After all the jumps, every kind of call still works.
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  bool ok = page != MAP_FAILED && munmap(page, 4096) == 0;
  std::string after(1000, 'z');
  printf("longjmp works_after=%d\n", ok && after.size() == 1000);
  return 0;
}

int FreeEarlyBlocks() {
  uint64_t sum = 0;
  for (void* block : early_blocks) sum += Checksum(block, 100);
  for (void*& block : early_blocks) {
    block = realloc(block, 5000);  // realloc, then free, blocks the preload never saw
    free(block);
  }
  printf("early_blocks checksum=%llu huge_refused=%d\n", static_cast<unsigned long long>(sum),
         early_huge_refused);
  return 0;
}

int ExitDuringSnapshots() {
  // Snapshots are requested from several threads while the main thread leaves with _exit.
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([t] {
      for (;;) {
        Churn(static_cast<unsigned>(t), 100);
        clwleak_snapshot_now();
      }
    });
  }
  usleep(300000);
  printf("exit_mid_snapshot\n");
  fflush(stdout);
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  if (scenario == "thread_churn") return ThreadChurn();
  if (scenario == "fork_storm") return ForkStorm();
  if (scenario == "fork_while_unwinding") return ForkWhileUnwinding();
  if (scenario == "vfork_exec") return VforkExec();
  if (scenario == "dlopen_threads" && argc > 2) return DlopenThreads(argv[2]);
  if (scenario == "signals") return SignalsDuringAllocation();
  if (scenario == "signals_single_thread") return SignalsSingleThreaded();
  if (scenario == "exit_paths") return ExitPaths();
  if (scenario == "longjmp") return LongjmpOutOfHandler();
  if (scenario == "early_blocks") return FreeEarlyBlocks();
  if (scenario == "exit_mid_snapshot") return ExitDuringSnapshots();
  if (scenario == "atexit_storm") return AtexitStorm();
  fprintf(stderr, "usage: torture SCENARIO [PLUGIN]\n");
  return 2;
}
