// Recognising common file kinds by their first bytes; see file_kind.h.
#include "file_kind.h"

#include <cstdio>
#include <cstring>

namespace clwleak::analysis {
namespace {

bool StartsWith(const unsigned char* head, size_t size, const char* magic, size_t length) {
  return size >= length && std::memcmp(head, magic, length) == 0;
}

// Printable ASCII, tabs and line ends, or UTF-8 sequences (lead byte and continuation bytes).
bool LooksLikeText(const unsigned char* head, size_t size) {
  if (size == 0) return false;
  size_t i = 0;
  while (i < size) {
    const unsigned char c = head[i];
    if (c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f)) {
      ++i;
      continue;
    }
    int continuation = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
    if (c >= 0xf8) continuation = -1;
    if (continuation < 0) return false;
    for (int k = 1; k <= continuation; ++k) {
      if (i + k >= size) return true;  // cut at the end of the sample
      if ((head[i + k] & 0xc0) != 0x80) return false;
    }
    i += 1 + continuation;
  }
  return true;
}

}  // namespace

bool StartsWithZstdMagic(const unsigned char* head, size_t size) {
  return StartsWith(head, size, "\x28\xb5\x2f\xfd", 4);
}

std::string DescribeFileKind(const unsigned char* head, size_t size) {
  if (size == 0) return "an empty file";
  if (StartsWith(head, size, "\x1f\x8b", 2)) {
    return "gzip data (a .gz file, e.g. a pprof profile from --format pprof or go tool pprof)";
  }
  if (StartsWith(head, size, "\x7f" "ELF", 4)) return "an ELF executable or shared library";
  if (StartsWith(head, size, "PK\x03\x04", 4)) return "a zip archive";
  if (StartsWith(head, size, "BZh", 3)) return "bzip2 data";
  if (StartsWith(head, size, "\xfd" "7zXZ", 5)) return "xz data";
  if (StartsWith(head, size, "\x89PNG", 4)) return "a PNG image";
  if (StartsWith(head, size, "%PDF", 4)) return "a PDF document";
  if (LooksLikeText(head, size)) {
    // Skip leading blanks to name the usual text formats.
    size_t i = 0;
    while (i < size && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) ++i;
    std::string what = "text";
    if (StartsWith(head + i, size - i, "[clw]", 5)) what = "a clw-leak-analyze text report";
    else if (i < size && (head[i] == '{' || head[i] == '[')) what = "JSON or other text";
    else if (i < size && head[i] == '<') what = "HTML or XML text";
    std::string sample;
    for (size_t k = i; k < size && sample.size() < 32 && head[k] != '\n' && head[k] != '\r'; ++k) {
      sample.push_back(static_cast<char>(head[k]));
    }
    // Keep whole UTF-8 sequences: drop a trailing cut one.
    while (!sample.empty() && (static_cast<unsigned char>(sample.back()) & 0xc0) == 0x80) {
      sample.pop_back();
    }
    if (!sample.empty() && static_cast<unsigned char>(sample.back()) >= 0xc0) sample.pop_back();
    return sample.empty() ? what : what + ", starting \"" + sample + "\"";
  }
  std::string text = "binary data of an unknown kind (first bytes";
  char hex[4];
  for (size_t k = 0; k < size && k < 8; ++k) {
    std::snprintf(hex, sizeof hex, " %02x", head[k]);
    text += hex;
  }
  return text + ")";
}

}  // namespace clwleak::analysis
