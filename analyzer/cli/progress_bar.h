// The progress bar clw-leak-analyze draws on stderr while it reads large inputs: only when stderr
// is a terminal (never into a pipe, a file or a CI log), and only for a file of at least
// kLargeFileBytes or once reading a file has taken kShowAfterSeconds. It follows the bytes read of
// the compressed file, redraws at most every 100 ms, and erases itself when the file is read.
// Called by main.cc on its only thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace clwleak::cli {

class ProgressBar {
 public:
  static constexpr uint64_t kLargeFileBytes = 8ull << 20;
  static constexpr double kShowAfterSeconds = 0.5;

  // Draws on `fd` when it is a terminal; otherwise every call does nothing.
  explicit ProgressBar(int fd);
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // A new file (`index` of `count`, 1-based) starts being read.
  void StartFile(const std::string& path, size_t index, size_t count);
  void Update(uint64_t bytes_read, uint64_t file_size);
  // Erases the bar, if it was drawn, so that what follows starts on a clean line.
  void Finish();

 private:
  void Draw(uint64_t bytes_read, uint64_t file_size);

  int fd_;
  bool enabled_;
  bool shown_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point drawn_;
};

}  // namespace clwleak::cli
