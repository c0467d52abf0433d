// payload.cc — builds and parses clw-worker's JSON-ish task documents (see payload.h).
#include "payload.h"

#include <array>
#include <cstdint>
#include <string>

namespace clw_worker {
namespace {

// splitmix64: a tiny, good-enough generator so that a task's payload depends only on its seed.
std::uint64_t NextRandom(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr std::array<const char*, 24> kWords = {
    "invoice", "shipment", "customer", "ledger",  "refund",   "quote",   "order",  "region",
    "tenant",  "payload",  "retry",    "backoff", "timeout",  "cluster", "worker", "queue",
    "latency", "cache",    "session",  "token",   "checksum", "archive", "report", "batch"};
constexpr std::array<const char*, 5> kKinds = {"summarize", "reconcile", "render", "index", "export"};
constexpr std::array<const char*, 4> kRegions = {"eu-west-1", "us-east-2", "ap-south-1", "sa-east-1"};

void AppendEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
}

class Parser {
 public:
  Parser(std::string_view text, PayloadFields* fields) : text_(text), fields_(fields) {}

  bool ParseDocument(std::string* error) {
    SkipSpace();
    if (Peek() != '{') return Fail("expected '{' at start of document", error);
    if (!ParseValue("", error)) return false;
    SkipSpace();
    if (pos_ != text_.size()) return Fail("trailing characters after the document", error);
    return true;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Fail(const std::string& what, std::string* error) {
    *error = what + " at byte " + std::to_string(pos_);
    return false;
  }

  bool ParseString(std::string* out, std::string* error) {
    ++pos_;  // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\') {
        if (pos_ >= text_.size()) break;
        char escaped = text_[pos_++];
        switch (escaped) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case '"': case '\\': case '/': c = escaped; break;
          default: return Fail(std::string("unsupported escape \\") + escaped, error);
        }
      }
      out->push_back(c);
    }
    if (pos_ >= text_.size()) return Fail("unterminated string", error);
    ++pos_;  // closing quote
    return true;
  }

  bool ParseLiteral(const std::string& path, std::string* error) {
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' &&
           text_[pos_] != ' ' && text_[pos_] != '\n') {
      ++pos_;
    }
    std::string_view literal = text_.substr(start, pos_ - start);
    bool is_number = !literal.empty() && literal.find_first_not_of("-+.eE0123456789") == std::string_view::npos;
    if (!is_number && literal != "true" && literal != "false" && literal != "null") {
      pos_ = start;
      return Fail("expected a value", error);
    }
    (*fields_)[path] = std::string(literal);
    return true;
  }

  bool ParseValue(const std::string& path, std::string* error) {
    SkipSpace();
    char c = Peek();
    if (c == '{') return ParseObject(path, error);
    if (c == '[') return ParseArray(path, error);
    if (c == '"') {
      std::string value;
      if (!ParseString(&value, error)) return false;
      (*fields_)[path] = std::move(value);
      return true;
    }
    return ParseLiteral(path, error);
  }

  bool ParseObject(const std::string& path, std::string* error) {
    ++pos_;  // '{'
    SkipSpace();
    if (Peek() == '}') return ++pos_, true;
    while (true) {
      SkipSpace();
      if (Peek() != '"') return Fail("expected a member name", error);
      std::string name;
      if (!ParseString(&name, error)) return false;
      SkipSpace();
      if (Peek() != ':') return Fail("expected ':'", error);
      ++pos_;
      if (!ParseValue(path.empty() ? name : path + "." + name, error)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') return ++pos_, true;
      return Fail("expected ',' or '}'", error);
    }
  }

  bool ParseArray(const std::string& path, std::string* error) {
    ++pos_;  // '['
    SkipSpace();
    if (Peek() == ']') return ++pos_, true;
    for (std::size_t index = 0;; ++index) {
      if (!ParseValue(path + "[" + std::to_string(index) + "]", error)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') return ++pos_, true;
      return Fail("expected ',' or ']'", error);
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  PayloadFields* fields_;
};

}  // namespace

std::string BuildPayload(const Task& task, std::size_t target_bytes) {
  std::uint64_t state = task.seed;
  std::string out;
  out.reserve(target_bytes + 64);
  out += "{\"id\":" + std::to_string(task.id) + ",\"key\":\"";
  AppendEscaped(&out, task.key);
  out += "\",\"kind\":\"";
  out += kKinds[NextRandom(&state) % kKinds.size()];
  out += "\",\"priority\":" + std::to_string(NextRandom(&state) % 5);
  out += ",\"attrs\":{\"tenant\":\"acme-" + std::to_string(NextRandom(&state) % 97) + "\",\"region\":\"";
  out += kRegions[NextRandom(&state) % kRegions.size()];
  out += "\",\"retries\":" + std::to_string(NextRandom(&state) % 3) + ",\"dry_run\":false}";
  out += ",\"tags\":[";
  std::size_t tag_count = 2 + NextRandom(&state) % 4;
  for (std::size_t i = 0; i < tag_count; ++i) {
    if (i > 0) out += ',';
    out += '"';
    out += kWords[NextRandom(&state) % kWords.size()];
    out += '"';
  }
  out += "],\"body\":\"";
  // The body is text from a small vocabulary (with an occasional quoted word, so the parser unescapes)
  // until the document reaches its target size.
  while (out.size() + 2 < target_bytes) {
    std::uint64_t r = NextRandom(&state);
    std::string_view word = kWords[r % kWords.size()];
    if (r % 17 == 0) {
      out += "\\\"";
      out += word;
      out += "\\\" ";
    } else {
      out += word;
      out += ' ';
    }
  }
  out += "\"}";
  return out;
}

bool ParsePayload(std::string_view text, PayloadFields* fields, std::string* error) {
  fields->clear();
  return Parser(text, fields).ParseDocument(error);
}

}  // namespace clw_worker
