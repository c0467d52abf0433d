// The calling thread's stack from /proc/self/maps, with raw system calls; see thread_stack.h.
#include "thread_stack.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace clwleak {
namespace {

// One line of /proc/self/maps: "start-end perms offset dev inode   path".
struct MapsLine {
  uintptr_t start = 0;
  uintptr_t end = 0;
  bool is_main_stack = false;  // the path is "[stack]"
};

bool ParseHex(const char** cursor, const char* limit, uintptr_t* value) {
  uintptr_t result = 0;
  const char* p = *cursor;
  for (; p < limit; ++p) {
    const char c = *p;
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) break;
    result = result << 4 | static_cast<uintptr_t>(digit);
  }
  if (p == *cursor) return false;
  *cursor = p;
  *value = result;
  return true;
}

bool ParseLine(const char* line, const char* limit, MapsLine* out) {
  const char* p = line;
  if (!ParseHex(&p, limit, &out->start) || p == limit || *p++ != '-') return false;
  if (!ParseHex(&p, limit, &out->end)) return false;
  constexpr char kStack[] = "[stack]";
  constexpr size_t kStackLength = sizeof(kStack) - 1;
  out->is_main_stack = limit - line >= static_cast<long>(kStackLength) &&
                       memcmp(limit - kStackLength, kStack, kStackLength) == 0;
  return true;
}

// Finds the line whose range holds `address`.
bool FindMapping(uintptr_t address, MapsLine* found) {
  const long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[4096];
  size_t used = 0;
  bool ok = false;
  for (;;) {
    const long n = syscall(SYS_read, fd, buffer + used, sizeof(buffer) - used);
    if (n <= 0) break;
    used += static_cast<size_t>(n);
    size_t consumed = 0;
    while (const char* newline =
               static_cast<const char*>(memchr(buffer + consumed, '\n', used - consumed))) {
      MapsLine line;
      if (ParseLine(buffer + consumed, newline, &line) && address >= line.start &&
          address < line.end) {
        *found = line;
        ok = true;
        break;
      }
      consumed = static_cast<size_t>(newline - buffer) + 1;
    }
    if (ok) break;
    if (consumed == 0) break;  // a line longer than the buffer: give up rather than misparse
    memmove(buffer, buffer + consumed, used - consumed);
    used -= consumed;
  }
  syscall(SYS_close, fd);
  return ok;
}

}  // namespace

bool FindThreadStack(uintptr_t stack_pointer, uintptr_t* low, uintptr_t* high) {
  MapsLine mapping;
  if (!FindMapping(stack_pointer, &mapping)) return false;
  if (syscall(SYS_gettid) == getpid()) {
    if (!mapping.is_main_stack) return false;
    // The main stack grows down as far as its limit (the mapping holds only what was touched).
    rlimit limit;
    const bool limited = syscall(SYS_prlimit64, 0, RLIMIT_STACK, nullptr, &limit) == 0 &&
                         limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < mapping.end;
    *low = limited ? mapping.end - limit.rlim_cur : mapping.start;
    if (*low > mapping.start) *low = mapping.start;
    *high = mapping.end;
    return true;
  }
  const uintptr_t descriptor = static_cast<uintptr_t>(pthread_self());
  if (descriptor < mapping.start || descriptor >= mapping.end) return false;
  *low = mapping.start;
  *high = mapping.end;
  return true;
}

}  // namespace clwleak
