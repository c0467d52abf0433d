// leak_scenarios SCENARIO: small workers whose memory behaviour is known exactly, for the analyzer's
// end-to-end verdict tests (tests/analyzer/leak_scenarios_test.py). Each scenario handles requests
// (counted with clwleak_request_done()) at a steady pace and prints its truth on one line:
//
//   scenario=<name> requests=<n> leak_function=<f> leak_bytes_per_request=<b> benign_function=<g>
//
// `leak_function` leaks `leak_bytes_per_request` bytes per request on average over the requests where
// it leaks (for `late-leak`, the second half: leak_from_request says where it starts); `none` when the
// scenario has no leak. `benign_function` holds memory that must never be called a leak (a cache, a
// periodic batch, start-up state). Function names are kept out of line so that the report names them.
//
// Scenarios:
//   short          20,000 requests leaking 4 KiB each, in about a second (less than one interval)
//   steady         a leak of 1,500 B per request over the whole run, beside churn
//   cache          a cache that fills over ~70% of the run and then evicts as it inserts; no leak
//   late-leak      no leak in the first half, then 2,000 B per request
//   batch          a batch that grows for PERIOD ms and is then freed whole (PERIOD from argv[2])
//   string         a std::string appended 100 B every request and never shrunk (capacity doubles)
//   realloc        one block grown by realloc by 100 B every request
//   sparse         a 64 KiB leak every 500 requests (131 B per request)
//   fork           forks 2 children; each serves its own requests and leaks 1,000 B per request
//   threads        a new thread every 100 requests, each leaking 800 B per request it serves
//   mmap           an arena that maps a 64 KiB anonymous chunk every 16 requests and never unmaps
//
// Pacing: REQUEST_US microseconds per request (argv[3], default 50), so the run length is known.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

#include "clwleak/clwleak.h"

namespace {

void* volatile g_sink;  // keeps allocations from being optimized away
std::vector<void*> g_kept;
long g_request_us = 50;

void Pace(long request) {
  // Sleep in slices of 20 requests: fine-grained enough for an even pace, coarse enough to be cheap.
  if (request % 20 != 19) return;
  timespec pause = {0, g_request_us * 20 * 1000};
  nanosleep(&pause, nullptr);
}

__attribute__((noinline)) void churn(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 3, bytes);
  g_sink = block;
  free(block);
}

__attribute__((noinline)) void leak_steady(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 1, bytes);
  g_kept.push_back(block);
}

__attribute__((noinline)) void leak_late(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 1, bytes);
  g_kept.push_back(block);
}

__attribute__((noinline)) void leak_sparse(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 1, bytes);
  g_kept.push_back(block);
}

__attribute__((noinline)) void leak_in_child(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 1, bytes);
  g_kept.push_back(block);
}

std::deque<void*> g_cache;
__attribute__((noinline)) void cache_insert(size_t bytes, size_t capacity) {
  void* block = malloc(bytes);
  memset(block, 2, bytes);
  g_cache.push_back(block);
  if (g_cache.size() > capacity) {
    free(g_cache.front());
    g_cache.pop_front();
  }
}

std::vector<void*> g_batch;
__attribute__((noinline)) void batch_add(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 2, bytes);
  g_batch.push_back(block);
}
void batch_flush() {
  for (void* block : g_batch) free(block);
  g_batch.clear();
}

std::string* g_text;
__attribute__((noinline)) void append_text(size_t bytes) { g_text->append(bytes, 'x'); }

void* g_grown;
size_t g_grown_size;
__attribute__((noinline)) void grow_block(size_t bytes) {
  g_grown = realloc(g_grown, g_grown_size + bytes);
  memset(static_cast<char*>(g_grown) + g_grown_size, 4, bytes);
  g_grown_size += bytes;
}

__attribute__((noinline)) void arena_map_chunk(size_t bytes) {
  void* chunk = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (chunk == MAP_FAILED) abort();
  memset(chunk, 5, bytes);
  g_kept.push_back(chunk);
}

double Now() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

void PrintTruth(const char* scenario, long requests, const char* leak_function, double per_request,
                const char* benign_function, const char* extra = "") {
  printf("scenario=%s requests=%ld leak_function=%s leak_bytes_per_request=%.1f "
         "benign_function=%s%s\n",
         scenario, requests, leak_function, per_request, benign_function, extra);
  fflush(stdout);
}

int Short() {
  const long requests = 20000;
  for (long i = 0; i < requests; ++i) {
    leak_steady(4096);
    churn(512);
    clwleak_request_done();
  }
  PrintTruth("short", requests, "leak_steady", 4096, "none");
  return 0;
}

int Steady(long requests) {
  for (long i = 0; i < requests; ++i) {
    leak_steady(1500);
    churn(4000);
    clwleak_request_done();
    Pace(i);
  }
  PrintTruth("steady", requests, "leak_steady", 1500, "none");
  return 0;
}

int Cache(long requests) {
  // 3,000 B per request into a cache that holds 70% of the run's insertions: it fills for 70% of
  // the run, then every insertion evicts one.
  const size_t capacity = static_cast<size_t>(requests * 7 / 10);
  for (long i = 0; i < requests; ++i) {
    cache_insert(3000, capacity);
    churn(2000);
    clwleak_request_done();
    Pace(i);
  }
  PrintTruth("cache", requests, "none", 0, "cache_insert");
  return 0;
}

int LateLeak(long requests) {
  for (long i = 0; i < requests; ++i) {
    if (i >= requests / 2) leak_late(2000);
    churn(3000);
    clwleak_request_done();
    Pace(i);
  }
  char extra[64];
  snprintf(extra, sizeof extra, " leak_from_request=%ld", requests / 2);
  PrintTruth("late-leak", requests, "leak_late", 2000, "none", extra);
  return 0;
}

int Batch(long requests, long period_ms) {
  // The batch is flushed every `period_ms` of wall time, whatever the request count.
  double next_flush = Now() + period_ms / 1000.0;
  for (long i = 0; i < requests; ++i) {
    batch_add(2500);
    clwleak_request_done();
    if (Now() >= next_flush) {
      batch_flush();
      next_flush += period_ms / 1000.0;
    }
    Pace(i);
  }
  PrintTruth("batch", requests, "none", 0, "batch_add");
  return 0;
}

int String(long requests) {
  g_text = new std::string();
  for (long i = 0; i < requests; ++i) {
    append_text(100);
    churn(1000);
    clwleak_request_done();
    Pace(i);
  }
  PrintTruth("string", requests, "append_text", 100, "none");
  return 0;
}

int Realloc(long requests) {
  for (long i = 0; i < requests; ++i) {
    grow_block(100);
    clwleak_request_done();
    Pace(i);
  }
  PrintTruth("realloc", requests, "grow_block", 100, "none");
  return 0;
}

int Sparse(long requests) {
  for (long i = 0; i < requests; ++i) {
    if (i % 500 == 499) leak_sparse(65536);
    churn(1000);
    clwleak_request_done();
    Pace(i);
  }
  PrintTruth("sparse", requests, "leak_sparse", 65536.0 / 500, "none");
  return 0;
}

int Fork(long requests) {
  // The parent serves a few requests first: each child's file must count only the child's own.
  for (long i = 0; i < 1000; ++i) {
    churn(1000);
    clwleak_request_done();
  }
  for (int child = 0; child < 2; ++child) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      for (long i = 0; i < requests; ++i) {
        leak_in_child(1000);
        churn(2000);
        clwleak_request_done();
        Pace(i);
      }
      exit(0);
    }
  }
  int status = 0, failures = 0;
  while (wait(&status) > 0) failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  PrintTruth("fork", requests, "leak_in_child", 1000, "none", " children=2");
  return failures == 0 ? 0 : 1;
}

struct ThreadWork {
  long first, count;
};
pthread_mutex_t g_kept_lock = PTHREAD_MUTEX_INITIALIZER;
__attribute__((noinline)) void leak_on_thread(size_t bytes) {
  void* block = malloc(bytes);
  memset(block, 1, bytes);
  pthread_mutex_lock(&g_kept_lock);
  g_kept.push_back(block);
  pthread_mutex_unlock(&g_kept_lock);
}
void* ServeOnThread(void* argument) {
  const ThreadWork* work = static_cast<const ThreadWork*>(argument);
  for (long i = work->first; i < work->first + work->count; ++i) {
    leak_on_thread(800);
    churn(1500);
    clwleak_request_done();
    Pace(i);
  }
  return nullptr;
}

int Threads(long requests) {
  // A thread per 100 requests, one at a time: threads come and go all run long.
  for (long first = 0; first < requests; first += 100) {
    ThreadWork work = {first, first + 100 <= requests ? 100 : requests - first};
    pthread_t thread;
    if (pthread_create(&thread, nullptr, ServeOnThread, &work) != 0) return 1;
    pthread_join(thread, nullptr);
  }
  PrintTruth("threads", requests, "leak_on_thread", 800, "none");
  return 0;
}

int Mmap(long requests) {
  for (long i = 0; i < requests; ++i) {
    if (i % 16 == 15) arena_map_chunk(65536);
    churn(1000);
    clwleak_request_done();
    Pace(i);
  }
  PrintTruth("mmap", requests, "arena_map_chunk", 65536.0 / 16, "none");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: leak_scenarios SCENARIO [PERIOD_MS] [REQUEST_US]\n");
    return 2;
  }
  const std::string scenario = argv[1];
  const long period_ms = argc > 2 ? atol(argv[2]) : 0;
  if (argc > 3) g_request_us = atol(argv[3]);
  // About 2 s of requests at the default pace.
  const long requests = 40000;
  if (scenario == "short") return Short();
  if (scenario == "steady") return Steady(requests);
  if (scenario == "cache") return Cache(requests);
  if (scenario == "late-leak") return LateLeak(requests);
  if (scenario == "batch") return Batch(requests, period_ms > 0 ? period_ms : 200);
  if (scenario == "string") return String(requests);
  if (scenario == "realloc") return Realloc(requests);
  if (scenario == "sparse") return Sparse(requests);
  if (scenario == "fork") return Fork(requests / 2);
  if (scenario == "threads") return Threads(requests);
  if (scenario == "mmap") return Mmap(requests);
  fprintf(stderr, "leak_scenarios: unknown scenario %s\n", scenario.c_str());
  return 2;
}
