// Colour decisions and ANSI styles; see terminal.h.
#include "terminal.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace clwleak::cli {

bool ParseColorMode(const std::string& text, ColorMode* mode) {
  if (text == "auto") {
    *mode = ColorMode::kAuto;
  } else if (text == "always") {
    *mode = ColorMode::kAlways;
  } else if (text == "never") {
    *mode = ColorMode::kNever;
  } else {
    return false;
  }
  return true;
}

bool ShouldColor(ColorMode mode, int fd) {
  if (mode != ColorMode::kAuto) return mode == ColorMode::kAlways;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fd) == 1;
}

std::string Painter::operator()(const std::string& text, Style style) const {
  if (!enabled_ || text.empty()) return text;
  const char* code = "";
  switch (style) {
    case Style::kBold:
      code = "\033[1m";
      break;
    case Style::kLeak:
      code = "\033[1;31m";
      break;
    case Style::kGood:
      code = "\033[1;32m";
      break;
    case Style::kWarn:
      code = "\033[1;33m";
      break;
    case Style::kDim:
      code = "\033[2m";
      break;
  }
  return code + text + "\033[0m";
}

}  // namespace clwleak::cli
