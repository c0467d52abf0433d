// lru_cache.cc — the bounded LRU result cache (see lru_cache.h). Used by TaskHandler from every
// worker thread.
#include "lru_cache.h"

namespace clw_worker {

LruCache::LruCache(std::size_t max_entries) : max_entries_(max_entries) {
  // Size the index once so that rehashing does not add its own growth curve to the cache's.
  index_.reserve(max_entries_);
}

std::optional<std::string> LruCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  entries_.splice(entries_.begin(), entries_, found->second);
  return found->second->second;
}

void LruCache::Put(std::string_view key, std::string_view value) {
  if (max_entries_ == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = index_.find(key);
  if (found != index_.end()) {
    auto entry = found->second;
    payload_bytes_ = payload_bytes_ - entry->second.size() + value.size();
    entry->second.assign(value);
    entries_.splice(entries_.begin(), entries_, entry);
    return;
  }
  if (entries_.size() >= max_entries_) {
    const Entry& oldest = entries_.back();
    payload_bytes_ -= oldest.first.size() + oldest.second.size();
    index_.erase(oldest.first);
    entries_.pop_back();
  }
  entries_.emplace_front(std::string(key), std::string(value));
  index_.emplace(entries_.front().first, entries_.begin());
  payload_bytes_ += key.size() + value.size();
}

std::size_t LruCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::size_t LruCache::payload_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return payload_bytes_;
}

}  // namespace clw_worker
