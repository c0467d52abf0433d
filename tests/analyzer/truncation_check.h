// ExpectEveryTruncationReportsOrFails: cuts a file at every byte offset and checks that the
// analysis gives either a report marked incomplete or an error naming the cut file, never a crash.
// Shared by the synthetic-file and the real-preload-file tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "analysis.h"

namespace clwleak::analysis {

inline void ExpectEveryTruncationReportsOrFails(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = path + ".cut";
  int reports = 0, errors = 0;
  for (size_t length = 0; length < bytes.size(); ++length) {
    {
      std::ofstream out(cut, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(length));
    }
    FileReport report;
    std::string error;
    if (AnalyzeFile(cut, {}, &report, &error)) {
      ++reports;
      EXPECT_FALSE(report.complete) << "length " << length;
    } else {
      ++errors;
      EXPECT_EQ(error.rfind(cut + ": ", 0), 0u) << "length " << length << ": " << error;
    }
  }
  EXPECT_GT(reports, 0);
  EXPECT_GT(errors, 0);  // prefixes without a whole header
}

}  // namespace clwleak::analysis
