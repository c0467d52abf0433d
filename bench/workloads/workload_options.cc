// Option parsing and the random-number helpers of the bench/ workloads; see workload_options.h.
#include "workload_options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

WorkloadOptions::WorkloadOptions(int argc, char** argv, const char* usage)
    : argc_(argc), argv_(argv), usage_(usage) {
  for (int i = 1; i < argc; i += 2) {
    if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
      fprintf(stderr, "usage: %s %s\n", argv[0], usage);
      exit(2);
    }
  }
}

uint64_t WorkloadOptions::Get(const std::string& name, uint64_t fallback) const {
  for (int i = 1; i + 1 < argc_; i += 2) {
    if (name != argv_[i] + 2) continue;
    char* end = nullptr;
    unsigned long long value = strtoull(argv_[i + 1], &end, 10);
    if (end == argv_[i + 1] || *end != '\0') {
      fprintf(stderr, "%s: --%s wants a number, not '%s'\nusage: %s %s\n", argv_[0], name.c_str(),
              argv_[i + 1], argv_[0], usage_);
      exit(2);
    }
    return value;
  }
  return fallback;
}

uint64_t Random::LogUniform(uint64_t low, uint64_t high) {
  const double unit = static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0);
  const double value = std::exp(std::log(static_cast<double>(low)) +
                                unit * (std::log(static_cast<double>(high)) -
                                        std::log(static_cast<double>(low))));
  uint64_t result = static_cast<uint64_t>(value);
  return result < low ? low : (result > high ? high : result);
}

}  // namespace bench
