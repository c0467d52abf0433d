// synthetic_worker_file: writes the synthetic worker's snapshot file (synthetic_worker.h) to a
// path, for tests that drive clw-leak-analyze from outside C++ (tests/html) and for the examples
// in docs/. Usage:
//   synthetic_worker_file PATH [--leak-function NAME] [--leak-file PATH] [--snapshots N]
//                              [--sample-rate BYTES] [--seed N] [--second-leak BYTES]
// Prints the truth (leak per request, requests, duration) as one line of key=value pairs.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "synthetic_worker.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s PATH [--leak-function NAME] [--leak-file PATH] "
                 "[--snapshots N] [--sample-rate BYTES] [--seed N] [--second-leak BYTES]\n",
                 argv[0]);
    return 2;
  }
  clwleak::testing::WorkerScenario scenario;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--leak-function") {
      scenario.leak_function = value;
    } else if (flag == "--leak-file") {
      scenario.leak_file = value;
    } else if (flag == "--snapshots") {
      scenario.snapshots = std::atoi(value.c_str());
    } else if (flag == "--sample-rate") {
      scenario.sample_rate_bytes = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--second-leak") {
      scenario.second_leak_bytes = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--seed") {
      scenario.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (scenario.snapshots < 2 || scenario.sample_rate_bytes == 0) {
    std::fprintf(stderr, "--snapshots must be at least 2 and --sample-rate at least 1\n");
    return 2;
  }
  const clwleak::testing::WorkerTruth truth =
      clwleak::testing::WriteSyntheticWorker(argv[1], scenario);
  std::printf("leak_bytes_per_request=%.0f requests=%llu duration_s=%.0f in_use_last=%llu\n",
              truth.leak_bytes_per_request, static_cast<unsigned long long>(truth.total_requests),
              truth.duration_s, static_cast<unsigned long long>(truth.in_use_last));
  return 0;
}
