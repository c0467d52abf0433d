// Text from the profiled host (paths, arguments, function and file names, host names) is bytes: it
// need not be UTF-8, and it may hold control characters. EscapeBytes turns such bytes into text
// that every report format can carry and that cannot act on a terminal: valid UTF-8 without
// control characters comes out unchanged; everything else is written as an escape.
//
//   a byte that is not part of valid UTF-8          \xHH   (caf\xE9 for Latin-1 "café")
//   a C0 control character or DEL                   \xHH   (\x1B for ESC, \x0A for a newline)
//   a C1 control character (U+0080..U+009F), a
//   line or paragraph separator, a bidirectional
//   formatting character, U+FFFE or U+FFFF          \uHHHH (\u202E)
//
// HH and HHHH are upper-case hexadecimal. A backslash is left as it is, so names that hold no
// escaped byte read exactly as before; a name that literally holds "\xE9" reads the same as the
// byte 0xE9 (the snapshot file keeps the raw bytes).
//
// Every report format applies this first and then its own syntax escaping (docs/report-schema.md,
// "Names that are not UTF-8"): text, JSON, HTML, pprof, folded, Prometheus and JUnit. Applying it
// to its own output changes nothing, so a phrase built from escaped names can be escaped again.
#pragma once

#include <string>
#include <string_view>

namespace clwleak::cli {

enum class ControlCharacters {
  kEscapeAll,          // names and one-line text: every control character is escaped
  kKeepNewlineAndTab,  // multi-line text a report built itself: \n and \t stay as they are
};

std::string EscapeBytes(std::string_view bytes,
                        ControlCharacters controls = ControlCharacters::kEscapeAll);

}  // namespace clwleak::cli
