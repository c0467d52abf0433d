// Test-only check that text is valid UTF-8, by glibc's iconv: a decoder independent of the one in
// analyzer/cli/byte_escape.cc. Used by the tests of the escaping and of the reports.
#pragma once

#include <iconv.h>

#include <string>

namespace clwleak::testing {

inline bool ValidUtf8(const std::string& text) {
  iconv_t converter = iconv_open("UTF-32LE", "UTF-8");
  if (converter == reinterpret_cast<iconv_t>(-1)) return false;
  std::string input = text;
  std::string output(text.size() * 4 + 4, '\0');
  char* in = input.data();
  size_t in_left = input.size();
  char* out = output.data();
  size_t out_left = output.size();
  const bool ok = iconv(converter, &in, &in_left, &out, &out_left) != static_cast<size_t>(-1);
  iconv_close(converter);
  return ok && in_left == 0;
}

}  // namespace clwleak::testing
