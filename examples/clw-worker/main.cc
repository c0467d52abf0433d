// main.cc — clw-worker: the example task worker that clwleak profiles (scripts/demo, the integration
// tests). Wires the pieces together: the dispatcher loop on the main thread queues tasks at the
// requested rate, worker threads run a TaskHandler each, progress goes to stderr, and at the end (a
// bound reached, or SIGTERM/SIGINT) the worker drains its queue and prints its truth on stdout — what
// it did and what libclient.so lost — for tests to compare with the profiler's estimates.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clwleak/clwleak.h"
#include "handler.h"
#include "lru_cache.h"
#include "options.h"
#include "task.h"
#include "task_queue.h"

namespace clw_worker {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int signal) { g_stop_signal = signal; }

// SIGTERM and SIGINT ask for a graceful stop. SA_RESETHAND: a second signal terminates at once.
void InstallStopHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

std::uint64_t ResidentBytes() {
  unsigned long long size_pages = 0, resident_pages = 0;
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (!statm) return 0;
  int fields = std::fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(statm);
  return fields == 2 ? resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// The splitmix64 finalizer: spreads task ids over the key space and seeds their payloads.
std::uint64_t Mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// What the workers have done so far, summed over the handlers.
struct Totals {
  std::uint64_t requests = 0;
  std::uint64_t leaked_bytes = 0;
  std::uint64_t cache_hits = 0;
};

class Worker {
 public:
  explicit Worker(const WorkerOptions& options)
      : options_(options),
        cache_(options.cache_entries),
        queue_(std::max<std::size_t>(64, options.threads * 32u)),
        // Keys repeat at random over four times the cache's capacity: about a quarter of the tasks hit
        // the cache once it is full, and it fills over roughly its first 1.15 * capacity tasks.
        key_space_(std::max<std::size_t>(1000, options.cache_entries * 4)) {}

  int Run() {
    HandlerConfig config;
    config.payload_bytes = options_.payload_bytes;
    config.leak_bytes = options_.leak_bytes;
    for (unsigned i = 0; i < options_.threads; ++i) {
      config.endpoint = "upstream-" + std::to_string(i) + ":7070";
      handlers_.push_back(std::make_unique<TaskHandler>(config, &cache_));
    }
    start_ = Clock::now();
    std::vector<std::thread> threads;
    for (auto& handler : handlers_) threads.emplace_back([this, h = handler.get()] { WorkLoop(h); });

    const char* stop = Dispatch();
    queue_.Close();
    for (auto& thread : threads) thread.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();

    Totals totals = Sum();
    std::uint64_t errors = errors_.load();
    std::printf(
        "clw-worker: requests=%llu errors=%llu leaked_bytes=%llu leak_bytes_per_request=%zu "
        "elapsed_s=%.3f request_rate=%.1f cache_entries=%zu cache_hits=%llu rss_bytes=%llu "
        "stop=%s pid=%d\n",
        static_cast<unsigned long long>(totals.requests), static_cast<unsigned long long>(errors),
        static_cast<unsigned long long>(totals.leaked_bytes), options_.leak_bytes, elapsed,
        elapsed > 0 ? static_cast<double>(totals.requests) / elapsed : 0.0, cache_.size(),
        static_cast<unsigned long long>(totals.cache_hits),
        static_cast<unsigned long long>(ResidentBytes()), stop, static_cast<int>(getpid()));
    std::fflush(stdout);
    // The profiler's own last snapshot is written at exit, after ~Worker has freed the cache and closed
    // the clients; this one records the drained worker as it ran. (No-op without the preload.)
    clwleak_snapshot_now();
    return errors == 0 ? 0 : 1;
  }

 private:
  void WorkLoop(TaskHandler* handler) {
    Task task;
    std::string error;
    while (queue_.Pop(&task)) {
      if (!handler->Handle(task, &error)) {
        // Report the first few failures; the count goes into the truth line.
        if (errors_.fetch_add(1) < 5) std::fprintf(stderr, "clw-worker: %s\n", error.c_str());
      }
      completed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // Queues tasks until a bound or a stop signal; returns why it stopped.
  const char* Dispatch() {
    std::uint64_t dispatched = 0;
    auto next_progress = start_ + std::chrono::duration<double>(options_.progress_s);
    while (true) {
      if (g_stop_signal) return "signal";
      Clock::time_point now = Clock::now();
      double elapsed = std::chrono::duration<double>(now - start_).count();
      if (options_.duration_s > 0 && elapsed >= options_.duration_s) return "duration";
      if (options_.requests > 0 && dispatched >= options_.requests) return "requests";

      // How many tasks should have been dispatched by now; a worker that fell behind catches up.
      std::uint64_t due = options_.rate > 0 ? static_cast<std::uint64_t>(elapsed * options_.rate) + 1
                                            : dispatched + 64;
      if (options_.requests > 0) due = std::min(due, options_.requests);
      while (dispatched < due && !g_stop_signal) {
        Task task;
        task.id = dispatched + 1;
        std::uint64_t key_index = Mix(task.id) % key_space_;
        task.key = "task-" + std::to_string(key_index);
        task.seed = Mix(key_index ^ 0x5eed5eed5eed5eedull);
        if (queue_.Push(std::move(task), std::chrono::milliseconds(10)) !=
            TaskQueue<Task>::PushResult::kPushed) {
          break;  // queue full for 10 ms: re-check the bounds and the stop flag, then retry
        }
        ++dispatched;
      }

      if (options_.progress_s > 0 && now >= next_progress) {
        PrintProgress(elapsed);
        next_progress += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(options_.progress_s));
      }
      if (options_.rate > 0 && dispatched >= due) {
        auto next_due = start_ + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(dispatched / options_.rate));
        std::this_thread::sleep_until(std::min(next_due, Clock::now() + std::chrono::milliseconds(10)));
      }
    }
  }

  void PrintProgress(double elapsed) {
    Totals totals = Sum();
    std::fprintf(stderr,
                 "clw-worker: progress t=%.0fs requests=%llu rate=%.0f/s leaked=%.1fMiB cache=%zu/%zu "
                 "rss=%.1fMiB\n",
                 elapsed, static_cast<unsigned long long>(totals.requests),
                 elapsed > 0 ? static_cast<double>(totals.requests) / elapsed : 0.0,
                 static_cast<double>(totals.leaked_bytes) / (1024.0 * 1024.0), cache_.size(),
                 cache_.max_entries(), static_cast<double>(ResidentBytes()) / (1024.0 * 1024.0));
  }

  Totals Sum() const {
    Totals totals;
    totals.requests = completed_.load(std::memory_order_relaxed);
    for (const auto& handler : handlers_) {
      totals.leaked_bytes += handler->ClientStats().leaked_bytes;
      totals.cache_hits += handler->cache_hits();
    }
    return totals;
  }

  const WorkerOptions options_;
  LruCache cache_;
  TaskQueue<Task> queue_;
  const std::size_t key_space_;
  std::vector<std::unique_ptr<TaskHandler>> handlers_;
  Clock::time_point start_;
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace
}  // namespace clw_worker

int main(int argc, char** argv) {
  using namespace clw_worker;
  int exit_code = 0;
  std::optional<WorkerOptions> options = ParseOptions(argc, argv, &exit_code);
  if (!options) return exit_code;
  InstallStopHandlers();
  std::fprintf(stderr,
               "clw-worker: pid=%d threads=%u rate=%g/s duration=%gs requests=%llu leak_bytes=%zu "
               "cache_entries=%zu payload_bytes=%zu profiler=%s\n",
               static_cast<int>(getpid()), options->threads, options->rate, options->duration_s,
               static_cast<unsigned long long>(options->requests), options->leak_bytes,
               options->cache_entries, options->payload_bytes,
               clwleak_active() ? "active" : "absent");
  try {
    return Worker(*options).Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clw-worker: %s\n", e.what());
    return 1;
  }
}
