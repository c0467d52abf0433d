// handler.h — TaskHandler: what clw-worker does with one task.
//
// For each task it decodes the JSON-ish payload, looks the task's key up in the shared LRU result
// cache, renders the result on a miss (word statistics and a rendering of the body; strings, vectors
// and a std::map that live only for the task) and stores it in the cache, then sends the result
// upstream through libclient (client.h), which is where the leak is. Finally it tells the profiler
// that one request is done (clwleak.h).
//
// Thread-safety: one TaskHandler per worker thread (it owns that thread's libclient connection);
// ClientStats() and cache_hits() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/client.h"
#include "lru_cache.h"
#include "payload.h"
#include "task.h"

namespace clw_worker {

struct HandlerConfig {
  std::size_t payload_bytes = 4096;  // size of each task's document
  std::size_t leak_bytes = CLIENT_DEFAULT_LEAK_BYTES;  // libclient's loss per request; 0 = fixed
  std::string endpoint;              // libclient's upstream name, for its span records
};

class TaskHandler {
 public:
  // Opens the libclient connection; throws std::runtime_error when that fails.
  TaskHandler(const HandlerConfig& config, LruCache* cache);
  ~TaskHandler();
  TaskHandler(const TaskHandler&) = delete;
  TaskHandler& operator=(const TaskHandler&) = delete;

  // Handles one task. Returns false and sets *error when the payload is malformed or the upstream
  // request failed. Either way the request counts as done for the profiler.
  bool Handle(const Task& task, std::string* error);

  client_stats_t ClientStats() const;
  std::uint64_t cache_hits() const { return cache_hits_.load(std::memory_order_relaxed); }

 private:
  std::string RenderResult(const PayloadFields& fields) const;

  const HandlerConfig config_;
  LruCache* const cache_;
  client_t* client_;
  std::atomic<std::uint64_t> cache_hits_{0};
};

}  // namespace clw_worker
