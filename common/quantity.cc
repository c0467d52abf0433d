// Parsing of sizes and durations; see quantity.h. No allocation and no libc call: the preload
// calls this before dlsym is usable.
#include "quantity.h"

namespace clwleak::quantity {
namespace {

using u128 = unsigned __int128;
constexpr int kMaxFractionDigits = 18;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(const char* text, size_t length, const char* word) {
  size_t i = 0;
  for (; i < length && word[i] != '\0'; ++i) {
    if (Lower(text[i]) != Lower(word[i])) return false;
  }
  return i == length && word[i] == '\0';
}

bool Equals(const char* text, size_t length, const char* word) {
  size_t i = 0;
  for (; i < length && word[i] != '\0'; ++i) {
    if (text[i] != word[i]) return false;
  }
  return i == length && word[i] == '\0';
}

// A number with an optional fraction: whole part, fraction digits (at most kMaxFractionDigits
// kept; further digits still must be digits and only count when the result rounds up), and the
// rest of the text (the unit, spaces removed).
struct Number {
  u128 whole = 0;
  u128 fraction = 0;       // the kept fraction digits as an integer
  u128 fraction_scale = 1; // 10^(kept fraction digits)
  bool fraction_beyond = false;  // a non-zero digit past the kept ones
  const char* unit = nullptr;
  size_t unit_length = 0;
};

bool SplitNumber(const char* text, size_t length, Number* number, QuantityError* error) {
  size_t i = 0;
  if (length == 0) return (*error = QuantityError::kEmpty), false;
  if (!IsDigit(text[0]) && !(text[0] == '.' && length > 1 && IsDigit(text[1]))) {
    bool blank = true;
    for (size_t j = 0; j < length; ++j) blank = blank && text[j] == ' ';
    *error = blank ? QuantityError::kEmpty : QuantityError::kNotANumber;
    return false;
  }
  for (; i < length && IsDigit(text[i]); ++i) {
    number->whole = number->whole * 10 + static_cast<unsigned>(text[i] - '0');
    if (number->whole > UINT64_MAX) return (*error = QuantityError::kTooLarge), false;
  }
  if (i < length && text[i] == '.') {
    ++i;
    int kept = 0;
    const size_t first_digit = i;
    for (; i < length && IsDigit(text[i]); ++i) {
      if (kept < kMaxFractionDigits) {
        number->fraction = number->fraction * 10 + static_cast<unsigned>(text[i] - '0');
        number->fraction_scale *= 10;
        ++kept;
      } else if (text[i] != '0') {
        number->fraction_beyond = true;
      }
    }
    if (i == first_digit) return (*error = QuantityError::kNotANumber), false;  // "5."
  }
  while (i < length && text[i] == ' ') ++i;
  number->unit = text + i;
  number->unit_length = length - i;
  for (size_t j = 0; j < number->unit_length; ++j) {
    const char c = number->unit[j];
    if (c == ' ' || IsDigit(c) || c == '.') return (*error = QuantityError::kUnknownUnit), false;
  }
  return true;
}

// number * multiplier, rounded up to a whole unit; false when it does not fit 64 bits. The
// products stay exact in 128 bits: whole < 2^64 and fraction < 10^18 < 2^60, multiplier <= 2^60.
bool Scale(const Number& number, u128 multiplier, uint64_t* out) {
  const u128 fraction_product = number.fraction * multiplier;
  u128 result = number.whole * multiplier + fraction_product / number.fraction_scale;
  if (fraction_product % number.fraction_scale != 0 || number.fraction_beyond) result += 1;
  if (result > UINT64_MAX) return false;
  *out = static_cast<uint64_t>(result);
  return true;
}

}  // namespace

bool ParseSize(const char* text, size_t length, uint64_t* bytes, QuantityError* error) {
  QuantityError ignored;
  if (error == nullptr) error = &ignored;
  Number number;
  if (text == nullptr) return (*error = QuantityError::kEmpty), false;
  if (!SplitNumber(text, length, &number, error)) return false;
  const char* unit = number.unit;
  const size_t n = number.unit_length;
  u128 multiplier = 0;
  static const char kLetters[] = "kmgtpe";
  if (n == 0 || Equals(unit, n, "B")) {
    multiplier = 1;
  } else if (n == 1 && (unit[0] == 'k' || unit[0] == 'K' || unit[0] == 'M' || unit[0] == 'G' ||
                        unit[0] == 'T' || unit[0] == 'P' || unit[0] == 'E')) {
    multiplier = 1;
    for (int p = 0; kLetters[p] != Lower(unit[0]); ++p) multiplier *= 1000;
    multiplier *= 1000;
  } else if (n == 1 && (unit[0] == 'm' || unit[0] == 'g' || unit[0] == 't')) {
    return (*error = QuantityError::kAmbiguousUnit), false;
  } else if ((n == 2 || n == 3) && Lower(unit[1]) == 'i' &&
             (n == 2 || Lower(unit[2]) == 'b')) {
    multiplier = 0;
    for (int p = 0; kLetters[p] != '\0'; ++p) {
      if (kLetters[p] == Lower(unit[0])) multiplier = u128{1} << (10 * (p + 1));
    }
    if (multiplier == 0) return (*error = QuantityError::kUnknownUnit), false;
  } else if (n == 2 && Lower(unit[1]) == 'b') {
    for (int p = 0; kLetters[p] != '\0'; ++p) {
      if (kLetters[p] == Lower(unit[0])) return (*error = QuantityError::kAmbiguousUnit), false;
    }
    return (*error = QuantityError::kUnknownUnit), false;
  } else {
    return (*error = QuantityError::kUnknownUnit), false;
  }
  if (!Scale(number, multiplier, bytes)) return (*error = QuantityError::kTooLarge), false;
  *error = QuantityError::kNone;
  return true;
}

bool ParseDuration(const char* text, size_t length, uint64_t* nanos, QuantityError* error) {
  QuantityError ignored;
  if (error == nullptr) error = &ignored;
  Number number;
  if (text == nullptr) return (*error = QuantityError::kEmpty), false;
  if (!SplitNumber(text, length, &number, error)) return false;
  const char* unit = number.unit;
  const size_t n = number.unit_length;
  constexpr u128 kSecond = 1000000000;
  u128 multiplier = 0;
  if (n == 0 || Equals(unit, n, "s")) multiplier = kSecond;
  else if (Equals(unit, n, "us")) multiplier = 1000;
  else if (Equals(unit, n, "ms")) multiplier = 1000000;
  else if (Equals(unit, n, "m") || Equals(unit, n, "min")) multiplier = 60 * kSecond;
  else if (Equals(unit, n, "h")) multiplier = 3600 * kSecond;
  else if (Equals(unit, n, "d")) multiplier = 86400 * kSecond;
  else if (EqualsIgnoringCase(unit, n, "ns")) multiplier = 1;
  else return (*error = QuantityError::kUnknownUnit), false;
  if (!Scale(number, multiplier, nanos)) return (*error = QuantityError::kTooLarge), false;
  *error = QuantityError::kNone;
  return true;
}

const char* DescribeError(QuantityError error, bool is_duration) {
  switch (error) {
    case QuantityError::kNone: return "is valid";
    case QuantityError::kEmpty:
      return is_duration ? "is empty (write a duration: 500ms, 30s, 5m, 1h)"
                         : "is empty (write a size: 4096, 512Mi, 4Gi, 2G)";
    case QuantityError::kNotANumber:
      return is_duration ? "is not a duration (e.g. 500ms, 30s, 5m, 1.5h, 2d)"
                         : "is not a size (e.g. 4096, 64Ki, 512Mi, 1.5Gi, 2G)";
    case QuantityError::kUnknownUnit:
      return is_duration ? "has an unknown duration unit (use us, ms, s, m, h or d)"
                         : "has an unknown size unit (use Ki, Mi, Gi, Ti for powers of 1024; "
                           "k, M, G, T for powers of 1000; or plain bytes)";
    case QuantityError::kAmbiguousUnit:
      return "is ambiguous: write Mi, Gi (powers of 1024: 1Mi = 1048576 bytes) or M, G "
             "(powers of 1000: 1M = 1000000 bytes)";
    case QuantityError::kTooLarge: return "is too large";
  }
  return "is malformed";
}

}  // namespace clwleak::quantity
