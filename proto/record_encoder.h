// RecordEncoder: the file's framing on the writing side. A snapshot file is one zstd stream of
// length-delimited protobuf records (a varint32 length, then the message): the Header first, then
// Snapshots. Every record is flushed (ZSTD_e_flush ends a zstd block), so the file decodes up to
// the last record even if the writer is killed a moment later; the final record ends the zstd
// frame (ZSTD_e_end), so a complete file is a complete frame. After an end, the next record starts
// a new frame in the same file (a process whose exec failed goes on writing).
//
// Used by libclwleak.so's snapshot writer and by the tests' synthetic writer; the bytes go to a
// sink the caller provides (a descriptor it checks, a FILE*). May throw std::bad_alloc; the
// preload catches it at its entry points.
#pragma once

#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <google/protobuf/message_lite.h>

namespace clwleak::format {

enum class EncodeStatus {
  kOk,
  kNoMemory,         // the zstd context could not be created
  kEncodeFailed,     // the message did not serialize
  kCompressFailed,   // zstd returned an error
  kSinkFailed,       // the sink refused the bytes (its errno is kept)
};

struct CompressionSettings {
  int level = 3;
  int window_log = 0;  // 0: zstd's default for the level
  int table_log = 0;   // hash and chain log; 0: zstd's default
};

class RecordEncoder {
 public:
  // Writes `size` bytes; false on failure, with errno set.
  using Sink = bool (*)(void* context, const char* data, size_t size);

  RecordEncoder() = default;
  ~RecordEncoder();
  RecordEncoder(const RecordEncoder&) = delete;
  RecordEncoder& operator=(const RecordEncoder&) = delete;

  // Creates the compression context. kNoMemory when zstd cannot allocate it.
  EncodeStatus Start(const CompressionSettings& settings, Sink sink, void* sink_context);
  // Frees the context; Start may be called again (a forked child's new file).
  void Stop();
  bool started() const { return zstd_ != nullptr; }

  // Appends `message` as one record and flushes it; `end_frame` ends the zstd frame after it.
  EncodeStatus Append(const google::protobuf::MessageLite& message, bool end_frame = false);
  // Compresses `bytes` as they are, with no length in front (tests write corrupt records with it).
  EncodeStatus AppendUnframed(const std::string& bytes, bool end_frame = false);
  // Compressed bytes handed to the sink so far.
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  EncodeStatus Compress(const std::string& bytes, ZSTD_EndDirective directive);

  ZSTD_CCtx* zstd_ = nullptr;
  Sink sink_ = nullptr;
  void* sink_context_ = nullptr;
  std::string record_;      // one framed record
  std::string compressed_;  // zstd output buffer, sized at the first record
  uint64_t bytes_written_ = 0;
};

// Appends `value` as a base-128 varint.
void AppendVarint(uint64_t value, std::string* out);

}  // namespace clwleak::format
