// aging_blocks: memory of known birth, for the allocation-age capture test. At start it keeps one
// 100,000-byte block (startup_state) and starts a buffer (grow_buffer) that realloc grows by 100
// bytes every millisecond; every millisecond it also leaks 1,000 bytes (steady_leak); after 600 ms
// it exits. Prints its truth: startup_bytes, grown_bytes, leaked_bytes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

namespace {
void* volatile g_startup;
char* g_buffer;
size_t g_buffer_size;
void* g_kept[1000];
}  // namespace

extern "C" __attribute__((noinline)) void* startup_state(size_t size) {
  return memset(malloc(size), 1, size);
}

extern "C" __attribute__((noinline)) void grow_buffer(size_t bytes) {
  g_buffer = static_cast<char*>(realloc(g_buffer, g_buffer_size + bytes));
  memset(g_buffer + g_buffer_size, 2, bytes);
  g_buffer_size += bytes;
}

extern "C" __attribute__((noinline)) void* steady_leak(size_t size) {
  return memset(malloc(size), 3, size);
}

int main() {
  g_startup = startup_state(100000);
  grow_buffer(100);
  int iterations = 0;
  for (; iterations < 600; ++iterations) {
    grow_buffer(100);
    g_kept[iterations] = steady_leak(1000);
    timespec pause = {0, 1000000};
    nanosleep(&pause, nullptr);
  }
  printf("startup_bytes=100000 grown_bytes=%zu leaked_bytes=%d\n", g_buffer_size,
         iterations * 1000);
  return 0;
}
