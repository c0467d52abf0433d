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

TEST(UnitsTest, ParsesSizes) {
  EXPECT_EQ(Size("1048576"), 1048576u);
  EXPECT_EQ(Size("512B"), 512u);
  EXPECT_EQ(Size("64KiB"), 65536u);
  EXPECT_EQ(Size("64K"), 65536u);
  EXPECT_EQ(Size("15MiB"), 15u << 20);
  EXPECT_EQ(Size("15m"), 15u << 20);
  EXPECT_EQ(Size("4GiB"), 4ull << 30);
  EXPECT_EQ(Size("2G"), 2ull << 30);
  EXPECT_EQ(Size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(Size("1TiB"), 1ull << 40);
  uint64_t bytes = 0;
  std::string error;
  EXPECT_FALSE(ParseSize("", &bytes, &error));
  EXPECT_FALSE(ParseSize("MiB", &bytes, &error));
  EXPECT_FALSE(ParseSize("-5M", &bytes, &error));
  EXPECT_FALSE(ParseSize("12XB", &bytes, &error));
  EXPECT_EQ(error, "'12XB' has an unknown size unit (use B, KiB, MiB, GiB, TiB)");
  EXPECT_FALSE(ParseSize("99999999999TiB", &bytes, &error));
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
  ASSERT_TRUE(ParseDuration("2h", &seconds, &error));
  EXPECT_DOUBLE_EQ(seconds, 7200);
  EXPECT_FALSE(ParseDuration("5", &seconds, &error));
  EXPECT_FALSE(ParseDuration("5y", &seconds, &error));
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
