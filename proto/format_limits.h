// The snapshot file format's fixed numbers, one definition for the writer (libclwleak.so), the
// reader (clw-leak-analyze) and the tests' writer. The file itself is described in clwleak.proto.
#pragma once

#include <cstdint>

namespace clwleak::format {

// Header.format_version of every file this code writes and the only one it reads. Fields are only
// ever added (proto3 rules), so an added field does not change it.
inline constexpr uint32_t kFormatVersion = 1;

// Records are length-delimited: a base-128 varint of at most 5 bytes (a uint32), then the message.
inline constexpr int kMaxVarint32Bytes = 5;
// No honest record comes near this: a snapshot of 100,000 changed stacks is a few MiB. A reader
// rejects a longer length before sizing any buffer for it.
inline constexpr uint64_t kMaxRecordBytes = 64ull << 20;

// Birth buckets (allocation age): the preload opens at most kBirthBucketCapacity per file; a reader
// ignores indices at or above kMaxBirthBucketIndex, so a corrupt index cannot make it allocate.
inline constexpr uint32_t kBirthBucketCapacity = 32;
inline constexpr uint32_t kMaxBirthBucketIndex = 256;

}  // namespace clwleak::format
