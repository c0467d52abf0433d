// See realworld_support.h.
#include "realworld_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "analysis.h"
#include "snapshot_reader.h"

namespace clwleak::testing {

std::string FindProgram(const std::string& name) {
  // Debian's own programs first (/usr/bin), so that a pyenv or nvm shim earlier on PATH is not what
  // gets tested; then PATH.
  const char* path = getenv("PATH");
  std::string dirs = std::string("/usr/bin:/bin:/usr/sbin:/sbin:") + (path != nullptr ? path : "");
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

size_t ExpectReadableSnapshots(const std::string& directory, bool require_complete) {
  std::vector<std::string> files = ListFiles(directory);
  for (const std::string& file : files) {
    analysis::WholeFile profile = analysis::ReadWholeFile(file);
    EXPECT_TRUE(profile.opened) << file << ": " << profile.error;
    EXPECT_NE(profile.end, analysis::ReadStatus::kError) << file << ": " << profile.error;
    if (require_complete) {
      EXPECT_TRUE(profile.complete) << file << ": " << profile.error;
    }
    analysis::FileReport report;
    std::string error;
    EXPECT_TRUE(analysis::AnalyzeFile(file, analysis::AnalysisOptions(), &report, &error))
        << file << ": " << error;
  }
  return files.size();
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

void RecordedTest::Describe(const std::string& subject, const std::string& checked) {
  subject_ = subject;
  checked_ = checked;
}

void RecordedTest::Note(const std::string& detail) {
  details_ += (details_.empty() ? "" : "; ") + detail;
}

void RecordedTest::TearDown() {
  const char* results = getenv("CLWLEAK_RELIABILITY_RESULTS");
  if (results == nullptr || *results == '\0' || subject_.empty()) return;
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string outcome = HasFailure() ? "FAILED" : IsSkipped() ? "skipped" : "passed";
  if (IsSkipped()) {
    const ::testing::TestResult* result = info->result();
    for (int i = 0; i < result->total_part_count(); ++i) {
      if (result->GetTestPartResult(i).skipped()) Note(result->GetTestPartResult(i).message());
    }
  }
  std::string row = std::string(info->test_suite_name()) + "." + info->name() + "\t" + subject_ +
                    "\t" + checked_ + "\t" + outcome + "\t" + details_;
  for (char& c : row) {
    if (c == '\n') c = ' ';
  }
  // One write(2) of a whole line to an O_APPEND file: rows of tests run in parallel never mix.
  int fd = open(results, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  row += "\n";
  ssize_t ignored = write(fd, row.data(), row.size());
  (void)ignored;
  close(fd);
}

}  // namespace clwleak::testing
