// See realworld_support.h.
#include "realworld_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "analysis.h"
#include "snapshot_reader.h"
#include "units.h"

extern char** environ;

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
  return ExpectReadableReports(directory, require_complete).size();
}

std::vector<analysis::FileReport> ExpectReadableReports(const std::string& directory,
                                                        bool require_complete) {
  std::vector<analysis::FileReport> reports;
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
    reports.push_back(std::move(report));
  }
  return reports;
}

bool InstallPackages(const std::vector<std::string>& packages, std::string* why) {
  static bool updated = false;
  std::string packages_text;
  for (const std::string& package : packages) packages_text += " " + package;
  const std::string apt = FindProgram("apt-get");
  if (apt.empty() || geteuid() != 0) {
    *why = "apt-get cannot install" + packages_text + " here (not root, or no apt-get)";
    return false;
  }
  ProgramOptions install;
  install.preload = false;
  install.timeout_seconds = 150;  // within the test's own timeout
  install.env["DEBIAN_FRONTEND"] = "noninteractive";
  if (!updated) {
    install.argv = {apt, "update", "-q"};
    RunProgram(install);
    updated = true;
  }
  install.argv = {apt, "install", "-y", "-q", "--no-install-recommends"};
  install.argv.insert(install.argv.end(), packages.begin(), packages.end());
  const ProgramResult result = RunProgram(install);
  if (result.exit_code == 0 && !result.timed_out) return true;
  *why = "`apt-get install" + packages_text + "` failed (exit " + std::to_string(result.exit_code) +
         (result.timed_out ? ", timed out" : "") +
         "): " + result.err.substr(0, std::min<size_t>(result.err.size(), 300));
  return false;
}

std::string EnsureProgram(const std::string& name, const std::vector<std::string>& packages,
                          std::string* why) {
  std::string path = FindProgram(name);
  if (!path.empty()) return path;
  std::string install_error;
  InstallPackages(packages, &install_error);
  path = FindProgram(name);
  if (path.empty()) *why = name + " is not installed: " + install_error;
  return path;
}

KindTotals TotalsByKind(const std::vector<analysis::FileReport>& reports) {
  KindTotals totals;
  for (const analysis::FileReport& report : reports) {
    double shared = 0, reserved = 0;
    for (const analysis::KindMemory& kind : report.memory_by_kind) {
      if (kind.kind == "shared_anon") shared += kind.live_bytes;
      if (kind.kind == "reserved") reserved += kind.live_bytes;
    }
    for (const analysis::SiteReport& site : report.sites) {
      if (site.kind != "heap" && site.kind != "mmap") ++totals.non_leakable_sites;
    }
    totals.heap_live_max = std::max(totals.heap_live_max, report.memory.heap_live_bytes);
    totals.heap_live_peak = std::max(totals.heap_live_peak, report.memory.heap_live_bytes);
    for (const analysis::TimelinePoint& point : report.timeline) {
      totals.heap_live_peak = std::max(totals.heap_live_peak, point.heap_live_bytes);
    }
    totals.shared_min = totals.files == 0 ? shared : std::min(totals.shared_min, shared);
    totals.shared_max = std::max(totals.shared_max, shared);
    totals.reserved_max = std::max(totals.reserved_max, reserved);
    ++totals.files;
  }
  return totals;
}

std::string DescribeKinds(const KindTotals& totals) {
  auto mib = [](double bytes) { return analysis::FormatBytes(bytes); };
  return "heap live <= " + mib(totals.heap_live_max) + " per file at the end (peak " +
         mib(totals.heap_live_peak) + "), shared anonymous " + mib(totals.shared_min) + ".." +
         mib(totals.shared_max) + ", reserved <= " + mib(totals.reserved_max);
}

pid_t SpawnLogged(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                  const std::string& log) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("LD_PRELOAD=", 0) != 0) env_strings.push_back(*e);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp, argv;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> copy = args;
  for (std::string& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

bool WaitForPort(int port, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int WaitForExit(pid_t pid, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadWholeTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
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
