// handler.cc — TaskHandler (see handler.h): decode, cache lookup, render, send upstream, count.
#include "handler.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "clwleak/clwleak.h"

namespace clw_worker {
namespace {

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> words;
  std::string current;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      current.push_back(c);
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

const std::string& FieldOr(const PayloadFields& fields, const std::string& path,
                           const std::string& fallback) {
  auto found = fields.find(path);
  return found == fields.end() ? fallback : found->second;
}

}  // namespace

TaskHandler::TaskHandler(const HandlerConfig& config, LruCache* cache)
    : config_(config), cache_(cache) {
  client_options_t options{config_.endpoint.c_str(), config_.leak_bytes};
  client_ = client_open(&options);
  if (!client_) throw std::runtime_error(std::string("client_open failed: ") + std::strerror(errno));
}

TaskHandler::~TaskHandler() { client_close(client_); }

client_stats_t TaskHandler::ClientStats() const {
  client_stats_t stats;
  client_stats(client_, &stats);
  return stats;
}

std::string TaskHandler::RenderResult(const PayloadFields& fields) const {
  static const std::string kUnknown = "unknown";
  const std::string& body = FieldOr(fields, "body", kUnknown);
  std::vector<std::string> words = SplitWords(body);
  std::map<std::string, unsigned> counts;
  for (const std::string& word : words) ++counts[word];
  std::vector<std::pair<std::string, unsigned>> ranked(counts.begin(), counts.end());
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  if (ranked.size() > 8) ranked.resize(8);

  std::string result = "{\"key\":\"" + FieldOr(fields, "key", kUnknown) + "\",\"kind\":\"" +
                       FieldOr(fields, "kind", kUnknown) + "\",\"tenant\":\"" +
                       FieldOr(fields, "attrs.tenant", kUnknown) + "\",\"words\":" +
                       std::to_string(words.size()) + ",\"distinct\":" + std::to_string(counts.size()) +
                       ",\"top\":[";
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    if (i > 0) result += ',';
    result += "[\"" + ranked[i].first + "\"," + std::to_string(ranked[i].second) + "]";
  }
  // The rendered body (upper-cased, quotes replaced) is what makes a cached result worth keeping: a
  // result is about as large as its task's payload.
  std::string rendered = body;
  std::transform(rendered.begin(), rendered.end(), rendered.begin(), [](unsigned char c) {
    return c == '"' ? '\'' : static_cast<char>(std::toupper(c));
  });
  result += "],\"rendered\":\"" + rendered + "\"}";
  return result;
}

bool TaskHandler::Handle(const Task& task, std::string* error) {
  bool ok = true;
  std::string payload = BuildPayload(task, config_.payload_bytes);
  PayloadFields fields;
  std::string parse_error;
  if (!ParsePayload(payload, &fields, &parse_error)) {
    *error = "task " + std::to_string(task.id) + ": bad payload: " + parse_error;
    ok = false;
  } else if (FieldOr(fields, "key", "") != task.key) {
    *error = "task " + std::to_string(task.id) + ": payload key does not match the task";
    ok = false;
  }

  if (ok) {
    std::optional<std::string> result = cache_->Get(task.key);
    if (result) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
    } else {
      result = RenderResult(fields);
      cache_->Put(task.key, *result);
    }
    char status[96];
    if (client_request(client_, task.key.c_str(), result->data(), result->size(), status,
                       sizeof(status)) != 0) {
      *error = "task " + std::to_string(task.id) + ": upstream request failed: " + std::strerror(errno);
      ok = false;
    }
  }
  clwleak_request_done();
  return ok;
}

}  // namespace clw_worker
