// task.h — one unit of work as clw-worker's dispatcher (main.cc) hands it to a worker thread.
#pragma once

#include <cstdint>
#include <string>

namespace clw_worker {

struct Task {
  std::uint64_t id = 0;    // 1, 2, 3, ... in dispatch order
  std::uint64_t seed = 0;  // drives the task's generated payload, so a task is reproducible
  std::string key;         // the result-cache key; tasks with equal keys have equal results
};

}  // namespace clw_worker
