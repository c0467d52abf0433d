// Many different stacks, each reached again and again, for the test that the stack cache is
// invisible in the output (stack_cache_output_test.cc): recursion 0..47 frames deep (past the
// cache's 32-frame limit), mutual recursion, frames with and without frame pointers,
// variable-length arrays that move the allocating leaf and leave stale return addresses below it,
// leaves chosen through a function-pointer table, and malloc, calloc, realloc and operator new.
// Every choice comes from a generator seeded by the thread's index, so two runs allocate the same
// bytes from the same stacks; about half the blocks are freed, and the rest are kept until exit.
//
//   stack_variety ROUNDS THREADS     prints "allocations=N"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#define NOINLINE __attribute__((noinline))
#define NO_FRAME_POINTER __attribute__((optimize("omit-frame-pointer")))

namespace {

struct Work {
  uint64_t state;
  std::vector<void*> kept;
  std::vector<void*> freed_later;
  uint64_t allocations = 0;

  uint32_t Next() {  // xorshift64*: the same sequence for the same seed
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<uint32_t>((state * 0x2545F4914F6CDD1Dull) >> 32);
  }
};

NOINLINE void* LeafMalloc(Work* work, size_t size) {
  ++work->allocations;
  return malloc(size);
}
NOINLINE NO_FRAME_POINTER void* LeafCalloc(Work* work, size_t size) {
  ++work->allocations;
  return calloc(1, size);
}
NOINLINE void* LeafRealloc(Work* work, size_t size) {
  work->allocations += 2;
  void* block = malloc(size / 2 + 1);
  return realloc(block, size);
}
NOINLINE void* LeafNew(Work* work, size_t size) {
  ++work->allocations;
  return new char[size];
}

using Leaf = void* (*)(Work*, size_t);
const Leaf kLeaves[] = {LeafMalloc, LeafCalloc, LeafRealloc, LeafNew};

void* Descend(Work* work, int depth, int leaf, size_t size);

NOINLINE void* DescendEven(Work* work, int depth, int leaf, size_t size) {
  volatile char local = 0;
  void* block = Descend(work, depth - 1, leaf, size);
  asm volatile("" : : "r"(&local) : "memory");
  return block;
}

NOINLINE NO_FRAME_POINTER void* DescendOdd(Work* work, int depth, int leaf, size_t size) {
  volatile uint64_t local[3] = {0, 0, 0};
  void* block = Descend(work, depth - 1, leaf, size);
  asm volatile("" : : "r"(local) : "memory");
  return block;
}

NOINLINE void* Descend(Work* work, int depth, int leaf, size_t size) {
  if (depth <= 0) return kLeaves[leaf](work, size);
  return depth % 2 == 0 ? DescendEven(work, depth, leaf, size)
                        : DescendOdd(work, depth, leaf, size);
}

// The array is left unwritten (beyond one byte): it keeps whatever deeper calls left there.
NOINLINE void* UnderArray(Work* work, size_t array_bytes, int depth, int leaf, size_t size) {
  char array[array_bytes];
  array[0] = 1;
  asm volatile("" : : "r"(array) : "memory");
  return Descend(work, depth, leaf, size);
}

NOINLINE NO_FRAME_POINTER void* Direct(Work* work, int depth, int leaf, size_t size) {
  return Descend(work, depth, leaf, size);
}

void Release(void* block, int leaf) {
  if (leaf == 3) {
    delete[] static_cast<char*>(block);
  } else {
    free(block);
  }
}

// A small set of paths per thread, so that each recurs often enough to be cached.
void Run(int rounds, uint64_t seed, Work* work) {
  work->state = seed * 0x9E3779B97F4A7C15ull + 1;
  constexpr int kPaths = 48;
  struct Path {
    int depth, leaf, array;
    size_t size;
    bool direct;
  } paths[kPaths];
  for (Path& path : paths) {
    // Most fit in the cache (32 frames with the thread's own), one in eight goes deeper.
    path.depth =
        static_cast<int>(work->Next() % 8 == 0 ? 24 + work->Next() % 24 : work->Next() % 20);
    path.leaf = static_cast<int>(work->Next() % 4);
    path.array = static_cast<int>(work->Next() % 4) * 24 + 8;
    path.size = 16 + work->Next() % 2000;
    path.direct = work->Next() % 3 == 0;
  }
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 4 * kPaths; ++i) {
      // Runs of one path, then a jump elsewhere: both the hits and the misses of a cache.
      const Path& path = paths[(work->Next() % 4 == 0) ? work->Next() % kPaths : i / 4];
      void* block = path.direct ? Direct(work, path.depth, path.leaf, path.size)
                                : UnderArray(work, path.array, path.depth, path.leaf, path.size);
      memset(block, 1, 8);
      if (work->Next() % 2 == 0) {
        Release(block, path.leaf);
      } else {
        (path.leaf == 3 ? work->freed_later : work->kept).push_back(block);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 100;
  const int threads = argc > 2 ? atoi(argv[2]) : 4;
  std::vector<Work> work(threads);
  for (Work& one : work) {
    one.kept.reserve(1 << 20);  // no allocation from push_back while the paths run
    one.freed_later.reserve(1 << 20);
  }
  std::vector<std::thread> others;
  for (int i = 1; i < threads; ++i) others.emplace_back(Run, rounds, i, &work[i]);
  Run(rounds, 0, &work[0]);
  for (std::thread& thread : others) thread.join();
  uint64_t allocations = 0;
  for (Work& one : work) {
    allocations += one.allocations;
    for (void* block : one.freed_later) delete[] static_cast<char*>(block);
  }
  printf("allocations=%llu\n", static_cast<unsigned long long>(allocations));
  return 0;
}
