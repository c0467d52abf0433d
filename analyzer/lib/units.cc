// Parsing and printing of sizes and durations; see units.h.
#include "units.h"

#include "quantity.h"

#include <cmath>
#include <cstdio>
#include <iterator>

namespace clwleak::analysis {

bool ParseSize(std::string_view text, uint64_t* bytes, std::string* error) {
  quantity::QuantityError problem;
  if (quantity::ParseSize(text.data(), text.size(), bytes, &problem)) return true;
  *error = "'" + std::string(text) + "' " + quantity::DescribeError(problem, false);
  return false;
}

bool ParseDuration(std::string_view text, double* seconds, std::string* error) {
  quantity::QuantityError problem;
  uint64_t nanos = 0;
  if (quantity::ParseDuration(text.data(), text.size(), &nanos, &problem)) {
    *seconds = static_cast<double>(nanos) / 1e9;
    return true;
  }
  *error = "'" + std::string(text) + "' " + quantity::DescribeError(problem, true);
  return false;
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

std::string FormatRate(double value) {
  if (!std::isfinite(value)) return "unknown";
  if (value < 0) return "-" + FormatRate(-value);
  if (value >= 99.5) return FormatCount(static_cast<uint64_t>(std::llround(value)));
  if (value == 0) return "0";
  if (value < 0.001) return "under 0.001";
  // Three significant digits in fixed notation: 2 decimals from 1, 3 from 0.1, 4 from 0.01...
  int decimals = value >= 9.995 ? 1 : value >= 0.9995 ? 2 : value >= 0.09995 ? 3 : 4;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace clwleak::analysis
