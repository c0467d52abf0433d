// exceptions: C++ exceptions thrown through frames that allocate. Blocks owned by RAII objects are
// freed during unwinding; raw blocks made before the throw stay (leaked). Exception objects are
// allocated by libstdc++ and freed after the catch. As a C++ program it also holds libstdc++'s
// emergency exception pool, allocated by libstdc++'s initializer before the preload's own.
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <stdexcept>

#include "truth.h"

namespace {
void* g_kept[32];
int g_kept_count = 0;
}  // namespace

extern "C" NOINLINE void leak_before_throw(int depth) {
  g_kept[g_kept_count] = malloc(900);
  memset(g_kept[g_kept_count++], 7, 900);
  std::unique_ptr<char[]> scoped(new char[5000]);  // freed while unwinding
  scoped[0] = 1;
  if (depth == 0) throw std::runtime_error("deep enough");
  leak_before_throw(depth - 1);
}

extern "C" NOINLINE void scoped_only(int depth) {
  std::unique_ptr<char[]> scoped(new char[128]);
  scoped[0] = static_cast<char>(depth);
  if (depth == 0) throw 42;
  scoped_only(depth - 1);
}

int main() {
  int caught = 0;
  for (int round = 0; round < 4; ++round) {
    try {
      leak_before_throw(2);  // 3 blocks a round
    } catch (const std::exception& error) {
      caught += strcmp(error.what(), "deep enough") == 0;
    }
    try {
      scoped_only(3);
    } catch (int value) {
      caught += value == 42;
    }
  }
  printf("caught %d\n", caught);
  print_truth("main", "leak_before_throw", 12 * 900, 12);
  print_truth("main", "scoped_only", 0, 0);
  return 0;
}
