// lru_cache.h — clw-worker's bounded result cache: task key → rendered result, least recently used
// entry evicted first.
//
// This is the memory that grows and then plateaus: it fills up to `max_entries` and from then on every
// insertion frees the oldest entry. A leak profiler should report it as bounded growth, not as a leak.
// The cache owns copies of what it stores (allocated in Put), so its memory has one clear call site.
// Thread-safe: one mutex guards every member.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace clw_worker {

class LruCache {
 public:
  // max_entries == 0 disables the cache: Get always misses and Put stores nothing.
  explicit LruCache(std::size_t max_entries);

  // The cached value for `key` (a copy), marking it most recently used; nullopt on a miss.
  std::optional<std::string> Get(const std::string& key);
  // Stores a copy of `value` under `key`, replacing an older value and evicting the least recently
  // used entry when the cache is full.
  void Put(std::string_view key, std::string_view value);

  std::size_t size() const;
  // Bytes of keys and values held (payload only, not container overhead).
  std::size_t payload_bytes() const;
  std::size_t max_entries() const { return max_entries_; }

 private:
  using Entry = std::pair<std::string, std::string>;  // key, value
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  // Keys are views of the strings inside `entries_`; list nodes never move, so the views stay valid
  // until the entry is erased (which erases the index slot first).
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  std::size_t payload_bytes_ = 0;
};

}  // namespace clw_worker
