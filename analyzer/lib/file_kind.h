// What a file that is not a clwleak snapshot file looks like, from its first bytes: said in the
// reader's error so that a user who passed a pprof profile, a log or a binary learns what they
// passed ("it looks like gzip data, e.g. a pprof profile (.pb.gz)"). Called by snapshot_reader.cc
// when the file does not start with a zstd frame. Pure function, thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace clwleak::analysis {

// True when `head` starts with the zstd frame magic number (28 b5 2f fd), as every clwleak
// snapshot file does.
bool StartsWithZstdMagic(const unsigned char* head, size_t size);

// A phrase for what the bytes look like: "gzip data (a .gz file, e.g. a pprof profile .pb.gz)",
// "text (\"hello world\")", "an ELF executable or shared library", "binary data (first bytes 8e
// 3a 01 ff)", "an empty file". `size` may be anything from 0 up.
std::string DescribeFileKind(const unsigned char* head, size_t size);

}  // namespace clwleak::analysis
