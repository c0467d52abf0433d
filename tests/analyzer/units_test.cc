// Unit tests of size and duration parsing and printing (analyzer/lib/units.h).
#include "units.h"

#include <gtest/gtest.h>

namespace clwleak::analysis {
namespace {

uint64_t Size(const std::string& text) {
  uint64_t bytes = 0;
  std::string error;
  EXPECT_TRUE(ParseSize(text, &bytes, &error)) << text << ": " << error;
  return bytes;
}

// The analyzer's wrappers over common/quantity.h: the values and the words of the errors.
TEST(UnitsTest, ParsesSizes) {
  EXPECT_EQ(Size("1048576"), 1048576u);
  EXPECT_EQ(Size("512B"), 512u);
  EXPECT_EQ(Size("64KiB"), 65536u);
  EXPECT_EQ(Size("64Ki"), 65536u);
  EXPECT_EQ(Size("64K"), 64000u);
  EXPECT_EQ(Size("15Mi"), 15u << 20);
  EXPECT_EQ(Size("4GiB"), 4ull << 30);
  EXPECT_EQ(Size("2G"), 2000000000ull);
  EXPECT_EQ(Size("1.5Gi"), 3ull << 29);
  EXPECT_EQ(Size("1Ti"), 1ull << 40);
  uint64_t bytes = 0;
  std::string error;
  EXPECT_FALSE(ParseSize("", &bytes, &error));
  EXPECT_FALSE(ParseSize("MiB", &bytes, &error));
  EXPECT_EQ(error, "'MiB' is not a size (e.g. 4096, 64Ki, 512Mi, 1.5Gi, 2G)");
  EXPECT_FALSE(ParseSize("-5M", &bytes, &error));
  EXPECT_FALSE(ParseSize("12XB", &bytes, &error));
  EXPECT_EQ(error, "'12XB' has an unknown size unit (use Ki, Mi, Gi, Ti for powers of 1024; k, M, "
                   "G, T for powers of 1000; or plain bytes)");
  EXPECT_FALSE(ParseSize("100MB", &bytes, &error));
  EXPECT_EQ(error, "'100MB' is ambiguous: write Mi, Gi (powers of 1024: 1Mi = 1048576 bytes) or "
                   "M, G (powers of 1000: 1M = 1000000 bytes)");
  EXPECT_FALSE(ParseSize("99999999999TiB", &bytes, &error));
  EXPECT_EQ(error, "'99999999999TiB' is too large");
}

TEST(UnitsTest, ParsesDurations) {
  double seconds = 0;
  std::string error;
  ASSERT_TRUE(ParseDuration("500ms", &seconds, &error));
  EXPECT_DOUBLE_EQ(seconds, 0.5);
  ASSERT_TRUE(ParseDuration("90s", &seconds, &error));
  EXPECT_DOUBLE_EQ(seconds, 90);
  ASSERT_TRUE(ParseDuration("5m", &seconds, &error));
  EXPECT_DOUBLE_EQ(seconds, 300);
  ASSERT_TRUE(ParseDuration("1.5h", &seconds, &error));
  EXPECT_DOUBLE_EQ(seconds, 5400);
  ASSERT_TRUE(ParseDuration("5", &seconds, &error));  // a bare number is seconds, as in the preload
  EXPECT_DOUBLE_EQ(seconds, 5);
  EXPECT_FALSE(ParseDuration("5y", &seconds, &error));
  EXPECT_EQ(error, "'5y' has an unknown duration unit (use us, ms, s, m, h or d)");
}

TEST(UnitsTest, FormatsBytesInBinaryUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(15.0 * (1 << 20)), "15.0 MiB");
  EXPECT_EQ(FormatBytes(2.0 * (1 << 30)), "2.0 GiB");
  EXPECT_EQ(FormatBytes(1.21 * (1 << 30)), "1.21 GiB");
  EXPECT_EQ(FormatBytes(1.5 * (1 << 10)), "1.5 KiB");
  EXPECT_EQ(FormatBytes(120.4 * (1 << 20)), "120 MiB");
  EXPECT_EQ(FormatBytes(1023.9 * (1 << 20)), "1.0 GiB");
  EXPECT_EQ(FormatBytes(-3.0 * (1 << 20)), "-3.0 MiB");
  const ByteUnit mib = UnitFor(15.0 * (1 << 20));
  EXPECT_EQ(FormatInUnit(14.2 * (1 << 20), mib), "14.2");
  EXPECT_EQ(FormatInUnit(0.5 * (1 << 20), mib), "0.5");
}

TEST(UnitsTest, FormatsRatesWithoutENotation) {
  EXPECT_EQ(FormatRate(1000), "1,000");
  EXPECT_EQ(FormatRate(15000), "15,000");
  EXPECT_EQ(FormatRate(1234567.4), "1,234,567");
  EXPECT_EQ(FormatRate(999.6), "1,000");
  EXPECT_EQ(FormatRate(100), "100");
  EXPECT_EQ(FormatRate(40), "40");
  EXPECT_EQ(FormatRate(12.34), "12.3");
  EXPECT_EQ(FormatRate(2.5), "2.5");
  EXPECT_EQ(FormatRate(1.0 / 3), "0.333");
  EXPECT_EQ(FormatRate(0.0123), "0.0123");
  EXPECT_EQ(FormatRate(0), "0");
  EXPECT_EQ(FormatRate(0.00001), "under 0.001");
  for (double v : {1e3, 1e4, 1e5, 1e6, 1e9, 0.5, 5.0, 50.0, 500.0}) {
    EXPECT_EQ(FormatRate(v).find('e'), std::string::npos) << v;
  }
}

TEST(UnitsTest, FormatsDurationsAndCounts) {
  EXPECT_EQ(FormatDuration(3 * 3600 + 58 * 60 + 20), "3h 58m");
  EXPECT_EQ(FormatDuration(2 * 86400 + 4 * 3600), "2d 4h");
  EXPECT_EQ(FormatDuration(12 * 60 + 5), "12m 5s");
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(0.2), "0s");
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
}

}  // namespace
}  // namespace clwleak::analysis
