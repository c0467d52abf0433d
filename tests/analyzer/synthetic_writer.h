// Test-only writers of clwleak snapshot files with known truth, used by the analyzer's tests and
// benchmark. They write through the same schema and framing as libclwleak.so (one zstd stream,
// length-delimited Header then Snapshots, ZSTD_e_flush after every record) so that the reader and
// the analysis see exactly what a real file would hold.
//
// SyntheticWriter is the framing; SyntheticProfile builds on it the way the preload's writer
// does: definitions (modules, frames, stacks) written once, counters listed only when they changed
// (all of them in the final snapshot). Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clwleak.pb.h"
#include "format_limits.h"
#include "record_encoder.h"
#include "snapshot_schedule.h"
#include "stack_counters.h"

namespace clwleak::testing {

// A header that a reader accepts (format version 1) with the given sampling rate.
proto::Header MakeHeader(uint64_t sample_rate_bytes, uint64_t memory_limit_bytes = 0,
                         const std::string& limit_source = "");

class SyntheticWriter {
 public:
  // Creates `path`; aborts the test program if it cannot (tests own their temp directory).
  explicit SyntheticWriter(const std::string& path, int compression_level = 1);
  ~SyntheticWriter();
  SyntheticWriter(const SyntheticWriter&) = delete;
  SyntheticWriter& operator=(const SyntheticWriter&) = delete;

  // Appends varint32(size) + bytes and flushes the zstd stream. Returns the file size afterwards.
  uint64_t WriteRecord(const std::string& bytes);
  uint64_t WriteMessage(const google::protobuf::MessageLite& message);
  // Writes raw bytes into the compressed stream without a length prefix (for corrupt records).
  uint64_t WriteUnframed(const std::string& bytes);
  // Ends the zstd frame (ZSTD_e_end) when `end_frame`, then closes the file. Without end_frame
  // the file looks like the one a SIGKILLed writer leaves: whole flushed blocks, no epilogue.
  uint64_t Close(bool end_frame = true);
  uint64_t bytes_written() const { return encoder_.bytes_written(); }

 private:
  // The file size after a successful write; aborts the test program on a failed one.
  uint64_t Checked(format::EncodeStatus status);

  std::FILE* file_ = nullptr;
  format::RecordEncoder encoder_;
};

struct FrameSpec {
  std::string function;
  std::string file;
  uint32_t line = 0;
  std::string module_path;  // empty: unknown module (module id 0)
};

// Facts recorded with one snapshot besides the stack counters.
struct SnapshotFacts {
  uint64_t requests = 0;
  double seconds = 0;  // since the header's start; becomes monotonic_ns and wall_time_unix_ns
  uint64_t rss_bytes = 0;
  std::optional<uint64_t> cgroup_memory_current;
  std::string memory_in_use_source;  // of cgroup_memory_current; empty as in older files
  uint64_t memory_limit_bytes = 0;   // the cgroup limit the kernel enforces; 0 = none
  std::string memory_limit_source;
  uint32_t cgroup_process_count = 0;
  proto::Drops drops;
};

class SyntheticProfile {
 public:
  SyntheticProfile(const std::string& path, const proto::Header& header, int compression_level = 1);

  // Defines a stack (interning its modules and frames); it is written with the next snapshot.
  uint32_t AddStack(const std::vector<FrameSpec>& frames,
                    proto::AllocationKind kind = proto::HEAP);
  // Sets a stack's cumulative counters; the snapshot lists it only when they differ from the last
  // ones written.
  void SetCounters(uint32_t stack_id, const proto::StackStats& counters);
  void SetLive(uint32_t stack_id, uint64_t live_bytes, uint64_t live_count, uint64_t live_samples);

  // Opens birth bucket `birth_buckets_opened()` at the given point of the run; it is written with
  // the next snapshot (set the header's birth_bucket_capacity for a file with ages).
  void OpenBirthBucket(uint64_t requests, double seconds);
  uint32_t birth_buckets_opened() const { return birth_buckets_; }

  // Writes a snapshot and returns the file size after its flush.
  uint64_t WriteSnapshot(const SnapshotFacts& facts, bool final = false);
  uint64_t Close(bool end_frame = true) { return writer_.Close(end_frame); }
  uint64_t snapshots_written() const { return sequence_; }
  const proto::Header& header() const { return header_; }

 private:
  SyntheticWriter writer_;
  proto::Header header_;
  std::map<std::string, uint32_t> module_ids_;
  std::map<std::tuple<std::string, std::string, uint32_t, std::string>, uint32_t> frame_ids_;
  std::vector<proto::Module> pending_modules_;
  std::vector<proto::Frame> pending_frames_;
  std::vector<proto::Stack> pending_stacks_;
  std::map<uint32_t, proto::AllocationKind> kinds_;
  std::map<uint32_t, proto::StackStats> current_;
  format::ListedStacks listed_;
  uint32_t next_stack_id_ = 1;
  uint64_t next_address_ = 0x401000;
  uint64_t sequence_ = 0;
  uint32_t birth_buckets_ = 0;
  std::vector<proto::BirthBucket> pending_buckets_;
};

// When the preload opens a birth bucket: just before a snapshot, once the open bucket has been
// open for at least half of the time that had passed when it opened, up to `capacity` buckets.
// Bucket 0 opens at profiling start.
class BirthBucketSchedule {
 public:
  explicit BirthBucketSchedule(uint32_t capacity = 32) : capacity_(capacity) {}
  // Called before writing the snapshot at `seconds`: true when a bucket opens there.
  bool OpensAt(double seconds);
  uint32_t open_bucket() const { return opened_ - 1; }

 private:
  uint32_t capacity_;
  uint32_t opened_ = 1;  // bucket 0
  uint64_t open_since_ns_ = 0;  // on the synthetic header's monotonic clock; 0: bucket 0
};

// The preload's snapshot times: from 10 ms after start, the period doubling up to `interval`
// (10, 30, 70, 150, ... ms), then every `interval`. Times up to `until` seconds.
std::vector<double> EarlySnapshotTimes(double interval, double until);

}  // namespace clwleak::testing
