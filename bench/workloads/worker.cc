// Macro workload: a request-worker simulation. Each thread serves a fixed number of requests, the
// way a clw-worker task handler does: parse a request into STL containers (strings, a header map, a
// vector of items), render a body, encode it with a native library (libbench_codec.so, with its
// own allocations across the library boundary), build a response, and keep it in a bounded LRU
// cache of recent responses. Every request counts itself with clwleak_request_done() (a no-op
// without the preload), so the profile has request counts like a real worker's.
//
//   bench_worker [--threads N] [--requests PER_THREAD] [--cache ENTRIES] [--seed S]
//   bench_worker ... --seconds T       serve for T seconds instead (bench/run's output-rate run)
//
// Nothing leaks: the cache and the codec's dictionary are bounded, so memory plateaus. That is
// the common case the always-on profiler must not disturb.
#include <chrono>
#include <cstdio>
#include <list>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clwleak/clwleak.h"
#include "codec.h"
#include "workload_options.h"

namespace {

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;
  std::vector<int64_t> items;
};

// A least-recently-used cache of rendered responses, as task handlers keep.
class ResponseCache {
 public:
  explicit ResponseCache(size_t capacity) : capacity_(capacity) {}

  const std::string* Find(const std::string& key) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &found->second->second;
  }

  void Put(const std::string& key, std::string value) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      found->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, found->second);
      return;
    }
    entries_.emplace_front(key, std::move(value));
    index_.emplace(key, entries_.begin());
    if (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

 private:
  using Entry = std::pair<std::string, std::string>;
  size_t capacity_;
  std::list<Entry> entries_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

std::string RandomWord(bench::Random& random, size_t min_length, size_t max_length) {
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string word(random.Between(min_length, max_length), 'a');
  for (char& letter : word) letter = kLetters[random.Next() % (sizeof(kLetters) - 1)];
  return word;
}

Request ParseRequest(bench::Random& random) {
  Request request;
  request.method = (random.Next() & 3) == 0 ? "POST" : "GET";
  request.path = "/api/v1/items/" + std::to_string(random.Between(0, 20000));
  const uint64_t header_count = random.Between(4, 12);
  for (uint64_t i = 0; i < header_count; ++i) {
    request.headers.emplace("x-header-" + std::to_string(random.Between(0, 40)),
                            RandomWord(random, 8, 64));
  }
  const uint64_t item_count = random.LogUniform(8, 512);
  request.items.reserve(item_count);
  for (uint64_t i = 0; i < item_count; ++i) request.items.push_back(random.Between(0, 100000));
  return request;
}

std::string RenderBody(const Request& request) {
  std::string body = request.method + " " + request.path + "\n";
  for (const auto& [name, value] : request.headers) body += name + " " + value + "\n";
  for (int64_t item : request.items) {
    body += "item-" + std::to_string(item % 997) + ",";
  }
  return body;
}

struct ThreadResult {
  uint64_t requests = 0;
  uint64_t cache_hits = 0;
  uint64_t digest = 0;
};

void Serve(uint64_t requests, uint64_t seconds, uint64_t cache_capacity, uint64_t seed,
           ThreadResult* result) {
  bench::Random random(seed);
  ResponseCache cache(cache_capacity);
  codec::Session* session = codec::OpenSession(4096);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  uint64_t served = 0;
  while (seconds != 0 ? std::chrono::steady_clock::now() < deadline : served < requests) {
    Request request = ParseRequest(random);
    if (request.method == "GET") {
      if (const std::string* cached = cache.Find(request.path)) {
        result->digest += cached->size();
        ++result->cache_hits;
        ++served;
        clwleak_request_done();
        continue;
      }
    }
    std::string body = RenderBody(request);
    size_t encoded_size = 0;
    unsigned char* encoded = codec::Encode(session, body.data(), body.size(), &encoded_size);
    if (encoded == nullptr) {
      fprintf(stderr, "bench_worker: encode failed\n");
      exit(1);
    }
    const uint64_t digest = codec::Digest(encoded, encoded_size);
    codec::ReleaseBuffer(encoded);
    std::string response = "200 " + std::to_string(digest) + " " + std::to_string(encoded_size);
    result->digest += digest;
    cache.Put(request.path, std::move(response));
    ++served;
    clwleak_request_done();
  }
  codec::CloseSession(session);
  result->requests = served;
}

}  // namespace

int main(int argc, char** argv) {
  bench::WorkloadOptions options(
      argc, argv, "[--threads N] [--requests PER_THREAD | --seconds T] [--cache ENTRIES] [--seed S]");
  const uint64_t threads = options.Get("threads", 1);
  const uint64_t requests = options.Get("requests", 200000);
  const uint64_t seconds = options.Get("seconds", 0);
  const uint64_t cache_capacity = options.Get("cache", 4096);
  const uint64_t seed = options.Get("seed", 1);
  if (threads == 0) {
    fprintf(stderr, "bench_worker: --threads must be at least 1\n");
    return 2;
  }
  std::vector<ThreadResult> results(threads);
  std::vector<std::thread> workers;
  for (uint64_t i = 0; i < threads; ++i) {
    workers.emplace_back(Serve, requests, seconds, cache_capacity, seed + i * 104729, &results[i]);
  }
  for (std::thread& worker : workers) worker.join();
  ThreadResult total;
  for (const ThreadResult& result : results) {
    total.requests += result.requests;
    total.cache_hits += result.cache_hits;
    total.digest += result.digest;
  }
  printf("worker threads=%lu requests=%lu cache_hits=%lu digest=%lu\n",
         static_cast<unsigned long>(threads), static_cast<unsigned long>(total.requests),
         static_cast<unsigned long>(total.cache_hits), static_cast<unsigned long>(total.digest));
  return 0;
}
