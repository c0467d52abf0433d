// Sizes and durations as operators write them, parsed the same way by the preload (CLWLEAK_*
// variables, CLW_MEMORY_LIMIT) and the analyzer (--memory-limit, --fail-on-leak, ...).
//
// Sizes follow Kubernetes resource quantities:
//   plain bytes          4096, 512B
//   binary (powers of 2) 64Ki, 512Mi, 4Gi, 1Ti, 2Pi, 1Ei; also KiB, MiB, GiB, TiB (any case)
//   decimal (10^3n)      64k or 64K, 2M, 2G, 1T, 1P, 1E
//   fractions            1.5Gi, 0.5M (rounded up to a whole byte, as Kubernetes does)
// "KB", "MB", "GB", "TB" (any case) and lowercase "m", "g", "t" are rejected as ambiguous: tools
// disagree on whether they mean 10^6 or 2^20 (and in Kubernetes "m" means milli), so a limit
// copied from elsewhere is never silently 5% off.
// Durations: a number (fractions allowed) with us, ms, s, m (or min), h or d; a bare number is
// seconds. "1.5h", "500ms", "90s", "5m", "2d".
//
// Who calls: preload/config.cc and preload/process_info.cc at start-up, possibly before the
// host's allocator is usable, and analyzer/lib/units.cc. So nothing here allocates, touches
// errno or the locale (no strtod): integer arithmetic on the characters only. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace clwleak::quantity {

enum class QuantityError {
  kNone,
  kEmpty,           // "" or only spaces
  kNotANumber,      // does not start with a digit: "MiB", "-5M", "fast"
  kUnknownUnit,     // "12XB", "5y"
  kAmbiguousUnit,   // "100MB", "64kb", "2g"
  kTooLarge,        // does not fit 64 bits (bytes or nanoseconds)
};

// Parses `length` characters of `text` (no terminator needed). On success sets *bytes and returns
// true; otherwise sets *error (when not null) and returns false. Spaces between the number and
// the unit are allowed ("15 Mi"), nowhere else.
bool ParseSize(const char* text, size_t length, uint64_t* bytes, QuantityError* error);

// As ParseSize, for durations; *nanos is the duration in nanoseconds (zero allowed; callers that
// need a positive duration check it).
bool ParseDuration(const char* text, size_t length, uint64_t* nanos, QuantityError* error);

// One sentence fragment for the error, e.g. "is ambiguous: write Mi (2^20 bytes) or M (10^6)".
// Static text, never null. `is_duration` picks the examples.
const char* DescribeError(QuantityError error, bool is_duration);

}  // namespace clwleak::quantity
