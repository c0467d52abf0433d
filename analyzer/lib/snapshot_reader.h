// SnapshotReader: the one reader of clwleak snapshot files (proto/clwleak.proto), used by
// clw-leak-analyze and by every test that checks what libclwleak.so wrote.
//
// It streams the file snapshot by snapshot: memory is bounded by the number of stacks, frames and
// modules the file defines, never by the file size or by a length a record claims. A truncated tail
// (a process SIGKILLed mid-write) ends the stream with ReadStatus::kTruncated after the last whole
// snapshot; garbage, an unknown format version, an oversized record or a corrupt zstd frame ends it
// with ReadStatus::kError and a message naming the file and the byte offset.
//
// Not thread-safe: one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clwleak.pb.h"
#include "profile_state.h"

namespace clwleak::analysis {

// Everything the file has defined so far and each stack's latest counters (proto/profile_state.h).
using ProfileState = format::ProfileState;

enum class ReadStatus {
  kSnapshot,   // a snapshot was decoded and folded into state()
  kEnd,        // the stream ended cleanly at a record boundary
  kTruncated,  // the stream ends inside a record or a zstd frame: the tail was lost
  kError,      // the data is not a valid clwleak file from here on; see error()
};

class SnapshotReader {
 public:
  // Opens `path` and decodes its header. On failure returns nullptr and sets *error to a message
  // that names the file, what is wrong and the byte offset (e.g. "x.pb: unknown format version 7").
  // `buffer_bytes`: the size of the compressed input chunk and of the decoded output room per
  // zstd call; 0 = zstd's recommended sizes (~128 KiB each). A program that keeps many readers
  // open (the exporter) passes a few KiB.
  static std::unique_ptr<SnapshotReader> Open(const std::string& path, std::string* error,
                                              size_t buffer_bytes = 0);
  ~SnapshotReader();

  const proto::Header& header() const;
  // Decodes the next snapshot and folds it into state().
  ReadStatus Next();
  // Following a file that is still being written: after Next() returned kEnd or kTruncated, makes
  // the next Next() read what was appended to the file since (the zstd state and a partly read
  // record are kept, nothing is read twice). False, and nothing changes, after kError.
  bool Resume();
  // The raw snapshot that the last successful Next() decoded.
  const proto::Snapshot& last_snapshot() const;
  const ProfileState& state() const;
  // True when a snapshot with `final` set was read and the stream ended cleanly after it.
  bool complete() const;
  // Why Next() returned kError or kTruncated.
  const std::string& error() const;
  uint64_t snapshots_read() const;
  const std::string& path() const;
  // Bytes of the (compressed) file read so far, and its size when opened; for progress reports.
  uint64_t file_bytes_read() const;
  uint64_t file_size() const;

 private:
  class Impl;
  explicit SnapshotReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads a whole file: the header, the state after the last whole snapshot, that snapshot, and how
// the stream ended. For tests and small tools; the analyzer streams.
struct WholeFile {
  bool opened = false;             // false: `error` says why the header could not be read
  proto::Header header;
  ProfileState state;
  proto::Snapshot last_snapshot;
  uint64_t snapshots = 0;
  ReadStatus end = ReadStatus::kEnd;
  bool complete = false;
  std::string error;
};
WholeFile ReadWholeFile(const std::string& path);

}  // namespace clwleak::analysis
