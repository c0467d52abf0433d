// /proc and cgroupfs readers; see process_info.h.
#include "process_info.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

// The real cgroup files, read with open/read/getdents64 into stack buffers.
class SystemCgroupFiles final : public CgroupFiles {
 public:
  ssize_t Read(const char* path, char* buffer, size_t capacity) override {
    return ReadSmallFile(path, buffer, capacity);
  }

  long CountLines(const char* path) override {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buffer[4096];
    long lines = 0;
    char last = '\n';
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
      for (ssize_t i = 0; i < n; ++i) lines += buffer[i] == '\n' ? 1 : 0;
      last = buffer[n - 1];
    }
    close(fd);
    return lines + (last != '\n' ? 1 : 0);
  }

  std::vector<std::string> Subdirectories(const char* path) override {
    std::vector<std::string> names;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return names;
    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    alignas(8) char buffer[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buffer, sizeof(buffer))) > 0) {
      for (long offset = 0; offset < n;) {
        const char* entry = buffer + offset;
        unsigned short length;
        memcpy(&length, entry + 16, sizeof(length));
        const unsigned char type = static_cast<unsigned char>(entry[18]);
        const char* name = entry + 19;
        if (type == DT_DIR && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
          names.emplace_back(name);
        }
        if (length == 0) break;
        offset += length;
      }
    }
    close(fd);
    return names;
  }
};

// The whole of a /proc file, up to `limit` bytes.
std::string ReadProcFile(const char* path, size_t limit) {
  std::string text;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  ssize_t n;
  while (text.size() < limit && (n = read(fd, buffer, sizeof(buffer))) > 0) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
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

MemoryLimit DetectMemoryLimit(uint64_t configured, const CgroupMemoryState& cgroup) {
  if (configured != 0) return {configured, "CLWLEAK_MEMORY_LIMIT", true};
  uint64_t bytes;
  if (ReadMemoryLimitVariable("CLW_MEMORY_LIMIT", getenv("CLW_MEMORY_LIMIT"), &bytes)) {
    return {bytes, "CLW_MEMORY_LIMIT", true};
  }
  if (cgroup.limited) return {cgroup.limit_bytes, cgroup.limit_source, false};
  if (uint64_t physical = PhysicalMemoryBytes()) return {physical, "physical memory", false};
  return {0, "unknown", false};
}

uint64_t PhysicalMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

std::vector<CgroupMount> ReadCgroupMounts() {
  // A host with thousands of mounts has a mountinfo of a few hundred KiB; the cgroup mounts come
  // early (systemd mounts them at boot), so a bounded read loses nothing that matters.
  return ParseCgroupMounts(ReadProcFile("/proc/self/mountinfo", 4u << 20));
}

CgroupMemoryState ReadCgroupMemory(const std::vector<CgroupMount>& mounts) {
  char buffer[4096];
  const ssize_t length = ReadSmallFile("/proc/self/cgroup", buffer, sizeof(buffer));
  if (length <= 0) return {};
  std::optional<MemoryCgroup> cgroup =
      LocateMemoryCgroup(std::string_view(buffer, static_cast<size_t>(length)), mounts);
  if (!cgroup) return {};
  SystemCgroupFiles files;
  return ReadCgroupMemoryState(*cgroup, files);
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
