// Test-only helper: unique temporary file paths for the analyzer's tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace clwleak::testing {

inline std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "clwleak_" + std::to_string(getpid()) + "_" + name;
}

}  // namespace clwleak::testing
