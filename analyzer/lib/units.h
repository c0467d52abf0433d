// Sizes and durations as people write and read them: parsing "512Mi", "4Gi", "2G", "1.5Gi" and
// "30s", and printing bytes in binary units ("15.0 MiB", "1.21 GiB") and durations ("3h 58m").
// Used by the CLI for its flags and by the report formatters; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clwleak::analysis {

// Sizes and durations in the grammar of common/quantity.h, shared with the preload: plain bytes,
// Kubernetes quantities (512Mi, 4Gi, 1.5Gi binary; 2G, 500M, 64k decimal), KiB/MiB/GiB; "100MB"
// is rejected as ambiguous. On failure returns false and sets *error to "'TEXT' <what is wrong>".
bool ParseSize(std::string_view text, uint64_t* bytes, std::string* error);

// A number with a unit: us, ms, s, m (minutes), h, d; a bare number is seconds.
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

// A rate as people read it, never in e-notation: 15000 -> "15,000", 1000 -> "1,000", 40 -> "40",
// 2.5 -> "2.5", 0.333 -> "0.333", below 0.001 -> "under 0.001"; three significant digits below
// 100, whole numbers from 100.
std::string FormatRate(double value);

}  // namespace clwleak::analysis
