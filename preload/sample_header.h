// SampleHeader: the record of a sampled heap block, kept in the block itself when the next
// allocator is glibc's (the "inline" bookkeeping mode; see capture.h for the other one).
//
// Layout of a sampled block:
//
//   base (from the real allocator)            user pointer (returned to the host)
//   |  alignment padding  | SampleHeader ... magic |  size bytes the host asked for ...
//                         |<----- 48 bytes ------->|
//   |<------------------ offset ------------------>|
//
// The last word before the user pointer is `magic`. For every block glibc hands out, the word
// before the user pointer is the chunk's size field, which is below 2^63; our magics have the top
// bit set. So free() tells a sampled block from an unsampled one by loading the word glibc's own
// free() is about to load anyway: no table, no hashing, the same cost with 10 or 10^7 blocks live.
// That read is only safe on glibc's chunks, which is why the mode is chosen at start-up from the
// allocator that RTLD_NEXT finds (real_functions.cc).
//
// Blocks of the bootstrap arena (allocations made while dlsym runs) carry a header too, with
// kBootstrapMagic, so that free() recognises them with the same load.
#pragma once

#include <cstddef>
#include <cstdint>

namespace clwleak {

constexpr uint64_t kSampledMagic = 0xC1A7'5A3D'0B5E'ED01ull;    // top bit set: never a chunk size
constexpr uint64_t kBootstrapMagic = 0xC1A7'B007'57A9'0002ull;  // top bit set too

struct SampleHeader {
  uint64_t size;             // bytes the host asked for
  uint64_t weight_bytes;     // what the sample stands for (sampler.h)
  uint64_t weight_count_fp;
  uint32_t stack_id;          // StackTable::kInvalidId when the stack table was full
  uint32_t birth_bucket;      // birth_buckets.h: kept when realloc moves the block
  uint64_t offset;           // user pointer - base pointer; a multiple of 16, at least 48
  uint64_t magic;            // kSampledMagic or kBootstrapMagic; ends right at the user pointer
};
static_assert(sizeof(SampleHeader) == 48, "the header keeps user pointers 16-byte aligned");

constexpr size_t kSampleHeaderSpace = sizeof(SampleHeader);

// Room taken in front of the user block for a block aligned to `alignment` (a power of two).
constexpr size_t HeaderSpaceFor(size_t alignment) {
  return alignment <= 16 ? kSampleHeaderSpace
                         : (kSampleHeaderSpace + alignment - 1) & ~(alignment - 1);
}

inline SampleHeader* HeaderOf(void* user) { return static_cast<SampleHeader*>(user) - 1; }

// The test of the free() hot path. Only valid on pointers from glibc or the bootstrap arena.
inline bool HasSampleHeader(const void* user) {
  return static_cast<int64_t>(static_cast<const uint64_t*>(user)[-1]) < 0;
}

inline void* BaseOf(void* user) { return static_cast<char*>(user) - HeaderOf(user)->offset; }

}  // namespace clwleak
