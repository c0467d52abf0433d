// Allocation paths for the verified stack cache, run in exact mode: one allocating leaf reached
// through different callers that put it at the same stack address, in runs and alternating, with
// and without frame pointers, and through recursion under a variable-length array sized so that
// two different depths put the leaf at the same address while the array's stale bytes still hold
// the other stack's return addresses. Each path allocates a size of its own and keeps the block,
// so the test can check every recorded stack's frames against the size recorded on it. With
// THREADS > 1 the same runs happen on that many threads at once (each has its own cache, unmapped
// when the thread exits).
//
//   stack_paths ROUNDS [THREADS]     prints "blocks=N" (all kept blocks) and "frame_size=F"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#define NOINLINE __attribute__((noinline))
#define NO_FRAME_POINTER __attribute__((optimize("omit-frame-pointer")))

namespace {

thread_local std::vector<void*>* t_kept;

NOINLINE void* Leaf(size_t size) {
  void* block = malloc(size);
  asm volatile("" : : "r"(block) : "memory");
  return block;
}

// PathA/PathB and PathC/PathD have the same code, so the leaf lands at the same address from
// either; C and D keep no frame pointer.
NOINLINE void* PathA(size_t size) { return Leaf(size); }
NOINLINE void* PathB(size_t size) { return Leaf(size); }
NOINLINE NO_FRAME_POINTER void* PathC(size_t size) { return Leaf(size); }
NOINLINE NO_FRAME_POINTER void* PathD(size_t size) { return Leaf(size); }

thread_local uintptr_t t_leaf_level = 0;  // the address of a local at the bottom of the recursion

NOINLINE void* Recurse(int depth, size_t size) {
  volatile char local = 0;
  if (depth == 0) {
    t_leaf_level = reinterpret_cast<uintptr_t>(&local);
    return Leaf(size);
  }
  void* block = Recurse(depth - 1, size);
  asm volatile("" : : "r"(&local) : "memory");
  return block;
}

// The array is left unwritten (beyond one byte) on purpose: it keeps whatever deeper calls left.
NOINLINE void* RecurseUnderArray(int depth, size_t array_bytes, size_t size) {
  char array[array_bytes];
  array[0] = 1;
  asm volatile("" : : "r"(array) : "memory");
  return Recurse(depth, size);
}

void Keep(void* block) { t_kept->push_back(block); }

// Returns the Recurse frame size.
size_t RunPaths(int rounds, std::vector<void*>* kept) {
  t_kept = kept;

  // Runs of each path, then alternation: sizes 1001..1004 name the path.
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 4; ++i) Keep(PathA(1001));
    for (int i = 0; i < 4; ++i) Keep(PathB(1002));
    for (int i = 0; i < 4; ++i) Keep(i % 2 == 0 ? PathA(1001) : PathB(1002));
    for (int i = 0; i < 4; ++i) Keep(PathC(1003));
    for (int i = 0; i < 4; ++i) Keep(PathD(1004));
    for (int i = 0; i < 4; ++i) Keep(i % 2 == 0 ? PathC(1003) : PathD(1004));
  }

  // The size of one Recurse frame, then two depths whose leaves share an address: depth 1 under
  // an array of 64 bytes and depth 0 under an array one frame larger. Sizes 3000 + depth.
  free(RecurseUnderArray(0, 64, 16));
  const uintptr_t depth0 = t_leaf_level;
  free(RecurseUnderArray(1, 64, 16));
  const uintptr_t frame_size = depth0 - t_leaf_level;
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 8; ++i) {
      const bool deep = (round + i / (1 + round % 3)) % 2 == 0;  // runs of 1, 2 and 3
      Keep(deep ? RecurseUnderArray(1, 64, 3001) : RecurseUnderArray(0, 64 + frame_size, 3000));
    }
    for (int depth = 2; depth < 6; ++depth) Keep(RecurseUnderArray(depth, 64, 3000 + depth));
  }
  return frame_size;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 50;
  const int threads = argc > 2 ? atoi(argv[2]) : 1;
  std::vector<std::vector<void*>> kept(threads);
  for (std::vector<void*>& blocks : kept) blocks.reserve(1 << 20);  // nothing else allocates
  std::vector<std::thread> others;
  for (int i = 1; i < threads; ++i) others.emplace_back(RunPaths, rounds, &kept[i]);
  const size_t frame_size = RunPaths(rounds, &kept[0]);
  for (std::thread& thread : others) thread.join();
  size_t blocks = 0;
  for (const std::vector<void*>& some : kept) blocks += some.size();
  printf("blocks=%zu frame_size=%zu\n", blocks, frame_size);
  return 0;
}
