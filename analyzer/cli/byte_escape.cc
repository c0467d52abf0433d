// Escaping of host bytes for the reports; see byte_escape.h for the rules.
#include "byte_escape.h"

#include <cstdint>
#include <cstdio>

namespace clwleak::cli {
namespace {

// Length of the valid UTF-8 sequence that starts at bytes[i] and its code point, or 0 when the
// byte does not start one. Valid as RFC 3629 defines it (and as protobuf, Go and JSON parsers
// check it): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
size_t DecodeUtf8(std::string_view bytes, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong below U+10000
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF: never a lead byte
  }
  if (i + length > bytes.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  uint32_t value = lead & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; ++k) {
    if (k > 1 && (byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  *code_point = value;
  return length;
}

// Valid characters that are written as \uHHHH: C1 controls (a terminal may act on them as on
// ESC sequences), separators that break lines, bidirectional formatting that reorders what is
// shown (a name could make the text around it read differently), and the two code points XML 1.0
// forbids.
bool EscapedCodePoint(uint32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F || c == 0x2028 ||
         c == 0x2029 || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0xFFFE || c == 0xFFFF;
}

void AppendByteEscape(unsigned char byte, std::string* out) {
  char text[5];
  std::snprintf(text, sizeof text, "\\x%02X", byte);
  *out += text;
}

void AppendCodePointEscape(uint32_t code_point, std::string* out) {
  char text[7];
  std::snprintf(text, sizeof text, "\\u%04X", static_cast<unsigned>(code_point));
  *out += text;
}

bool PlainAscii(unsigned char c) { return c >= 0x20 && c < 0x7F; }

}  // namespace

std::string EscapeBytes(std::string_view bytes, ControlCharacters controls) {
  size_t plain = 0;
  while (plain < bytes.size() && PlainAscii(static_cast<unsigned char>(bytes[plain]))) ++plain;
  if (plain == bytes.size()) return std::string(bytes);  // the common case: nothing to escape

  std::string out(bytes.substr(0, plain));
  out.reserve(bytes.size() + 8);
  const bool keep_layout = controls == ControlCharacters::kKeepNewlineAndTab;
  for (size_t i = plain; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (PlainAscii(c)) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    uint32_t code_point = 0;
    const size_t length = DecodeUtf8(bytes, i, &code_point);
    if (length == 0) {
      AppendByteEscape(c, &out);  // not UTF-8: this byte alone, then decoding resumes after it
      ++i;
    } else if (length == 1) {  // a C0 control character or DEL
      if (keep_layout && (c == '\n' || c == '\t')) {
        out += static_cast<char>(c);
      } else {
        AppendByteEscape(c, &out);
      }
      ++i;
    } else {
      if (EscapedCodePoint(code_point)) {
        AppendCodePointEscape(code_point, &out);
      } else {
        out.append(bytes.substr(i, length));
      }
      i += length;
    }
  }
  return out;
}

}  // namespace clwleak::cli
