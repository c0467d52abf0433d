// Unit tests of EscapeBytes (analyzer/cli/byte_escape.h), the one escaping of host bytes that every
// report format applies: what is escaped and how, that the output is always valid UTF-8 without
// control characters (checked by glibc's iconv, an independent decoder), that it is idempotent,
// and that the escapes give back the original bytes.
#include "byte_escape.h"

#include <gtest/gtest.h>

#include <random>

#include "utf8_check.h"

namespace clwleak::cli {
namespace {

using testing::ValidUtf8;

bool HasControlCharacter(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// Undoes \xHH and \uHHHH (for inputs that hold no backslash of their own).
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && text[i + 1] == 'x') {
      out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
      i += 3;
    } else if (text[i] == '\\' && text[i + 1] == 'u') {
      const unsigned c = static_cast<unsigned>(std::stoi(text.substr(i + 2, 4), nullptr, 16));
      if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
      } else {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      }
      out += static_cast<char>(0x80 | (c & 0x3F));
      i += 5;
    } else {
      out += text[i];
    }
  }
  return out;
}

TEST(EscapeBytes, ValidTextWithoutControlsIsUnchanged) {
  for (const std::string text :
       {"", "client_send", "operator<<(std::ostream&, Foo const&)", "/opt/clw/lib/libclient.so",
        "caf\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x90\x9B", "back\\slash \\xE9"}) {
    EXPECT_EQ(EscapeBytes(text), text);
  }
}

TEST(EscapeBytes, BytesThatAreNotUtf8BecomeHexEscapes) {
  EXPECT_EQ(EscapeBytes("caf\xE9"), "caf\\xE9");
  EXPECT_EQ(EscapeBytes("\xFF\xFE"), "\\xFF\\xFE");
  EXPECT_EQ(EscapeBytes("\xE9_leak"), "\\xE9_leak");
  EXPECT_EQ(EscapeBytes("\xC3"), "\\xC3");                             // truncated at the end
  EXPECT_EQ(EscapeBytes("\xE2\x82x"), "\\xE2\\x82x");                  // truncated in the middle
  EXPECT_EQ(EscapeBytes("\xC0\xAF"), "\\xC0\\xAF");                    // overlong '/'
  EXPECT_EQ(EscapeBytes("\xE0\x80\xAF"), "\\xE0\\x80\\xAF");           // overlong, three bytes
  EXPECT_EQ(EscapeBytes("\xED\xA0\x80"), "\\xED\\xA0\\x80");           // a surrogate
  EXPECT_EQ(EscapeBytes("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(EscapeBytes("\x80"), "\\x80");                             // a lone continuation byte
  EXPECT_EQ(EscapeBytes("\xE9\xC3\xA9"), "\\xE9\xC3\xA9");  // decoding resumes after one byte
}

TEST(EscapeBytes, ControlCharactersCannotReachATerminal) {
  EXPECT_EQ(EscapeBytes("a\x1B[2Jb"), "a\\x1B[2Jb");
  EXPECT_EQ(EscapeBytes("line\nnext\ttab\r"), "line\\x0Anext\\x09tab\\x0D");
  EXPECT_EQ(EscapeBytes(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeBytes("del\x7F"), "del\\x7F");
  EXPECT_EQ(EscapeBytes("c1\xC2\x9B"), "c1\\u009B");  // U+009B, CSI
  EXPECT_EQ(EscapeBytes("\xE2\x80\xAE"
                        "evil"),
            "\\u202Eevil");  // right-to-left override
  EXPECT_EQ(EscapeBytes("\xE2\x81\xA6x\xE2\x81\xA9"), "\\u2066x\\u2069");
  EXPECT_EQ(EscapeBytes("a\xE2\x80\xA8"
                        "b"),
            "a\\u2028b");
  EXPECT_EQ(EscapeBytes("\xEF\xBF\xBE\xEF\xBF\xBF"), "\\uFFFE\\uFFFF");  // not XML 1.0
}

TEST(EscapeBytes, MultiLineTextKeepsNewlinesAndTabsOnly) {
  const auto keep = ControlCharacters::kKeepNewlineAndTab;
  EXPECT_EQ(EscapeBytes("gate: x\n\tcaf\xE9\r\x1B", keep), "gate: x\n\tcaf\\xE9\\x0D\\x1B");
}

TEST(EscapeBytes, AnyBytesGiveValidUtf8WithoutControlsThatUnescapesToThem) {
  std::mt19937 random(20240611);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bytes(random() % 24, '\0');
    for (char& c : bytes) {
      // Mostly high bytes and controls, where the cases are; no backslash of its own.
      c = static_cast<char>(random() % 3 == 0 ? random() % 0x20 : 0x70 + random() % 0x90);
      if (c == '\\') c = 'x';
    }
    const std::string escaped = EscapeBytes(bytes);
    ASSERT_TRUE(ValidUtf8(escaped)) << escaped;
    ASSERT_FALSE(HasControlCharacter(escaped)) << escaped;
    ASSERT_EQ(EscapeBytes(escaped), escaped) << "escaping twice changed " << escaped;
    ASSERT_EQ(Unescape(escaped), bytes) << escaped;
  }
}

}  // namespace
}  // namespace clwleak::cli
