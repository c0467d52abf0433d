// The exported exec family: execve, execv, execvp, execvpe, execl, execlp, execle, fexecve and
// execveat. An exec replaces the image without running destructors, so the snapshots since the
// last interval would be lost and the file would read as unfinished. Each writes the image's last
// snapshot first (trigger "exec", SnapshotBeforeExec: not in a vfork child, not in a signal
// handler), then calls the real function with CLWLEAK_PREVIOUS_FILE set in the environment it
// passes, so that the new image's file names this one (its header's previous_file). If the exec
// fails, the process goes on profiled as before.
//
// The environment given to the new image is rebuilt on the stack (no allocation: exec may be
// called in a vfork child or a signal handler, where malloc is not safe): the host's entries
// without any inherited CLWLEAK_PREVIOUS_FILE, plus ours when a snapshot was written. An
// environment too large for that (kMaxStackEntries) is passed unchanged.
//
// Not seen: posix_spawn, system and popen call execve inside glibc (the child is a new process,
// which the preload profiles into a file of its own), and exec system calls made without glibc.
#include <alloca.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"
#include "elf_dynamic.h"

extern char** environ;

namespace clwleak {
namespace {

constexpr size_t kMaxStackEntries = 1u << 16;
constexpr size_t kVariableLength = sizeof(kPreviousFileVariable) - 1;

using Execve = int (*)(const char*, char* const[], char* const[]);
using Fexecve = int (*)(int, char* const[], char* const[]);
using Execveat = int (*)(int, const char*, char* const[], char* const[], int);

// The next definition of `name` (glibc's), found without dlsym; null when there is none.
template <typename Function>
Function Next(const char* name) {
  return reinterpret_cast<Function>(
      FindNextDefinition(reinterpret_cast<const void*>(&kVariableLength), name));
}

bool IsPreviousFileEntry(const char* entry) {
  return strncmp(entry, kPreviousFileVariable, kVariableLength) == 0 &&
         entry[kVariableLength] == '=';
}

size_t CountEntries(char* const* list) {
  size_t count = 0;
  while (list != nullptr && list[count] != nullptr) ++count;
  return count;
}

// Writes the last snapshot, then calls `exec(environment)` with the environment described at the
// top of this file. Always inlined: the rebuilt array (alloca) lives in the caller's frame.
template <typename Exec>
__attribute__((always_inline)) inline int ExecAfterSnapshot(const char* program, char* const* envp,
                                                            Exec exec) {
  char entry[kVariableLength + 1 + PATH_MAX];
  memcpy(entry, kPreviousFileVariable, kVariableLength);
  entry[kVariableLength] = '=';
  const bool written =
      SnapshotBeforeExec(program, entry + kVariableLength + 1, sizeof(entry) - kVariableLength - 1);
  const size_t count = CountEntries(envp);
  if (count >= kMaxStackEntries) return exec(envp);
  char** rebuilt = static_cast<char**>(alloca((count + 2) * sizeof(char*)));
  size_t used = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!IsPreviousFileEntry(envp[i])) rebuilt[used++] = envp[i];
  }
  if (written) rebuilt[used++] = entry;
  rebuilt[used] = nullptr;
  const int result = exec(rebuilt);
  return result;  // the exec failed: errno is its
}

// How many of execl's arguments come before the terminating null, counting `first`.
size_t CountVariadic(const char* first, va_list arguments) {
  size_t count = 1;
  if (first == nullptr) return 0;
  while (va_arg(arguments, const char*) != nullptr) ++count;
  return count;
}

}  // namespace
}  // namespace clwleak

using clwleak::ExecAfterSnapshot;
using clwleak::Execve;
using clwleak::Execveat;
using clwleak::Fexecve;
using clwleak::Next;

extern "C" {

CLWLEAK_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  static const Execve real = Next<Execve>("execve");
  return ExecAfterSnapshot(path, envp, [&](char* const* env) { return real(path, argv, env); });
}

CLWLEAK_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  static const Execve real = Next<Execve>("execvpe");
  return ExecAfterSnapshot(file, envp, [&](char* const* env) { return real(file, argv, env); });
}

CLWLEAK_EXPORT int execv(const char* path, char* const argv[]) {
  static const Execve real = Next<Execve>("execve");
  return ExecAfterSnapshot(path, environ, [&](char* const* env) { return real(path, argv, env); });
}

CLWLEAK_EXPORT int execvp(const char* file, char* const argv[]) {
  static const Execve real = Next<Execve>("execvpe");
  return ExecAfterSnapshot(file, environ, [&](char* const* env) { return real(file, argv, env); });
}

CLWLEAK_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  static const Fexecve real = Next<Fexecve>("fexecve");
  return ExecAfterSnapshot(argv != nullptr && argv[0] != nullptr ? argv[0] : "", envp,
                           [&](char* const* env) { return real(fd, argv, env); });
}

CLWLEAK_EXPORT int execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                            int flags) {
  static const Execveat real = Next<Execveat>("execveat");
  if (real == nullptr) return errno = ENOSYS, -1;
  return ExecAfterSnapshot(path, envp,
                           [&](char* const* env) { return real(dirfd, path, argv, env, flags); });
}

// The execl forms gather their arguments on the stack and go the execv way.
#define CLWLEAK_GATHER_ARGUMENTS(first, last_named)                       \
  va_list count_arguments;                                                \
  va_start(count_arguments, last_named);                                  \
  const size_t count = clwleak::CountVariadic(first, count_arguments);    \
  va_end(count_arguments);                                                \
  char** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*))); \
  va_list arguments;                                                      \
  va_start(arguments, last_named);                                        \
  argv[0] = const_cast<char*>(first);                                     \
  for (size_t i = 1; i < count; ++i) argv[i] = va_arg(arguments, char*);  \
  argv[count] = nullptr;                                                  \
  if (count > 0) (void)va_arg(arguments, char*); /* the terminating null */

CLWLEAK_EXPORT int execl(const char* path, const char* arg, ...) {
  CLWLEAK_GATHER_ARGUMENTS(arg, arg);
  va_end(arguments);
  return execv(path, argv);
}

CLWLEAK_EXPORT int execlp(const char* file, const char* arg, ...) {
  CLWLEAK_GATHER_ARGUMENTS(arg, arg);
  va_end(arguments);
  return execvp(file, argv);
}

CLWLEAK_EXPORT int execle(const char* path, const char* arg, ...) {
  CLWLEAK_GATHER_ARGUMENTS(arg, arg);
  char* const* envp = va_arg(arguments, char* const*);
  va_end(arguments);
  return execve(path, argv, envp);
}

}  // extern "C"
