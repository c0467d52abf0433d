// task_queue.h — the bounded queue between clw-worker's dispatcher (main thread) and its worker
// threads.
//
// Multi-producer, multi-consumer, guarded by one mutex. Push blocks while the queue is full (that is
// the worker's back-pressure) for at most a timeout, so the dispatcher can still notice a stop signal;
// Pop blocks until an item arrives or the queue is closed and drained. Thread-safe: any thread may
// call any member.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace clw_worker {

template <typename T>
class TaskQueue {
 public:
  enum class PushResult { kPushed, kTimedOut, kClosed };

  explicit TaskQueue(std::size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}

  // Moves `item` into the queue, waiting up to `timeout` for room. On kTimedOut or kClosed the item is
  // left untouched.
  PushResult Push(T&& item, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!not_full_.wait_for(lock, timeout, [&] { return closed_ || items_.size() < capacity_; })) {
      return PushResult::kTimedOut;
    }
    if (closed_) return PushResult::kClosed;
    items_.push_back(std::move(item));
    lock.unlock();
    not_empty_.notify_one();
    return PushResult::kPushed;
  }

  // Takes the oldest item. Returns false once the queue is closed and empty.
  bool Pop(T* item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return true;
  }

  // No more pushes; consumers drain what is queued, then Pop returns false.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace clw_worker
