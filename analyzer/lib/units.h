// Sizes and durations as people write and read them: parsing "64KiB", "15MiB", "4GiB", "2G" and
// "30s", and printing bytes in binary units ("15.0 MiB", "1.21 GiB") and durations ("3h 58m").
// Used by the CLI for its flags and by the report formatters; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clwleak::analysis {

// Accepts plain bytes ("1048576", "512B") or a number with a binary suffix: K/KB/KiB, M/MB/MiB,
// G/GB/GiB, T/TB/TiB (all powers of 1024; case-insensitive; "1.5GiB" allowed). On failure returns
// false and sets *error to what is wrong with `text`.
bool ParseSize(std::string_view text, uint64_t* bytes, std::string* error);

// Accepts a number with a unit: ms, s, m (minutes), h, d. On failure returns false with *error set.
bool ParseDuration(std::string_view text, double* seconds, std::string* error);

// The binary unit a value is printed in (B, KiB, MiB, GiB, TiB) and its divisor.
struct ByteUnit {
  const char* name;
  double divisor;
};
ByteUnit UnitFor(double bytes);

// A number in `unit` with three significant digits, trailing zeros dropped down to one decimal:
// 15.0, 1.21, 2.0, 512 (no unit name).
std::string FormatInUnit(double bytes, ByteUnit unit);

// "15.0 MiB", "1.21 GiB", "512 B"; negative values get a leading '-'.
std::string FormatBytes(double bytes);

// "3h 58m", "2d 4h", "12m 5s", "42s"; sub-second values print as "0s".
std::string FormatDuration(double seconds);

// 1234567 -> "1,234,567".
std::string FormatCount(uint64_t value);

}  // namespace clwleak::analysis
