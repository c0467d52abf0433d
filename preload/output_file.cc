// Output path expansion and safe creation; see output_file.h.
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

namespace clwleak {

std::string ExpandOutputTemplate(const std::string& path_template, int pid,
                                 const std::string& executable_name, const std::string& host,
                                 uint64_t start_unix_seconds) {
  std::string path;
  for (size_t i = 0; i < path_template.size(); ++i) {
    char c = path_template[i];
    if (c != '%' || i + 1 == path_template.size()) {
      path += c;
      continue;
    }
    char directive = path_template[++i];
    switch (directive) {
      case 'p': path += std::to_string(pid); break;
      case 'e': path += executable_name; break;
      case 'h': path += host; break;
      case 't': path += std::to_string(start_unix_seconds); break;
      case '%': path += '%'; break;
      default: path += '%'; path += directive; break;
    }
  }
  return path;
}

int CreateOutputFile(const std::string& path, std::string* created_path) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string candidate = attempt == 0 ? path : path + "." + std::to_string(attempt);
    int fd = open(candidate.c_str(), kFlags, 0600);
    if (fd >= 0) {
      *created_path = candidate;
      return fd;
    }
    if (errno != EEXIST) return -1;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace clwleak
