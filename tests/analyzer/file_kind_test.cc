// Unit tests of file_kind.h: what a file that is not a snapshot file looks like.
#include "file_kind.h"

#include <gtest/gtest.h>

#include <string>

namespace clwleak::analysis {
namespace {

std::string Kind(const std::string& bytes) {
  return DescribeFileKind(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

TEST(FileKind, NamesCommonKinds) {
  EXPECT_EQ(Kind(""), "an empty file");
  EXPECT_EQ(Kind(std::string("\x1f\x8b\x08", 3)),
            "gzip data (a .gz file, e.g. a pprof profile from --format pprof or go tool pprof)");
  EXPECT_EQ(Kind("\x7f" "ELF\x02\x01"), "an ELF executable or shared library");
  EXPECT_EQ(Kind("PK\x03\x04xx"), "a zip archive");
  EXPECT_EQ(Kind("<!DOCTYPE html>\n<html>"), "HTML or XML text, starting \"<!DOCTYPE html>\"");
  EXPECT_EQ(Kind("\n\n{\"a\": 1}"), "JSON or other text, starting \"{\"a\": 1}\"");
  EXPECT_EQ(Kind("héllo wörld"), "text, starting \"héllo wörld\"");
  EXPECT_EQ(Kind(std::string(40, 'a')), "text, starting \"" + std::string(32, 'a') + "\"");
  EXPECT_EQ(Kind(std::string("\x00\x01\x02", 3)), "binary data of an unknown kind (first bytes 00 01 02)");
  EXPECT_EQ(Kind("\xc3"), "text");  // a UTF-8 sequence cut at the end of the sample
}

TEST(FileKind, RecognisesTheZstdMagic) {
  const unsigned char zstd[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00};
  EXPECT_TRUE(StartsWithZstdMagic(zstd, sizeof zstd));
  EXPECT_FALSE(StartsWithZstdMagic(zstd, 3));
  const unsigned char gzip[] = {0x1f, 0x8b, 0x08, 0x00};
  EXPECT_FALSE(StartsWithZstdMagic(gzip, sizeof gzip));
}

}  // namespace
}  // namespace clwleak::analysis
