// SnapshotReader: decodes a clwleak snapshot file (one zstd stream of length-delimited protobuf
// records, see proto/clwleak.proto) record by record. Called by the analysis (analysis.cc), by the
// CLI through it, and by tests that check what libclwleak.so wrote.
//
// Buffering: compressed input is read in ZSTD_DStreamInSize() chunks and decompressed into one
// window that holds at most one record plus one zstd output block; consumed bytes are dropped. A
// record longer than kMaxRecordBytes is rejected before any buffer is sized for it, so no length a
// file claims can make the reader allocate without bound.
//
// Offsets in messages: "byte N" is an offset in the decompressed stream (where records live);
// "compressed byte M" is the offset in the file of the zstd input that was being decoded.
#include "snapshot_reader.h"

#include "file_kind.h"

#include <sys/stat.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "format_limits.h"

namespace clwleak::analysis {
namespace {

using format::kFormatVersion;
using format::kMaxRecordBytes;
using format::kMaxVarint32Bytes;

std::string OffsetText(uint64_t decompressed, uint64_t compressed) {
  return "byte " + std::to_string(decompressed) + " (compressed byte " + std::to_string(compressed) +
         ")";
}

}  // namespace

class SnapshotReader::Impl {
 public:
  Impl(std::string path, size_t buffer_bytes)
      : path_(std::move(path)),
        input_bytes_(buffer_bytes > 0 ? buffer_bytes : ZSTD_DStreamInSize()),
        output_room_(buffer_bytes > 0 ? buffer_bytes : ZSTD_DStreamOutSize()) {}
  ~Impl() {
    if (file_ != nullptr) std::fclose(file_);
    if (dctx_ != nullptr) ZSTD_freeDCtx(dctx_);
  }

  bool OpenFile(std::string* error);
  ReadStatus Next();
  bool Resume() {
    if (!finished_ || finish_status_ == ReadStatus::kError) return !finished_;
    finished_ = false;
    complete_ = false;
    input_eof_ = false;
    std::clearerr(file_);
    return true;
  }

  std::string path_;
  proto::Header header_;
  proto::Snapshot snapshot_;
  proto::Snapshot parsed_;  // decode target; swapped into snapshot_ when it parsed
  ProfileState state_;
  std::string error_;
  uint64_t snapshots_read_ = 0;
  bool final_seen_ = false;  // the last decoded snapshot had `final` set
  bool complete_ = false;
  uint64_t file_size_ = 0;
  bool finished_ = false;    // Next() returned something other than kSnapshot; it keeps doing so
  ReadStatus finish_status_ = ReadStatus::kEnd;
  uint64_t file_bytes_read_ = 0;

 private:
  // How one attempt to read a record ended.
  enum class RecordStatus { kRecord, kEnd, kTruncated, kError };

  // Decodes the next length-delimited record; on kRecord, *record views it until the next call.
  RecordStatus ReadRecord(std::string_view* record, uint64_t* record_offset);
  // Makes at least `need` decoded bytes available. False when the input ends first or zstd fails
  // (then error_ is set and zstd_failed_ is true).
  bool Fill(size_t need);
  size_t Available() const { return window_end_ - window_begin_; }
  void Consume(size_t n) {
    window_begin_ += n;
    decompressed_offset_ += n;
  }
  void MakeRoomForOutput(size_t room);
  std::optional<std::string> NotASnapshotFile() const;
  std::string Where(uint64_t decompressed) const {
    return OffsetText(decompressed, compressed_position_);
  }

  std::FILE* file_ = nullptr;
  ZSTD_DCtx* dctx_ = nullptr;
  size_t input_bytes_;  // compressed bytes read per fread
  size_t output_room_;  // decoded bytes asked of zstd per call
  std::vector<char> input_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  uint64_t input_chunk_offset_ = 0;  // file offset of input_[0]
  uint64_t compressed_position_ = 0;  // file offset up to which zstd has consumed input
  bool input_eof_ = false;
  bool output_pending_ = false;  // the last zstd call filled its output: it may hold more
  bool frame_open_ = false;      // inside a zstd frame that has not been closed yet
  bool zstd_failed_ = false;
  std::vector<char> window_;     // decoded bytes [window_begin_, window_end_) not consumed yet
  size_t window_begin_ = 0;
  size_t window_end_ = 0;
  uint64_t decompressed_offset_ = 0;  // stream offset of window_[window_begin_]
};

// When the file's first chunk does not start like a snapshot file (zstd), what it looks like.
std::optional<std::string> SnapshotReader::Impl::NotASnapshotFile() const {
  if (input_chunk_offset_ != 0 || file_bytes_read_ == 0) return std::nullopt;
  const auto* head = reinterpret_cast<const unsigned char*>(input_.data());
  const size_t size = static_cast<size_t>(std::min<uint64_t>(file_bytes_read_, input_.size()));
  if (StartsWithZstdMagic(head, size)) return std::nullopt;
  return path_ + ": not a clwleak snapshot file (those are zstd-compressed, starting 28 b5 2f fd): " +
         "this looks like " + DescribeFileKind(head, size);
}

bool SnapshotReader::Impl::OpenFile(std::string* error) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    *error = path_ + ": cannot open: " + std::strerror(errno);
    return false;
  }
  dctx_ = ZSTD_createDCtx();
  if (dctx_ == nullptr) {
    *error = path_ + ": cannot create a zstd decompression context";
    return false;
  }
  input_.resize(input_bytes_);
  struct stat info {};
  if (fstat(fileno(file_), &info) == 0 && S_ISREG(info.st_mode)) {
    file_size_ = static_cast<uint64_t>(info.st_size);
  }
  if (fstat(fileno(file_), &info) == 0 && S_ISDIR(info.st_mode)) {
    *error = path_ + ": is a directory, not a clwleak snapshot file";
    return false;
  }

  std::string_view record;
  uint64_t offset = 0;
  switch (ReadRecord(&record, &offset)) {
    case RecordStatus::kRecord:
      break;
    case RecordStatus::kEnd:
      *error = path_ + (file_bytes_read_ == 0 ? ": empty file, not a clwleak snapshot file"
                                              : ": no header record: not a clwleak snapshot file");
      return false;
    case RecordStatus::kTruncated:
      *error = path_ + ": the file ends inside its header, after " +
               std::to_string(file_bytes_read_) + (file_bytes_read_ == 1 ? " byte" : " bytes") +
               ": the writer did not finish it (the process died at start-up, or the file was cut)";
      return false;
    case RecordStatus::kError:
      *error = NotASnapshotFile().value_or(error_);
      return false;
  }
  if (!header_.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
    *error = path_ + ": the header record at byte 0 does not parse: not a clwleak snapshot file";
    return false;
  }
  if (header_.format_version() != kFormatVersion) {
    *error = path_ + ": unknown format version " + std::to_string(header_.format_version()) +
             " (this reader knows version " + std::to_string(kFormatVersion) + ")";
    return false;
  }
  return true;
}

void SnapshotReader::Impl::MakeRoomForOutput(size_t room) {
  if (window_.size() - window_end_ >= room) return;
  if (window_begin_ > 0) {
    std::memmove(window_.data(), window_.data() + window_begin_, Available());
    window_end_ -= window_begin_;
    window_begin_ = 0;
  }
  if (window_.size() - window_end_ < room) window_.resize(window_end_ + room);
}

bool SnapshotReader::Impl::Fill(size_t need) {
  while (Available() < need) {
    if (in_.pos == in_.size && !output_pending_) {
      if (input_eof_) return false;
      size_t n = std::fread(input_.data(), 1, input_.size(), file_);
      if (n == 0) {
        if (std::ferror(file_)) {
          zstd_failed_ = true;
          error_ = path_ + ": read error after compressed byte " + std::to_string(file_bytes_read_) +
                   ": " + std::strerror(errno);
        }
        input_eof_ = true;
        return false;
      }
      input_chunk_offset_ = file_bytes_read_;
      file_bytes_read_ += n;
      in_ = ZSTD_inBuffer{input_.data(), n, 0};
    }
    const size_t room = output_room_;
    MakeRoomForOutput(room);
    ZSTD_outBuffer out{window_.data() + window_end_, room, 0};
    size_t result = ZSTD_decompressStream(dctx_, &out, &in_);
    compressed_position_ = input_chunk_offset_ + in_.pos;
    if (ZSTD_isError(result)) {
      zstd_failed_ = true;
      error_ = path_ + ": corrupt zstd data at compressed byte " +
               std::to_string(compressed_position_) + " (decoded byte " +
               std::to_string(decompressed_offset_ + Available()) +
               "): " + ZSTD_getErrorName(result);
      return false;
    }
    window_end_ += out.pos;
    output_pending_ = out.pos == out.size;
    // zstd returns 0 exactly when a frame is fully decoded and flushed.
    frame_open_ = result != 0;
  }
  return true;
}

SnapshotReader::Impl::RecordStatus SnapshotReader::Impl::ReadRecord(std::string_view* record,
                                                                    uint64_t* record_offset) {
  *record_offset = decompressed_offset_;
  auto input_ended = [&](const std::string& where) {
    if (zstd_failed_) return RecordStatus::kError;
    error_ = path_ + ": " + where;
    return RecordStatus::kTruncated;
  };

  if (!Fill(1)) {
    if (zstd_failed_) return RecordStatus::kError;
    if (frame_open_) {
      error_ = path_ + ": the file ends inside a zstd frame after the last whole record, at " +
               Where(decompressed_offset_) + ": the writer did not finish the file";
      return RecordStatus::kTruncated;
    }
    return RecordStatus::kEnd;
  }

  // Length prefix: a base-128 varint of at most 5 bytes (a uint32).
  uint64_t length = 0;
  size_t prefix = 0;
  for (;;) {
    if (!Fill(prefix + 1)) {
      return input_ended("the file ends inside the length of the record at " +
                        Where(*record_offset));
    }
    const uint8_t byte = static_cast<uint8_t>(window_[window_begin_ + prefix]);
    length |= static_cast<uint64_t>(byte & 0x7f) << (7 * prefix);
    ++prefix;
    if ((byte & 0x80) == 0) break;
    if (prefix == kMaxVarint32Bytes) {
      error_ = path_ + ": malformed record length at " + Where(*record_offset) +
               ": not a clwleak record";
      return RecordStatus::kError;
    }
  }
  if (length > kMaxRecordBytes) {
    error_ = path_ + ": record length " + std::to_string(length) + " at " + Where(*record_offset) +
             " exceeds the limit of " + std::to_string(kMaxRecordBytes) + " bytes";
    return RecordStatus::kError;
  }
  if (!Fill(prefix + length)) {
    return input_ended("the file ends inside the record of " + std::to_string(length) +
                       " bytes at " + Where(*record_offset) + ": the tail was lost");
  }
  *record = std::string_view(window_.data() + window_begin_ + prefix, length);
  Consume(prefix + length);
  return RecordStatus::kRecord;
}

ReadStatus SnapshotReader::Impl::Next() {
  if (finished_) return finish_status_;
  std::string_view record;
  uint64_t offset = 0;
  RecordStatus status = ReadRecord(&record, &offset);
  if (status == RecordStatus::kRecord &&
      !parsed_.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
    error_ = path_ + ": the snapshot record at " + Where(offset) + " does not parse";
    status = RecordStatus::kError;
  }
  switch (status) {
    case RecordStatus::kRecord:
      snapshot_.Swap(&parsed_);  // last_snapshot() only ever shows a snapshot that parsed
      // A parsed message keeps the room of the largest one it held (the first snapshot defines
      // every frame): dropped, so a reader kept open holds only the last snapshot.
      parsed_ = proto::Snapshot();
      break;
    case RecordStatus::kEnd:
      finished_ = true;
      complete_ = final_seen_;
      finish_status_ = ReadStatus::kEnd;
      return finish_status_;
    case RecordStatus::kTruncated:
      finished_ = true;
      finish_status_ = ReadStatus::kTruncated;
      return finish_status_;
    case RecordStatus::kError:
      finished_ = true;
      finish_status_ = ReadStatus::kError;
      return finish_status_;
  }

  state_.Fold(snapshot_);
  final_seen_ = snapshot_.final();
  ++snapshots_read_;
  return ReadStatus::kSnapshot;
}

SnapshotReader::SnapshotReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SnapshotReader::~SnapshotReader() = default;

std::unique_ptr<SnapshotReader> SnapshotReader::Open(const std::string& path, std::string* error,
                                                     size_t buffer_bytes) {
  auto impl = std::make_unique<Impl>(path, buffer_bytes);
  std::string message;
  if (!impl->OpenFile(&message)) {
    if (error != nullptr) *error = message;
    return nullptr;
  }
  return std::unique_ptr<SnapshotReader>(new SnapshotReader(std::move(impl)));
}

const proto::Header& SnapshotReader::header() const { return impl_->header_; }
ReadStatus SnapshotReader::Next() { return impl_->Next(); }
bool SnapshotReader::Resume() { return impl_->Resume(); }
const proto::Snapshot& SnapshotReader::last_snapshot() const { return impl_->snapshot_; }
const ProfileState& SnapshotReader::state() const { return impl_->state_; }
bool SnapshotReader::complete() const { return impl_->complete_; }
const std::string& SnapshotReader::error() const { return impl_->error_; }
uint64_t SnapshotReader::snapshots_read() const { return impl_->snapshots_read_; }
const std::string& SnapshotReader::path() const { return impl_->path_; }
uint64_t SnapshotReader::file_bytes_read() const { return impl_->file_bytes_read_; }
uint64_t SnapshotReader::file_size() const { return impl_->file_size_; }

WholeFile ReadWholeFile(const std::string& path) {
  WholeFile whole;
  auto reader = SnapshotReader::Open(path, &whole.error);
  if (reader == nullptr) return whole;
  whole.opened = true;
  whole.header = reader->header();
  ReadStatus status;
  while ((status = reader->Next()) == ReadStatus::kSnapshot) {
    whole.last_snapshot = reader->last_snapshot();
  }
  whole.state = reader->state();
  whole.snapshots = reader->snapshots_read();
  whole.end = status;
  whole.complete = reader->complete();
  if (status != ReadStatus::kEnd) whole.error = reader->error();
  return whole;
}

}  // namespace clwleak::analysis
