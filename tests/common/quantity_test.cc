// Unit tests of the shared size and duration grammar (common/quantity.h): Kubernetes quantities,
// fractions, ambiguity, overflow, and durations.
#include "quantity.h"

#include <gtest/gtest.h>

#include <string>

namespace clwleak::quantity {
namespace {

uint64_t Size(const std::string& text) {
  uint64_t bytes = 0;
  QuantityError error = QuantityError::kNone;
  EXPECT_TRUE(ParseSize(text.data(), text.size(), &bytes, &error)) << text;
  EXPECT_EQ(error, QuantityError::kNone);
  return bytes;
}

QuantityError SizeError(const std::string& text) {
  uint64_t bytes = 12345;
  QuantityError error = QuantityError::kNone;
  EXPECT_FALSE(ParseSize(text.data(), text.size(), &bytes, &error)) << text;
  EXPECT_EQ(bytes, 12345u) << text << ": a rejected value leaves the output alone";
  return error;
}

uint64_t Nanos(const std::string& text) {
  uint64_t nanos = 0;
  QuantityError error = QuantityError::kNone;
  EXPECT_TRUE(ParseDuration(text.data(), text.size(), &nanos, &error)) << text;
  return nanos;
}

QuantityError DurationError(const std::string& text) {
  uint64_t nanos = 0;
  QuantityError error = QuantityError::kNone;
  EXPECT_FALSE(ParseDuration(text.data(), text.size(), &nanos, &error)) << text;
  return error;
}

TEST(Quantity, PlainBytes) {
  EXPECT_EQ(Size("0"), 0u);
  EXPECT_EQ(Size("1"), 1u);
  EXPECT_EQ(Size("4096"), 4096u);
  EXPECT_EQ(Size("512B"), 512u);
  EXPECT_EQ(Size("18446744073709551615"), UINT64_MAX);
}

TEST(Quantity, BinarySuffixesArePowersOf1024) {
  EXPECT_EQ(Size("64Ki"), 64u << 10);
  EXPECT_EQ(Size("512Mi"), 512ull << 20);
  EXPECT_EQ(Size("4Gi"), 4ull << 30);
  EXPECT_EQ(Size("1Ti"), 1ull << 40);
  EXPECT_EQ(Size("2Pi"), 2ull << 50);
  EXPECT_EQ(Size("1Ei"), 1ull << 60);
  EXPECT_EQ(Size("64KiB"), 64u << 10);
  EXPECT_EQ(Size("15MiB"), 15ull << 20);
  EXPECT_EQ(Size("4GiB"), 4ull << 30);
  EXPECT_EQ(Size("4gib"), 4ull << 30);
  EXPECT_EQ(Size("15 Mi"), 15ull << 20);
}

TEST(Quantity, DecimalSuffixesArePowersOf1000) {
  EXPECT_EQ(Size("64k"), 64000u);
  EXPECT_EQ(Size("64K"), 64000u);
  EXPECT_EQ(Size("2M"), 2000000u);
  EXPECT_EQ(Size("2G"), 2000000000ull);
  EXPECT_EQ(Size("3T"), 3000000000000ull);
  EXPECT_EQ(Size("1P"), 1000000000000000ull);
  EXPECT_EQ(Size("1E"), 1000000000000000000ull);
}

TEST(Quantity, FractionsRoundUpToAWholeByte) {
  EXPECT_EQ(Size("1.5Gi"), 3ull << 29);
  EXPECT_EQ(Size("0.5Mi"), 1ull << 19);
  EXPECT_EQ(Size("1.5G"), 1500000000ull);
  EXPECT_EQ(Size(".5Ki"), 512u);
  EXPECT_EQ(Size("2.25k"), 2250u);
  EXPECT_EQ(Size("0.1Ki"), 103u);  // 102.4 rounds up, as Kubernetes does
  EXPECT_EQ(Size("1.5"), 2u);
  EXPECT_EQ(Size("1.0000000000000000000001"), 2u);  // a digit past 18 still rounds up
  EXPECT_EQ(Size("1.000000000000000000000"), 1u);
}

TEST(Quantity, AmbiguousUnitsAreRefused) {
  for (const char* text : {"100MB", "100mb", "64KB", "64kB", "2GB", "1TB", "2g", "100m", "1t"}) {
    EXPECT_EQ(SizeError(text), QuantityError::kAmbiguousUnit) << text;
  }
}

TEST(Quantity, MalformedSizesSayWhatIsWrong) {
  EXPECT_EQ(SizeError(""), QuantityError::kEmpty);
  EXPECT_EQ(SizeError("  "), QuantityError::kEmpty);
  EXPECT_EQ(SizeError("Mi"), QuantityError::kNotANumber);
  EXPECT_EQ(SizeError("-5Mi"), QuantityError::kNotANumber);
  EXPECT_EQ(SizeError("+5"), QuantityError::kNotANumber);
  EXPECT_EQ(SizeError("5."), QuantityError::kNotANumber);
  EXPECT_EQ(SizeError("12XB"), QuantityError::kUnknownUnit);
  EXPECT_EQ(SizeError("12Q"), QuantityError::kUnknownUnit);
  EXPECT_EQ(SizeError("1e6"), QuantityError::kUnknownUnit);
  EXPECT_EQ(SizeError("5Mi "), QuantityError::kUnknownUnit);
  EXPECT_EQ(SizeError("5 5"), QuantityError::kUnknownUnit);
  EXPECT_EQ(SizeError("1.2.3"), QuantityError::kUnknownUnit);
  EXPECT_EQ(SizeError("18446744073709551616"), QuantityError::kTooLarge);
  EXPECT_EQ(SizeError("99999999999999999999999"), QuantityError::kTooLarge);
  EXPECT_EQ(SizeError("16Ei"), QuantityError::kTooLarge);
  EXPECT_EQ(SizeError("99999999999Ti"), QuantityError::kTooLarge);
  uint64_t bytes = 0;
  EXPECT_FALSE(ParseSize(nullptr, 0, &bytes, nullptr));
  EXPECT_STREQ(DescribeError(QuantityError::kAmbiguousUnit, false),
               "is ambiguous: write Mi, Gi (powers of 1024: 1Mi = 1048576 bytes) or M, G "
               "(powers of 1000: 1M = 1000000 bytes)");
}

TEST(Quantity, LengthBoundsTheText) {
  const char text[] = "64KiXYZ";
  uint64_t bytes = 0;
  ASSERT_TRUE(ParseSize(text, 4, &bytes, nullptr));
  EXPECT_EQ(bytes, 64u << 10);
}

TEST(Quantity, Durations) {
  EXPECT_EQ(Nanos("250us"), 250000u);
  EXPECT_EQ(Nanos("500ms"), 500000000u);
  EXPECT_EQ(Nanos("5s"), 5000000000u);
  EXPECT_EQ(Nanos("7"), 7000000000u);  // a bare number is seconds
  EXPECT_EQ(Nanos("2m"), 120000000000u);
  EXPECT_EQ(Nanos("2min"), 120000000000u);
  EXPECT_EQ(Nanos("1.5h"), 5400000000000u);
  EXPECT_EQ(Nanos("2d"), 172800000000000u);
  EXPECT_EQ(Nanos("0.5s"), 500000000u);
  EXPECT_EQ(Nanos("0"), 0u);
  EXPECT_EQ(DurationError("5y"), QuantityError::kUnknownUnit);
  EXPECT_EQ(DurationError("5S"), QuantityError::kUnknownUnit);
  EXPECT_EQ(DurationError("fast"), QuantityError::kNotANumber);
  EXPECT_EQ(DurationError(""), QuantityError::kEmpty);
  EXPECT_EQ(DurationError("999999999999d"), QuantityError::kTooLarge);
}

}  // namespace
}  // namespace clwleak::quantity
