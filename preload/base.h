// Small building blocks shared by every unit of the preload: branch hints, raw system calls that do
// not go through the functions we interpose, and the one way the preload talks to the user
// (a `[clwleak]` line on stderr, written with write(2) so it never allocates).
//
// Everything here is async-signal-safe and allocation-free: it is called from inside malloc.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <cstdint>

#define CLWLEAK_LIKELY(x) __builtin_expect(!!(x), 1)
#define CLWLEAK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CLWLEAK_HOT __attribute__((hot))
#define CLWLEAK_NOINLINE __attribute__((noinline))
// On a sampled path: everything it calls is inlined (across files too: the library is built with
// link-time optimization), so that the unwinder has one frame of ours to step over, not four.
#define CLWLEAK_FLATTEN __attribute__((flatten))
#define CLWLEAK_EXPORT __attribute__((visibility("default")))
// A macro's value as a string literal (for assembly text).
#define CLWLEAK_STRINGIFY_VALUE(x) #x
#define CLWLEAK_STRINGIFY(x) CLWLEAK_STRINGIFY_VALUE(x)

namespace clwleak {

constexpr size_t kCacheLine = 64;

// Creates a pthread key for which pthread_setspecific never allocates; false when there is none.
// glibc keeps the values of a thread's first 32 keys (PTHREAD_KEY_2NDLEVEL_SIZE) in the thread
// descriptor and allocates with malloc for a higher key. The capture path may run in a signal
// handler that interrupted malloc, so it only sets such keys: the preload creates them at
// start-up, while they are among the process's first.
bool CreateAllocationFreeKey(pthread_key_t* key, void (*destructor)(void*));

// Anonymous memory straight from the kernel. Our own `mmap` symbol is interposed, so the preload
// allocates its tables through the raw system call to stay invisible to its own accounting.
void* RawMapAnonymous(size_t bytes);
void RawUnmap(void* address, size_t bytes);
// mprotect as a system call: -1 and errno on failure.
long RawMprotect(void* address, size_t bytes, int prot);

// A message built in a fixed buffer (silently truncated), for code that must not allocate.
class FixedMessage {
 public:
  FixedMessage& Append(const char* text);
  // Ends the message with a newline, which always fits (Append keeps a byte free for it).
  FixedMessage& EndLine();
  const char* c_str() const { return text_; }
  size_t size() const { return used_; }

 private:
  char text_[512] = {};
  size_t used_ = 0;
};

// strcmp(a, b) == 0 without libc. A sanitizer runtime intercepts strcmp, and its initializer calls
// dlsym (ours, loader_hooks.cc, which looks names up in the loaded objects) before its interceptors
// can forward anywhere: the dlsym path must not call them.
inline bool SameString(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// Writes "[clwleak] <message>\n" to stderr with write(2). Safe inside malloc and signal handlers.
void Warn(const char* message);
void Warn2(const char* message, const char* detail);

// Monotonic and wall clocks in nanoseconds (vDSO, no allocation).
uint64_t MonotonicNanos();
// The same clock at the kernel tick's resolution (a few ms), several times cheaper: for deadline
// checks on frequent paths.
uint64_t CoarseMonotonicNanos();
uint64_t WallNanos();

}  // namespace clwleak
