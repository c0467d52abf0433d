// Following one snapshot file; see file_follower.h.
#include "file_follower.h"

#include <algorithm>
#include <utility>

namespace clwleak::exporter {
namespace {

// The reader's input chunk and output room: snapshots are small and arrive a few at a time, and
// zstd's recommended 128 KiB each would be most of a follower's memory.
constexpr size_t kReadBufferBytes = 8 * 1024;
// A file without a new snapshot for this many of its snapshot periods (and at least
// kIdleReleaseMinSeconds) keeps only its answers: its process was killed or hangs, and its
// decoder (~100 KiB and more) is not worth keeping for a file that may never grow again.
constexpr double kIdleReleasePeriods = 6;
constexpr double kIdleReleaseMinSeconds = 60;

}  // namespace

const char* ReadProblemName(ReadProblem problem) {
  switch (problem) {
    case ReadProblem::kNone:
      return "none";
    case ReadProblem::kNoHeader:
      return "no_header";
    case ReadProblem::kCorrupt:
      return "corrupt";
    case ReadProblem::kTruncated:
      return "truncated";
    case ReadProblem::kReplaced:
      return "replaced";
    case ReadProblem::kRemoved:
      return "removed";
    case ReadProblem::kTooManyFiles:
      return "too_many_files";
    case ReadProblem::kUnreadable:
      return "unreadable";
  }
  return "unknown";
}

FileFollower::FileFollower(std::string path, dev_t device, ino_t inode,
                           const FollowerSettings* settings)
    : path_(std::move(path)), device_(device), inode_(inode), settings_(settings) {}

FileFollower::~FileFollower() {
  analysis_.reset();  // it refers to the reader
  reader_.reset();
}

ReadProblem FileFollower::Poll(double now_s, uint64_t file_size, bool force) {
  new_snapshots_ = 0;
  if (first_seen_s_ < 0) first_seen_s_ = last_activity_s_ = now_s;
  if (failed_) return ReadProblem::kNone;
  if (released_size_ > 0) {
    if (file_size == released_size_) return ReadProblem::kNone;
    // Written again after its clean end (an exec that failed continues the file in a new zstd
    // frame): read it again from its start.
    Restart();
  }
  if (reader_ == nullptr) {
    // The writer creates the file and then writes its header: an empty or short file may be one
    // that is just starting. It is tried again whenever it grows, and counted as a problem only
    // once it has lacked a header for the grace period.
    if (file_size > 0 && file_size != size_at_last_open_attempt_) {
      size_at_last_open_attempt_ = file_size;
      std::string error;
      reader_ = analysis::SnapshotReader::Open(path_, &error, kReadBufferBytes);
      if (reader_ != nullptr) {
        analysis_ = std::make_unique<analysis::FileAnalysis>(*reader_, settings_->analysis);
        for (const proto::Label& label : reader_->header().labels()) {
          labels_.emplace_back(label.key(), label.value());
        }
        has_header_ = true;
        pid_ = reader_->header().pid();
        exe_ = reader_->header().exe();
        idle_release_s_ =
            std::max(kIdleReleaseMinSeconds,
                     kIdleReleasePeriods * reader_->header().snapshot_interval_ns() / 1e9);
      }
    }
    if (reader_ == nullptr) {
      if (!header_late_counted_ && now_s - first_seen_s_ >= settings_->header_grace_s) {
        header_late_counted_ = true;
        failed_ = true;
        return ReadProblem::kNoHeader;
      }
      return ReadProblem::kNone;
    }
  }
  if (file_size < reader_->file_bytes_read()) {
    failed_ = true;
    return ReadProblem::kTruncated;
  }
  reader_->Resume();
  analysis::ReadStatus status;
  while ((status = reader_->Next()) == analysis::ReadStatus::kSnapshot) {
    analysis_->Observe();
    ++new_snapshots_;
    pending_ = true;
    last_snapshot_wall_s_ = static_cast<double>(reader_->last_snapshot().wall_time_unix_ns()) / 1e9;
  }
  if (new_snapshots_ > 0) last_activity_s_ = now_s;
  ReadProblem problem = ReadProblem::kNone;
  if (status == analysis::ReadStatus::kError) {
    failed_ = true;
    problem = ReadProblem::kCorrupt;
  }
  const bool due =
      last_analysis_s_ < 0 || now_s - last_analysis_s_ >= settings_->analysis_interval_s;
  // The file's clean end may arrive after its final snapshot (the zstd frame's epilogue): that
  // changes the answer (complete) without a new snapshot.
  if (reader_->complete() && figures_ != nullptr && !figures_->complete) pending_ = true;
  if (pending_ && (due || force || failed_ || reader_->complete())) {
    Analyse();
    last_analysis_s_ = now_s;
  }
  if (failed_ || (!pending_ && figures_ != nullptr &&
                  (reader_->complete() || now_s - last_activity_s_ >= idle_release_s_))) {
    Release();
  }
  return problem;
}

void FileFollower::Release() {
  released_size_ = reader_->file_bytes_read();
  released_complete_ = reader_->complete();
  analysis_.reset();  // it refers to the reader
  reader_.reset();
}

void FileFollower::Restart() {
  analysis_.reset();
  reader_.reset();
  labels_.clear();
  has_header_ = false;
  released_size_ = 0;
  released_complete_ = false;
  pending_ = false;
  last_analysis_s_ = -1;
  size_at_last_open_attempt_ = UINT64_MAX;
}

void FileFollower::Analyse() {
  pending_ = false;
  analysis::FileReport report;
  std::string error;
  if (!analysis_->Report(analysis::ReadStatus::kEnd, &report, &error)) return;
  figures_ = std::make_shared<const cli::ProcessFigures>(cli::FiguresOf(report));
}

}  // namespace clwleak::exporter
