// Running test programs with a time limit, and small helpers over profiles; see program_runner.h.
#include "program_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace clwleak::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string TempRoot() {
  const char* root = getenv("TMPDIR");
  return root != nullptr && *root != '\0' ? root : "/tmp";
}

int Spawn(char** argv, char** envp, const std::string& out_path, const std::string& err_path,
          pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int error = posix_spawn(pid, argv[0], &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  return error;
}

// posix_spawn cannot set a resource limit: fork, then only async-signal-safe calls in the child.
int SpawnWithAddressLimit(uint64_t limit_bytes, char** argv, char** envp,
                          const std::string& out_path, const std::string& err_path, pid_t* pid) {
  const char* out = out_path.c_str();
  const char* err = err_path.c_str();
  const pid_t child = fork();
  if (child < 0) return errno;
  if (child == 0) {
    const int in_fd = open("/dev/null", O_RDONLY);
    const int out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(126);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (int fd : {in_fd, out_fd, err_fd}) {
      if (fd > 2) close(fd);
    }
    rlimit limit = {limit_bytes, limit_bytes};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(126);
    execve(argv[0], argv, envp);
    _exit(127);
  }
  *pid = child;
  return 0;
}

}  // namespace

std::string MakeTempDir(const std::string& name) {
  std::string pattern = TempRoot() + "/clwleak-test-" + name + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) return "";
  return buffer.data();
}

std::vector<std::string> ListFiles(const std::string& directory, const std::string& prefix) {
  std::vector<std::string> files;
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return files;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (name.compare(0, prefix.size(), prefix) == 0) files.push_back(directory + "/" + name);
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

ProgramResult RunProgram(const ProgramOptions& options) {
  ProgramResult result;
  std::string dir = MakeTempDir("run");
  std::string out_path = dir + "/stdout", err_path = dir + "/stderr";

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  env.erase("LD_PRELOAD");
  if (options.preload) env["LD_PRELOAD"] = CLWLEAK_PRELOAD_PATH;
  for (const auto& [key, value] : options.env) env[key] = value;
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp, argv;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid;
  int error = options.address_space_limit != 0
                  ? SpawnWithAddressLimit(options.address_space_limit, argv.data(), envp.data(),
                                          out_path, err_path, &pid)
                  : Spawn(argv.data(), envp.data(), out_path, err_path, &pid);
  if (error != 0) {
    result.err = "posix_spawn failed: " + std::to_string(error);
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  bool signalled = false;
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (options.wait_for_line != nullptr && !signalled && options.wait_for_line(ReadAll(out_path))) {
      kill(pid, options.signal_after_line);
      signalled = true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exited = WIFEXITED(status);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  rmdir(dir.c_str());
  return result;
}

SiteTotals TotalsFor(const analysis::ProfileState& state, const std::string& function) {
  SiteTotals totals;
  for (const auto& [stack_id, stats] : state.counters) {
    bool matches = false;
    for (const proto::Frame* frame : state.FramesOf(stack_id)) {
      if (frame->function() != function) continue;
      matches = true;
      const proto::Module* module = state.ModuleOf(*frame);
      std::string path = module != nullptr ? module->path() : "";
      std::string base = path.substr(path.rfind('/') + 1);
      if (std::find(totals.modules.begin(), totals.modules.end(), base) == totals.modules.end()) {
        totals.modules.push_back(base);
      }
      break;
    }
    if (!matches) continue;
    ++totals.stacks;
    totals.live_bytes += stats.live_bytes();
    totals.live_count += stats.live_count();
    totals.allocated_bytes += stats.allocated_bytes();
    totals.allocated_count += stats.allocated_count();
    totals.freed_count += stats.freed_count();
  }
  return totals;
}

uint64_t ValueOf(const std::string& text, const std::string& key) {
  size_t at = text.find(key + "=");
  if (at == std::string::npos) return UINT64_MAX;
  return strtoull(text.c_str() + at + key.size() + 1, nullptr, 10);
}

}  // namespace clwleak::testing
