// The reading progress bar; see progress_bar.h.
#include "progress_bar.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "byte_escape.h"
#include "units.h"

namespace clwleak::cli {
namespace {

size_t TerminalWidth(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

// Writes all of `text`, ignoring errors: a progress bar that cannot be drawn is not a failure.
void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string Basename(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

ProgressBar::ProgressBar(int fd) : fd_(fd), enabled_(isatty(fd) == 1) {}

void ProgressBar::StartFile(const std::string& path, size_t index, size_t count) {
  Finish();
  label_ = "reading " + EscapeBytes(Basename(path));
  if (count > 1) label_ += " (" + std::to_string(index) + "/" + std::to_string(count) + ")";
  started_ = std::chrono::steady_clock::now();
}

void ProgressBar::Update(uint64_t bytes_read, uint64_t file_size) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!shown_) {
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    if (file_size < kLargeFileBytes && elapsed < kShowAfterSeconds) return;
  } else if (now - drawn_ < std::chrono::milliseconds(100)) {
    return;
  }
  drawn_ = now;
  Draw(bytes_read, file_size);
}

void ProgressBar::Draw(uint64_t bytes_read, uint64_t file_size) {
  shown_ = true;
  const size_t width = TerminalWidth(fd_);
  std::string figures;
  double fraction = 0;
  if (file_size > 0) {
    fraction = std::min(1.0, static_cast<double>(bytes_read) / static_cast<double>(file_size));
    char percent[16];
    std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
    figures = std::string(percent) + "  " + analysis::FormatBytes(static_cast<double>(bytes_read)) +
              " / " + analysis::FormatBytes(static_cast<double>(file_size));
  } else {
    figures = analysis::FormatBytes(static_cast<double>(bytes_read));
  }
  // label [#####-----] figures, fitted to the terminal (the label gives way first).
  const size_t bar = 24;
  std::string label = label_;
  const size_t fixed = bar + 4 + figures.size() + 2;
  if (label.size() + fixed > width) label.resize(width > fixed + 4 ? width - fixed : 0);
  const size_t filled = static_cast<size_t>(fraction * bar);
  std::string line = "\r\033[K" + label + " [" + std::string(filled, '#') +
                     std::string(bar - filled, '-') + "] " + figures;
  WriteAll(fd_, line);
}

void ProgressBar::Finish() {
  if (!shown_) return;
  WriteAll(fd_, "\r\033[K");
  shown_ = false;
}

}  // namespace clwleak::cli
