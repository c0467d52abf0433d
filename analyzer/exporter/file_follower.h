// FileFollower: follows one snapshot file that its process may still be writing. Each Poll()
// reads only the bytes appended since the previous one (the reader keeps its zstd state and any
// partly written record) and feeds the new snapshots to a streaming FileAnalysis; Figures() is the
// answer as of the last analysis. Memory: the file's definitions (stacks, frames, modules) plus
// the analysis' bounded grid, never the number of snapshots. Called by FleetWatcher on its
// thread only; not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "analysis.h"
#include "leak_metrics.h"
#include "snapshot_reader.h"

namespace clwleak::exporter {

// Why a file could not be followed (the `reason` label of clwleak_exporter_read_errors_total).
enum class ReadProblem {
  kNone,
  kNoHeader,      // no readable header within --header-grace (empty, garbage, another format)
  kCorrupt,       // a record or zstd frame that does not decode; the file is not read further
  kTruncated,     // the file became shorter than what was read: it was truncated or rewritten
  kReplaced,      // another file took its name (rotation)
  kRemoved,       // deleted before its process finished it
  kTooManyFiles,  // --max-files reached
  kUnreadable,    // open or stat failed
};
const char* ReadProblemName(ReadProblem problem);

struct FollowerSettings {
  analysis::AnalysisOptions analysis;
  double analysis_interval_s = 5;
  double header_grace_s = 30;
};

class FileFollower {
 public:
  FileFollower(std::string path, dev_t device, ino_t inode, const FollowerSettings* settings);
  ~FileFollower();

  // Reads what was appended (opening the file and its header first if needed) and re-analyses
  // when new snapshots arrived and the last analysis is at least analysis_interval_s old (or
  // `force`). `now_s`: a steady clock. Returns the problem met by this poll, if any (the follower
  // then stops reading the file; Figures() keeps the last answers).
  ReadProblem Poll(double now_s, uint64_t file_size, bool force);

  bool has_header() const { return has_header_; }
  bool failed() const { return failed_; }
  // The process finished the file (final snapshot, clean end).
  bool complete() const {
    return released_complete_ || (reader_ != nullptr && reader_->complete());
  }
  uint64_t bytes_read() const {
    return released_size_ > 0   ? released_size_
           : reader_ == nullptr ? 0
                                : reader_->file_bytes_read();
  }
  dev_t device() const { return device_; }
  ino_t inode() const { return inode_; }
  const std::string& path() const { return path_; }
  // Steady-clock time of the last new snapshot (or when first seen).
  double last_activity_s() const { return last_activity_s_; }
  // New whole snapshots read by the last Poll().
  uint64_t new_snapshots() const { return new_snapshots_; }
  // Wall-clock time (unix seconds) the last snapshot read was taken; 0 before the first.
  double last_snapshot_wall_s() const { return last_snapshot_wall_s_; }
  // The answers of the last analysis; null before the first. Shared with the metrics page, which
  // may hold it after this follower replaced it.
  std::shared_ptr<const cli::ProcessFigures> figures() const { return figures_; }
  // From the header: the process id and executable.
  uint32_t pid() const { return pid_; }
  const std::string& exe() const { return exe_; }
  // The CLWLEAK_LABELS of the header.
  const std::vector<std::pair<std::string, std::string>>& labels() const { return labels_; }

 private:
  void Analyse();
  void Restart();  // forgets the file's state, to read it again from its start
  void Release();  // keeps only the answers

  std::string path_;
  dev_t device_;
  ino_t inode_;
  const FollowerSettings* settings_;
  std::unique_ptr<analysis::SnapshotReader> reader_;
  std::unique_ptr<analysis::FileAnalysis> analysis_;
  std::vector<std::pair<std::string, std::string>> labels_;
  bool has_header_ = false;
  uint32_t pid_ = 0;
  std::string exe_;
  // > 0: the reader and analysis were released at this file size, the answers kept: the file
  // ended cleanly, or no snapshot came for kIdleReleasePeriods snapshot periods (a process that
  // was killed or hangs). If it grows again it is read anew from its start.
  uint64_t released_size_ = 0;
  bool released_complete_ = false;
  double idle_release_s_ = 0;
  bool failed_ = false;
  bool header_late_counted_ = false;
  double first_seen_s_ = -1;
  double last_activity_s_ = 0;
  double last_analysis_s_ = -1;
  bool pending_ = false;  // snapshots observed since the last analysis
  uint64_t new_snapshots_ = 0;
  uint64_t size_at_last_open_attempt_ = UINT64_MAX;
  double last_snapshot_wall_s_ = 0;
  std::shared_ptr<const cli::ProcessFigures> figures_;
};

}  // namespace clwleak::exporter
