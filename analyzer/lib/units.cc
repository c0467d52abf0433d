// Parsing and printing of sizes and durations; see units.h.
#include "units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace clwleak::analysis {
namespace {

std::string Lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

// Splits "15.5MiB" into 15.5 and "mib". False when there is no leading non-negative number.
bool SplitNumber(std::string_view text, double* number, std::string* suffix) {
  std::string owned(text);
  if (owned.empty() || !(std::isdigit(static_cast<unsigned char>(owned[0])) || owned[0] == '.')) {
    return false;
  }
  char* end = nullptr;
  *number = std::strtod(owned.c_str(), &end);
  if (end == owned.c_str() || !std::isfinite(*number) || *number < 0) return false;
  *suffix = Lower(std::string_view(end));
  while (!suffix->empty() && suffix->front() == ' ') suffix->erase(0, 1);
  return true;
}

}  // namespace

bool ParseSize(std::string_view text, uint64_t* bytes, std::string* error) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, &number, &suffix)) {
    *error = "'" + std::string(text) + "' is not a size (e.g. 1048576, 64KiB, 15MiB, 4GiB)";
    return false;
  }
  double multiplier = 0;
  if (suffix.empty() || suffix == "b") {
    multiplier = 1;
  } else if (suffix == "k" || suffix == "kb" || suffix == "kib") {
    multiplier = 1024.0;
  } else if (suffix == "m" || suffix == "mb" || suffix == "mib") {
    multiplier = 1024.0 * 1024;
  } else if (suffix == "g" || suffix == "gb" || suffix == "gib") {
    multiplier = 1024.0 * 1024 * 1024;
  } else if (suffix == "t" || suffix == "tb" || suffix == "tib") {
    multiplier = 1024.0 * 1024 * 1024 * 1024;
  } else {
    *error = "'" + std::string(text) + "' has an unknown size unit (use B, KiB, MiB, GiB, TiB)";
    return false;
  }
  const double value = number * multiplier;
  if (value >= 1.8e19) {
    *error = "'" + std::string(text) + "' is too large";
    return false;
  }
  *bytes = static_cast<uint64_t>(std::llround(value));
  return true;
}

bool ParseDuration(std::string_view text, double* seconds, std::string* error) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, &number, &suffix)) {
    *error = "'" + std::string(text) + "' is not a duration (e.g. 500ms, 30s, 5m, 1h)";
    return false;
  }
  if (suffix == "ms") {
    *seconds = number / 1000;
  } else if (suffix == "s") {
    *seconds = number;
  } else if (suffix == "m" || suffix == "min") {
    *seconds = number * 60;
  } else if (suffix == "h") {
    *seconds = number * 3600;
  } else if (suffix == "d") {
    *seconds = number * 86400;
  } else {
    *error = "'" + std::string(text) + "' needs a duration unit (ms, s, m, h, d)";
    return false;
  }
  return true;
}

ByteUnit UnitFor(double bytes) {
  static constexpr ByteUnit kUnits[] = {{"B", 1.0},
                                        {"KiB", 1024.0},
                                        {"MiB", 1024.0 * 1024},
                                        {"GiB", 1024.0 * 1024 * 1024},
                                        {"TiB", 1024.0 * 1024 * 1024 * 1024}};
  const double magnitude = std::fabs(bytes);
  size_t i = 0;
  // Switch unit once the value would print as 1000 or more in the current one.
  while (i + 1 < std::size(kUnits) && magnitude >= 999.5 * kUnits[i].divisor) ++i;
  return kUnits[i];
}

std::string FormatInUnit(double bytes, ByteUnit unit) {
  const double value = bytes / unit.divisor;
  const double magnitude = std::fabs(value);
  char buffer[64];
  if (unit.divisor == 1.0 || magnitude >= 99.95) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, magnitude >= 9.995 ? "%.1f" : "%.2f", value);
  std::string text = buffer;
  // "2.00" -> "2.0", "1.50" -> "1.5": keep one decimal so a size reads as a measurement.
  const size_t dot = text.find('.');
  while (dot != std::string::npos && text.size() > dot + 2 && text.back() == '0') text.pop_back();
  return text;
}

std::string FormatBytes(double bytes) {
  ByteUnit unit = UnitFor(bytes);
  return FormatInUnit(bytes, unit) + " " + unit.name;
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds)) return "never";
  if (seconds < 0) seconds = 0;
  const uint64_t total = static_cast<uint64_t>(std::llround(seconds));
  const uint64_t days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60,
                 secs = total % 60;
  auto part = [](uint64_t value, const char* unit) { return std::to_string(value) + unit; };
  if (days > 0) return part(days, "d") + " " + part(hours, "h");
  if (hours > 0) return part(hours, "h") + " " + part(minutes, "m");
  if (minutes > 0) return part(minutes, "m") + " " + part(secs, "s");
  return part(secs, "s");
}

std::string FormatCount(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string result;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) result.push_back(',');
    result.push_back(digits[i]);
  }
  return result;
}

}  // namespace clwleak::analysis
