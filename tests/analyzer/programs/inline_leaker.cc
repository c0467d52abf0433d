// A leak whose malloc call sits in two functions inlined into a third: Inner (the malloc) is
// inlined into Middle, Middle into Leak. The file the preload writes must carry the inline chain,
// and the pprof report must show Inner, Middle and Leak as three lines of one location. Prints
// its truth: the source lines of the malloc call and of the two inlined calls.
//   inline_leaker BLOCKS
#include <cstdio>
#include <cstdlib>

namespace {

void* volatile g_keep[1 << 16];
int g_count = 0;

constexpr int kInnerLine = __LINE__ + 2;
inline __attribute__((always_inline)) void Inner(size_t bytes) {
  void* block = malloc(bytes);
  g_keep[g_count++ % (1 << 16)] = block;
}

constexpr int kMiddleLine = __LINE__ + 2;
inline __attribute__((always_inline)) void Middle(size_t bytes) {
  Inner(bytes);
}

constexpr int kLeakLine = __LINE__ + 2;
__attribute__((noinline)) void Leak(size_t bytes) {
  Middle(bytes);
  asm volatile("" ::: "memory");  // no tail call: the return address stays in Leak
}

}  // namespace

int main(int argc, char** argv) {
  const int blocks = argc > 1 ? atoi(argv[1]) : 1000;
  for (int i = 0; i < blocks; ++i) Leak(4096);
  std::printf("inner_line=%d middle_line=%d leak_line=%d blocks=%d\n", kInnerLine, kMiddleLine,
              kLeakLine, blocks);
  return 0;
}
