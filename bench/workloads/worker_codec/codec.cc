// The bench_codec library of the worker simulation; see codec.h.
#include "codec.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace codec {

struct Session {
  uint32_t capacity;
  std::unordered_map<std::string, uint32_t> dictionary;
};

Session* OpenSession(uint32_t dictionary_capacity) {
  Session* session = new Session;
  session->capacity = dictionary_capacity;
  session->dictionary.reserve(dictionary_capacity);
  return session;
}

void CloseSession(Session* session) { delete session; }

namespace {

// Appends a varint to a malloc'd buffer, growing it with realloc as a C library would.
bool AppendVarint(unsigned char** buffer, size_t* used, size_t* capacity, uint64_t value) {
  if (*used + 10 > *capacity) {
    size_t grown = *capacity * 2;
    void* larger = realloc(*buffer, grown);
    if (larger == nullptr) return false;
    *buffer = static_cast<unsigned char*>(larger);
    *capacity = grown;
  }
  do {
    unsigned char byte = value & 0x7f;
    value >>= 7;
    (*buffer)[(*used)++] = byte | (value != 0 ? 0x80 : 0);
  } while (value != 0);
  return true;
}

}  // namespace

unsigned char* Encode(Session* session, const char* input, size_t size, size_t* encoded_size) {
  std::vector<std::string> tokens;
  size_t start = 0;
  for (size_t i = 0; i <= size; ++i) {
    if (i == size || input[i] == ' ' || input[i] == ',' || input[i] == '\n') {
      if (i > start) tokens.emplace_back(input + start, i - start);
      start = i + 1;
    }
  }
  size_t capacity = 64;
  size_t used = 0;
  unsigned char* buffer = static_cast<unsigned char*>(malloc(capacity));
  if (buffer == nullptr) return nullptr;
  for (const std::string& token : tokens) {
    auto found = session->dictionary.find(token);
    uint32_t index;
    if (found != session->dictionary.end()) {
      index = found->second;
    } else {
      if (session->dictionary.size() >= session->capacity) session->dictionary.clear();
      index = static_cast<uint32_t>(session->dictionary.size());
      session->dictionary.emplace(token, index);
    }
    if (!AppendVarint(&buffer, &used, &capacity, index)) {
      free(buffer);
      return nullptr;
    }
  }
  *encoded_size = used;
  return buffer;
}

void ReleaseBuffer(unsigned char* buffer) { free(buffer); }

uint64_t Digest(const unsigned char* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace codec
