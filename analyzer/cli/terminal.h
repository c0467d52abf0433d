// Terminal manners of clw-leak-analyze: whether to colour the text report (--color, NO_COLOR,
// TERM=dumb, whether stdout is a terminal) and the ANSI styles it uses. Called by main.cc and
// text_report.cc; pure apart from reading the environment and isatty().
#pragma once

#include <string>

namespace clwleak::cli {

enum class ColorMode { kAuto, kAlways, kNever };

// Parses "auto", "always" or "never"; false for anything else.
bool ParseColorMode(const std::string& text, ColorMode* mode);

// kAlways: yes. kNever: no. kAuto: only when `fd` is a terminal, NO_COLOR is unset or empty and
// TERM is not "dumb" (https://no-color.org: NO_COLOR only changes the default).
bool ShouldColor(ColorMode mode, int fd);

// SGR styles of the text report.
enum class Style { kBold, kLeak, kGood, kWarn, kDim };

// `text` wrapped in the style's escape sequence and a reset when `enabled`, else `text` unchanged.
class Painter {
 public:
  explicit Painter(bool enabled) : enabled_(enabled) {}
  std::string operator()(const std::string& text, Style style) const;
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
};

}  // namespace clwleak::cli
