// The assumption inline bookkeeping rests on (sample_header.h): for every block glibc hands out,
// the word before the pointer is its chunk size field, below 2^63, so HasSampleHeader() is false;
// and the header arithmetic keeps user pointers aligned.
#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>

#include <vector>

#include "sample_header.h"

namespace clwleak {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kGlibcMalloc = false;  // a sanitizer's allocator has its own block layout
#else
constexpr bool kGlibcMalloc = true;
#endif

TEST(SampleHeader, NoGlibcBlockLooksSampled) {
  if (!kGlibcMalloc) GTEST_SKIP() << "malloc is the sanitizer's, not glibc's";
  std::vector<void*> blocks;
  // tcache, fastbin, smallbin and largebin sizes, and mmapped chunks (above 128 KiB).
  for (size_t size = 0; size <= (8u << 20); size = size < 64 ? size + 1 : size * 3 / 2) {
    blocks.push_back(malloc(size));
    blocks.push_back(calloc(1, size));
  }
  for (size_t alignment = 32; alignment <= (1u << 20); alignment <<= 1) {
    blocks.push_back(memalign(alignment, 100));
    blocks.push_back(aligned_alloc(alignment, alignment * 3));
  }
  blocks.push_back(valloc(5000));
  blocks.push_back(pvalloc(5000));
  void* grown = malloc(10);
  for (size_t size = 16; size < (4u << 20); size *= 2) grown = realloc(grown, size);
  blocks.push_back(grown);
  for (void* block : blocks) {
    ASSERT_NE(block, nullptr);
    EXPECT_FALSE(HasSampleHeader(block)) << block << " size field "
                                         << static_cast<const uint64_t*>(block)[-1];
  }
  for (void* block : blocks) free(block);
}

TEST(SampleHeader, HeaderSpaceKeepsTheAlignment) {
  EXPECT_EQ(HeaderSpaceFor(0), 48u);
  EXPECT_EQ(HeaderSpaceFor(16), 48u);
  EXPECT_EQ(HeaderSpaceFor(32), 64u);
  EXPECT_EQ(HeaderSpaceFor(64), 64u);
  EXPECT_EQ(HeaderSpaceFor(4096), 4096u);
  for (size_t alignment = 32; alignment <= 4096; alignment <<= 1) {
    EXPECT_EQ(HeaderSpaceFor(alignment) % alignment, 0u);
    EXPECT_GE(HeaderSpaceFor(alignment), sizeof(SampleHeader));
  }
}

TEST(SampleHeader, MagicsAreRecognisedAndEndAtTheUserPointer) {
  alignas(16) unsigned char storage[2 * sizeof(SampleHeader)] = {};
  void* user = storage + sizeof(SampleHeader);
  SampleHeader* header = HeaderOf(user);
  EXPECT_EQ(static_cast<void*>(header), static_cast<void*>(storage));
  header->offset = sizeof(SampleHeader);
  EXPECT_FALSE(HasSampleHeader(user));
  header->magic = kSampledMagic;
  EXPECT_TRUE(HasSampleHeader(user));
  EXPECT_EQ(BaseOf(user), static_cast<void*>(storage));
  header->magic = kBootstrapMagic;
  EXPECT_TRUE(HasSampleHeader(user));
}

}  // namespace
}  // namespace clwleak
