// Following one snapshot file; see file_follower.h.
#include "file_follower.h"

#include <utility>

namespace clwleak::exporter {

const char* ReadProblemName(ReadProblem problem) {
  switch (problem) {
    case ReadProblem::kNone: return "none";
    case ReadProblem::kNoHeader: return "no_header";
    case ReadProblem::kCorrupt: return "corrupt";
    case ReadProblem::kTruncated: return "truncated";
    case ReadProblem::kReplaced: return "replaced";
    case ReadProblem::kRemoved: return "removed";
    case ReadProblem::kTooManyFiles: return "too_many_files";
    case ReadProblem::kUnreadable: return "unreadable";
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
  if (reader_ == nullptr) {
    // The writer creates the file and then writes its header: an empty or short file may be one
    // that is just starting. It is tried again whenever it grows, and counted as a problem only
    // once it has lacked a header for the grace period.
    if (file_size > 0 && file_size != size_at_last_open_attempt_) {
      size_at_last_open_attempt_ = file_size;
      std::string error;
      reader_ = analysis::SnapshotReader::Open(path_, &error);
      if (reader_ != nullptr) {
        analysis_ = std::make_unique<analysis::FileAnalysis>(*reader_, settings_->analysis);
        for (const proto::Label& label : reader_->header().labels()) {
          labels_.emplace_back(label.key(), label.value());
        }
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
  const bool due = last_analysis_s_ < 0 || now_s - last_analysis_s_ >= settings_->analysis_interval_s;
  // The file's clean end may arrive after its final snapshot (the zstd frame's epilogue): that
  // changes the answer (complete) without a new snapshot.
  if (reader_->complete() && figures_ != nullptr && !figures_->complete) pending_ = true;
  if (pending_ && (due || force || failed_ || reader_->complete())) {
    Analyse();
    last_analysis_s_ = now_s;
  }
  return problem;
}

void FileFollower::Analyse() {
  pending_ = false;
  analysis::FileReport report;
  std::string error;
  if (!analysis_->Report(analysis::ReadStatus::kEnd, &report, &error)) return;
  figures_ = std::make_shared<const cli::ProcessFigures>(cli::FiguresOf(report));
}

}  // namespace clwleak::exporter
