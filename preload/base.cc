// Raw system calls and stderr warnings for the preload; see base.h.
#include "base.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace clwleak {

void* RawMapAnonymous(size_t bytes) {
  // MAP_NORESERVE: tables are sized for the worst case and touched only as they fill.
  long result = syscall(SYS_mmap, nullptr, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (result < 0 && result > -4096) return nullptr;
  return reinterpret_cast<void*>(result);
}

void RawUnmap(void* address, size_t bytes) { syscall(SYS_munmap, address, bytes); }

long RawMprotect(void* address, size_t bytes, int prot) {
  return syscall(SYS_mprotect, address, bytes, prot);
}

bool CreateAllocationFreeKey(pthread_key_t* key, void (*destructor)(void*)) {
  constexpr unsigned kKeysInThreadDescriptor = 32;  // glibc's PTHREAD_KEY_2NDLEVEL_SIZE
  return pthread_key_create(key, destructor) == 0 && *key < kKeysInThreadDescriptor;
}

static void WriteAll(const char* data, size_t length) {
  int saved_errno = errno;  // the host must not see our errno
  while (length > 0) {
    ssize_t written = write(STDERR_FILENO, data, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;
    data += written;
    length -= static_cast<size_t>(written);
  }
  errno = saved_errno;
}

FixedMessage& FixedMessage::Append(const char* text) {
  size_t n = strlen(text);
  if (n > sizeof(text_) - 2 - used_) n = sizeof(text_) - 2 - used_;
  memcpy(text_ + used_, text, n);
  used_ += n;
  text_[used_] = '\0';
  return *this;
}

FixedMessage& FixedMessage::EndLine() {
  if (used_ + 1 >= sizeof(text_)) return *this;
  text_[used_++] = '\n';
  text_[used_] = '\0';
  return *this;
}

void Warn2(const char* message, const char* detail) {
  FixedMessage line;
  line.Append("[clwleak] ").Append(message);
  if (detail != nullptr) line.Append(detail);
  line.EndLine();
  WriteAll(line.c_str(), line.size());
}

void Warn(const char* message) { Warn2(message, nullptr); }

uint64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t CoarseMonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t WallNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace clwleak
