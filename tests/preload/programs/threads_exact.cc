// threads_exact THREADS SECONDS: THREADS threads allocate and free concurrently for SECONDS,
// handing blocks to each other so that many are freed by a thread that did not allocate them.
// Every block comes from keep_block(); the program counts what it allocated, freed and still holds
// and prints it at exit (the still-held blocks are leaked on purpose):
//   allocations=<n> frees=<n> live_count=<n> live_bytes=<n>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

extern "C" __attribute__((noinline)) void* keep_block(size_t size) {
  void* block = malloc(size);
  memset(block, 1, size < 64 ? size : 64);
  return block;
}

namespace {

struct Block {
  void* pointer;
  size_t size;
};

std::mutex g_exchange_mutex;
std::vector<Block>* g_exchange = new std::vector<Block>();  // blocks on their way between threads
std::atomic<uint64_t> g_allocations{0}, g_frees{0};

void Work(unsigned seed, std::chrono::steady_clock::time_point until) {
  std::mt19937 random(seed);
  std::vector<Block> own;
  uint64_t allocations = 0, frees = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 256; ++i) {
      size_t size = 1 + random() % 2048;
      own.push_back({keep_block(size), size});
      ++allocations;
      unsigned action = random() % 8;
      if (action < 3 && !own.empty()) {  // free one of ours
        size_t index = random() % own.size();
        free(own[index].pointer);
        own[index] = own.back();
        own.pop_back();
        ++frees;
      } else if (action < 5 && !own.empty()) {  // hand one to another thread
        std::lock_guard<std::mutex> lock(g_exchange_mutex);
        g_exchange->push_back(own.back());
        own.pop_back();
      } else if (action < 8) {  // free one that another thread allocated
        Block taken{nullptr, 0};
        {
          std::lock_guard<std::mutex> lock(g_exchange_mutex);
          if (!g_exchange->empty()) {
            taken = g_exchange->back();
            g_exchange->pop_back();
          }
        }
        if (taken.pointer != nullptr) {
          free(taken.pointer);
          ++frees;
        }
      }
    }
    // Keep the working set bounded: free down to 2000 own blocks.
    while (own.size() > 2000) {
      free(own.back().pointer);
      own.pop_back();
      ++frees;
    }
  }
  g_allocations += allocations;
  g_frees += frees;
  std::lock_guard<std::mutex> lock(g_exchange_mutex);
  for (const Block& block : own) g_exchange->push_back(block);  // still live at exit
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned threads = argc > 1 ? static_cast<unsigned>(atoi(argv[1])) : 8;
  const double seconds = argc > 2 ? atof(argv[2]) : 3.0;
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) workers.emplace_back(Work, 1234 + t, until);
  for (std::thread& worker : workers) worker.join();
  uint64_t live_bytes = 0;
  for (const Block& block : *g_exchange) live_bytes += block.size;
  printf("allocations=%llu frees=%llu live_count=%zu live_bytes=%llu\n",
         static_cast<unsigned long long>(g_allocations.load()),
         static_cast<unsigned long long>(g_frees.load()), g_exchange->size(),
         static_cast<unsigned long long>(live_bytes));
  return 0;
}
