// libunwind's memory probe without descriptors; see unwinder_memory_probe.h.
#define UNW_LOCAL_ONLY
#include "unwinder_memory_probe.h"

#include <errno.h>
#include <libunwind.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elf_dynamic.h"

namespace clwleak {
namespace {

// Never valid descriptors (and not -1, which libunwind takes for "no pipe"): a call that reaches
// the kernel with them fails with EBADF and touches nothing of the host's.
constexpr int kProbeReadEnd = -1000;
constexpr int kProbeWriteEnd = -1001;

bool IsProbeEnd(long fd) { return fd == kProbeReadEnd || fd == kProbeWriteEnd; }

// Whether the 8 bytes at `address` can be read. rt_sigprocmask copies the new mask from user memory
// before it looks at `how`; with an invalid `how` it then fails with EINVAL and changes nothing.
bool Readable(const void* address) {
  constexpr long kInvalidHow = 0x7fff;
  constexpr long kKernelSigsetBytes = 8;
  const int saved_errno = errno;
  const long result =
      syscall(SYS_rt_sigprocmask, kInvalidHow, address, nullptr, kKernelSigsetBytes);
  const bool readable = result == 0 || errno != EFAULT;
  errno = saved_errno;
  return readable;
}

// The probe write: one byte of `address` "written" to the pipe. libunwind loops while errno is
// EINTR, so a success must not leave a stale EINTR behind.
long ProbeWrite(const void* address) {
  if (Readable(address)) {
    errno = 0;
    return 1;
  }
  errno = EFAULT;
  return -1;
}

int UnwinderPipe2(int ends[2], int) {
  ends[0] = kProbeReadEnd;
  ends[1] = kProbeWriteEnd;
  return 0;
}

ssize_t UnwinderRead(int fd, void* buffer, size_t count) {
  if (fd == kProbeReadEnd) {
    errno = EAGAIN;  // an empty non-blocking pipe: the drain libunwind expects
    return -1;
  }
  return read(fd, buffer, count);
}

ssize_t UnwinderWrite(int fd, const void* buffer, size_t count) {
  if (fd == kProbeWriteEnd) return ProbeWrite(buffer);
  return write(fd, buffer, count);
}

int UnwinderClose(int fd) {
  if (IsProbeEnd(fd)) return 0;
  return close(fd);
}

// libunwind calls syscall(SYS_write, fd, address, 1) for the probe. The other calls are forwarded
// with every argument register as it came (unused ones hold whatever the caller left there).
// A descriptor passed through syscall's variadic arguments is an int: only the register's low 32
// bits hold it.
long UnwinderSyscall(long number, long a, long b, long c, long d, long e, long f) {
  const int fd = static_cast<int>(a);
  if (number == SYS_write && fd == kProbeWriteEnd) return ProbeWrite(reinterpret_cast<void*>(b));
  if ((number == SYS_read || number == SYS_close) && IsProbeEnd(fd)) {
    errno = number == SYS_read ? EAGAIN : 0;
    return number == SYS_read ? -1 : 0;
  }
  return syscall(number, a, b, c, d, e, f);
}

struct Redirection {
  const char* name;
  void* function;
};

const Redirection kRedirections[] = {
    {"pipe2", reinterpret_cast<void*>(&UnwinderPipe2)},
    {"read", reinterpret_cast<void*>(&UnwinderRead)},
    {"write", reinterpret_cast<void*>(&UnwinderWrite)},
    {"close", reinterpret_cast<void*>(&UnwinderClose)},
    {"syscall", reinterpret_cast<void*>(&UnwinderSyscall)},
};

struct Search {
  uintptr_t inside = 0;  // an address in libunwind's code
  bool found = false;
  bool pipe_redirected = false;
  bool failed = false;
};

int RedirectInObject(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<Search*>(data);
  ElfDynamic elf;
  if (!elf.Read(LoadedObjectOf(*info)) || !elf.Contains(search->inside)) return 0;
  search->found = true;
  elf.ForEachSymbolSlot([&](uintptr_t* slot, const char* name, int64_t addend) {
    for (const Redirection& redirection : kRedirections) {
      if (strcmp(name, redirection.name) != 0) continue;
      const uintptr_t value =
          reinterpret_cast<uintptr_t>(redirection.function) + static_cast<uintptr_t>(addend);
      if (!WriteSymbolSlot(elf, slot, value)) {
        search->failed = true;
      } else if (strcmp(name, "pipe2") == 0) {
        search->pipe_redirected = true;
      }
    }
  });
  return 1;
}

}  // namespace

bool RedirectUnwinderDescriptorCalls() {
  Search search;
  search.inside = reinterpret_cast<uintptr_t>(&unw_backtrace);
  dl_iterate_phdr(RedirectInObject, &search);
  // Without its pipe2 redirected, libunwind opens a real pipe: every slot must have changed.
  return search.found && search.pipe_redirected && !search.failed;
}

}  // namespace clwleak
