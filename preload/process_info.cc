// /proc and cgroupfs readers; see process_info.h.
#include "process_info.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

namespace clwleak {
namespace {

// Reads up to `capacity - 1` bytes of a small file into `buffer`, NUL-terminated.
ssize_t ReadSmallFile(const char* path, char* buffer, size_t capacity) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t used = 0;
  while (used + 1 < capacity) {
    ssize_t n = read(fd, buffer + used, capacity - 1 - used);
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  buffer[used] = '\0';
  return static_cast<ssize_t>(used);
}

// The cgroup v2 directory of this process ("0::/path" in /proc/self/cgroup), or "".
std::string CgroupV2Directory() {
  char buffer[4096];
  if (ReadSmallFile("/proc/self/cgroup", buffer, sizeof(buffer)) <= 0) return "";
  char* save = nullptr;
  for (char* line = strtok_r(buffer, "\n", &save); line != nullptr;
       line = strtok_r(nullptr, "\n", &save)) {
    if (strncmp(line, "0::", 3) == 0) return std::string("/sys/fs/cgroup") + (line + 3);
  }
  return "";
}

}  // namespace

bool ReadDecimalFile(const char* path, uint64_t* value) {
  char buffer[64];
  if (ReadSmallFile(path, buffer, sizeof(buffer)) <= 0) return false;
  char* end = nullptr;
  unsigned long long parsed = strtoull(buffer, &end, 10);
  if (end == buffer) return false;
  *value = parsed;
  return true;
}

MemoryLimit DetectMemoryLimit(uint64_t configured) {
  if (configured != 0) return {configured, "CLWLEAK_MEMORY_LIMIT"};
  uint64_t bytes;
  if (ParseSize(getenv("CLW_MEMORY_LIMIT"), &bytes) && bytes > 0) return {bytes, "CLW_MEMORY_LIMIT"};
  // cgroup v2: the nearest ancestor (self included) with a numeric memory.max.
  std::string directory = CgroupV2Directory();
  while (!directory.empty() && directory.size() >= strlen("/sys/fs/cgroup")) {
    if (ReadDecimalFile((directory + "/memory.max").c_str(), &bytes) && bytes > 0) {
      return {bytes, "cgroup memory.max"};
    }
    if (directory == "/sys/fs/cgroup") break;
    directory.erase(directory.rfind('/'));
  }
  // cgroup v1: an unlimited group reports a huge number (PAGE_COUNTER_MAX pages).
  if (ReadDecimalFile("/sys/fs/cgroup/memory/memory.limit_in_bytes", &bytes) && bytes > 0 &&
      bytes < (1ull << 60)) {
    return {bytes, "cgroup v1 memory.limit_in_bytes"};
  }
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    return {static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size), "physical memory"};
  }
  return {0, "unknown"};
}

uint64_t ReadRssBytes() {
  char buffer[256];
  if (ReadSmallFile("/proc/self/statm", buffer, sizeof(buffer)) <= 0) return 0;
  unsigned long long size_pages = 0, resident_pages = 0;
  char* cursor = buffer;
  size_pages = strtoull(cursor, &cursor, 10);
  resident_pages = strtoull(cursor, &cursor, 10);
  (void)size_pages;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

bool ReadCgroupMemoryCurrent(uint64_t* bytes) {
  // Found once, kept in static storage with no destructor: a function-local std::string would
  // register one with __cxa_atexit at the first snapshot, and a snapshot written inline from a
  // malloc that atexit() itself made (holding glibc's exit-functions lock) would deadlock there.
  static char path[PATH_MAX];
  static bool looked = false;
  if (!looked) {
    const std::string directory = CgroupV2Directory();
    if (!directory.empty() && directory.size() + sizeof("/memory.current") <= sizeof(path)) {
      memcpy(path, directory.data(), directory.size());
      memcpy(path + directory.size(), "/memory.current", sizeof("/memory.current"));
    }
    looked = true;
  }
  return path[0] != '\0' && ReadDecimalFile(path, bytes);
}

std::string ExecutablePath() {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  return std::string(buffer, static_cast<size_t>(n));
}

std::string ExecutableName() {
  std::string path = ExecutablePath();
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return name.empty() ? "unknown" : name;
}

std::vector<std::string> CommandLine() {
  std::vector<std::string> arguments;
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return arguments;
  std::string data;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0 && data.size() < (1 << 20)) {
    data.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\0', start);
    if (end == std::string::npos) end = data.size();
    arguments.emplace_back(data, start, end - start);
    start = end + 1;
  }
  return arguments;
}

std::string HostName() {
  char buffer[256];
  if (gethostname(buffer, sizeof(buffer)) != 0) return "";
  buffer[sizeof(buffer) - 1] = '\0';
  return buffer;
}

}  // namespace clwleak
