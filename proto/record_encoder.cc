// RecordEncoder; see record_encoder.h for the framing.
#include "record_encoder.h"

#include <cerrno>

namespace clwleak::format {

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

RecordEncoder::~RecordEncoder() { Stop(); }

EncodeStatus RecordEncoder::Start(const CompressionSettings& settings, Sink sink,
                                  void* sink_context) {
  Stop();
  zstd_ = ZSTD_createCCtx();
  if (zstd_ == nullptr) return EncodeStatus::kNoMemory;
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, settings.level);
  if (settings.window_log != 0) ZSTD_CCtx_setParameter(zstd_, ZSTD_c_windowLog, settings.window_log);
  if (settings.table_log != 0) {
    ZSTD_CCtx_setParameter(zstd_, ZSTD_c_hashLog, settings.table_log);
    ZSTD_CCtx_setParameter(zstd_, ZSTD_c_chainLog, settings.table_log);
  }
  sink_ = sink;
  sink_context_ = sink_context;
  bytes_written_ = 0;
  return EncodeStatus::kOk;
}

void RecordEncoder::Stop() {
  if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  zstd_ = nullptr;
}

EncodeStatus RecordEncoder::Append(const google::protobuf::MessageLite& message, bool end_frame) {
  record_.clear();
  AppendVarint(message.ByteSizeLong(), &record_);
  if (!message.AppendToString(&record_)) return EncodeStatus::kEncodeFailed;
  return Compress(record_, end_frame ? ZSTD_e_end : ZSTD_e_flush);
}

EncodeStatus RecordEncoder::AppendUnframed(const std::string& bytes, bool end_frame) {
  return Compress(bytes, end_frame ? ZSTD_e_end : ZSTD_e_flush);
}

EncodeStatus RecordEncoder::Compress(const std::string& bytes, ZSTD_EndDirective directive) {
  if (zstd_ == nullptr) return EncodeStatus::kNoMemory;
  if (compressed_.empty()) compressed_.resize(ZSTD_CStreamOutSize());
  ZSTD_inBuffer input = {bytes.data(), bytes.size(), 0};
  size_t remaining;
  do {
    ZSTD_outBuffer out = {compressed_.data(), compressed_.size(), 0};
    remaining = ZSTD_compressStream2(zstd_, &out, &input, directive);
    if (ZSTD_isError(remaining)) {
      errno = EIO;
      return EncodeStatus::kCompressFailed;
    }
    if (out.pos > 0) {
      if (!sink_(sink_context_, compressed_.data(), out.pos)) return EncodeStatus::kSinkFailed;
      bytes_written_ += out.pos;
    }
  } while (remaining != 0);
  return EncodeStatus::kOk;
}

}  // namespace clwleak::format
