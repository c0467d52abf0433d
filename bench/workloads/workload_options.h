// Command-line options shared by the bench/ workload programs: "--name value" pairs with defaults,
// and the one summary line every workload prints (bench/run keeps it in its log).
#pragma once

#include <cstdint>
#include <string>

namespace bench {

class WorkloadOptions {
 public:
  // Parses argv; exits with status 2 and a usage line on an unknown option or a bad number.
  WorkloadOptions(int argc, char** argv, const char* usage);

  // The value of --name, or `fallback` when absent.
  uint64_t Get(const std::string& name, uint64_t fallback) const;

 private:
  int argc_;
  char** argv_;
  const char* usage_;
};

// splitmix64: a small, fast, seedable generator; workloads must be deterministic for a given seed.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [low, high].
  uint64_t Between(uint64_t low, uint64_t high) { return low + Next() % (high - low + 1); }
  // Log-uniform in [low, high]: as many blocks of 16-32 bytes as of 2048-4096 bytes, the shape of
  // real programs' size distributions (many small blocks, a long tail of large ones).
  uint64_t LogUniform(uint64_t low, uint64_t high);

 private:
  uint64_t state_;
};

}  // namespace bench
