// Servers with many processes under libclwleak.so, each driven by its own benchmark client (which
// runs bare): PostgreSQL 15 with pgbench (postmaster, background processes, a backend per
// connection) and nginx with ab (a master and two workers). Each runs bare, then under the preload
// in exact mode and at 256K: the benchmark and the data it leaves must be the same, the server must
// shut down cleanly with the same exit code, every process's file must decode, and shared memory
// (PostgreSQL's shared buffers, nginx's shared zones) must be listed as shared anonymous memory,
// never as heap. Missing packages are installed (apt-get) or the test skips with the reason.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "program_runner.h"
#include "realworld_support.h"

namespace clwleak::testing {
namespace {

const char* const kRates[] = {"1", "256K"};

std::vector<std::string> PreloadEnv(const std::string& rate, const std::string& output) {
  return {std::string("LD_PRELOAD=") + CLWLEAK_PRELOAD_PATH,
          std::string("CLWLEAK_SAMPLE_RATE=") + rate, "CLWLEAK_INTERVAL=200ms",
          "CLWLEAK_OUTPUT=" + output + "/%e.%p.pb"};
}

// Lets an unprivileged server (postgres, nginx's workers) create its files in `directory`.
void OpenToAll(const std::string& directory) { chmod(directory.c_str(), 01777); }

// ---------------------------------------------------------------------------------------------
// PostgreSQL 15: initdb once (bare) into a template, copied for each run; the server runs as the
// postgres user (it refuses root) on a unix socket in the run's directory, no TCP at all.
class PostgreSql : public RecordedTest {
 protected:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
  static constexpr double kSharedBuffersMiB = 64;

  struct Outcome {
    bool started = false;
    std::string data;  // what pgbench did and left: transactions, row counts
    int server_exit = -3;
    std::string log;
    pid_t postmaster = -1;
  };

  std::string Tool(const std::string& name) { return std::string(kBin) + "/" + name; }

  // As the postgres user: runuser -u postgres -- env VARS... argv.
  std::vector<std::string> AsPostgres(const std::vector<std::string>& argv,
                                      const std::vector<std::string>& env) {
    std::vector<std::string> command = {runuser_, "-u", user_, "--", "/usr/bin/env"};
    command.insert(command.end(), env.begin(), env.end());
    command.insert(command.end(), argv.begin(), argv.end());
    return command;
  }

  ProgramResult Client(const std::vector<std::string>& argv) {
    ProgramOptions options;
    options.preload = false;
    options.timeout_seconds = 60;
    options.argv = AsPostgres(argv, {});
    return RunProgram(options);
  }

  Outcome Run(const std::string& template_data, const std::vector<std::string>& preload_env) {
    Outcome outcome;
    const std::string work = MakeTempDir("postgres");
    OpenToAll(work);
    const std::string data = work + "/data";
    std::filesystem::copy(template_data, data, std::filesystem::copy_options::recursive);
    ProgramOptions chown;
    chown.preload = false;
    chown.argv = {"/bin/chown", "-R", user_ + ":", data};
    RunProgram(chown);
    pid_t pid = SpawnLogged(
        AsPostgres({Tool("postgres"), "-D", data, "-k", work, "-c", "listen_addresses=", "-p",
                    "5432", "-c", "shared_buffers=64MB", "-c", "fsync=off", "-c",
                    "synchronous_commit=off", "-c", "full_page_writes=off"},
                   preload_env),
        {}, work + "/server.log");
    if (pid < 0) return outcome;
    const std::vector<std::string> connect = {"-h", work, "-p", "5432", "-U", user_};
    auto with = [&](std::vector<std::string> argv, const std::vector<std::string>& tail) {
      argv.insert(argv.end(), connect.begin(), connect.end());
      argv.insert(argv.end(), tail.begin(), tail.end());
      return argv;
    };
    for (int i = 0; i < 300 && !outcome.started; ++i) {
      outcome.started = Client(with({Tool("pg_isready"), "-q"}, {"-d", "postgres"})).exit_code == 0;
      if (!outcome.started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (outcome.started) {
      const ProgramResult init =
          Client(with({Tool("pgbench"), "-i", "-q", "-s", "1"}, {"postgres"}));
      const ProgramResult load =
          Client(with({Tool("pgbench"), "-n", "-c", "4", "-j", "2", "-t", "150"}, {"postgres"}));
      outcome.data = "init exit " + std::to_string(init.exit_code) + ", run exit " +
                     std::to_string(load.exit_code) + "\n";
      for (const std::string& line : {std::string("number of clients"),
                                      std::string("number of transactions actually processed")}) {
        const size_t at = load.out.find(line);
        if (at != std::string::npos)
          outcome.data += load.out.substr(at, load.out.find('\n', at) - at) + "\n";
      }
      outcome.data += Client(with({Tool("psql"), "-At", "-c",
                                   "select (select count(*) from pgbench_accounts), (select "
                                   "count(*) from pgbench_history), (select count(*) from "
                                   "pgbench_branches)"},
                                  {"postgres"}))
                          .out;
    }
    // Fast shutdown, sent to the postmaster itself (runuser does not pass SIGINT on); runuser
    // exits with the postmaster's code.
    const std::string postmaster = ReadWholeTextFile(data + "/postmaster.pid");
    const pid_t server = static_cast<pid_t>(atol(postmaster.c_str()));
    kill(server > 0 ? server : pid, SIGINT);
    outcome.postmaster = server;
    outcome.server_exit = WaitForExit(pid, 60);
    outcome.log = ReadWholeTextFile(work + "/server.log");
    RemoveTree(work);
    return outcome;
  }

  std::string runuser_, user_ = "postgres";
};

TEST_F(PostgreSql, PgbenchEveryBackendDecodesSharedMemoryIsNotHeap) {
  Describe("PostgreSQL 15 (postgres user, unix socket): pgbench -i -s 1, then -c 4 -j 2 -t 150",
           "same pgbench results and row counts, fast shutdown exit 0, no warning, every "
           "process's file (postmaster, backends, background processes) decodes, complete; the "
           "64 MiB of shared buffers are shared anonymous memory in every file (the postmaster's "
           "until it "
           "detaches), heap live < 32 MiB at every snapshot of every process");
  std::string why;
  if (access((std::string(kBin) + "/postgres").c_str(), X_OK) != 0 ||
      access((std::string(kBin) + "/pgbench").c_str(), X_OK) != 0) {
    // Installs postgresql-15 (and its client, pgbench) when missing.
    InstallPackages({"postgresql-15", "postgresql-client-15"}, &why);
    if (access((std::string(kBin) + "/postgres").c_str(), X_OK) != 0 ||
        access((std::string(kBin) + "/pgbench").c_str(), X_OK) != 0) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed: " << why;
    }
  }
  runuser_ = FindProgram("runuser");
  if (runuser_.empty()) GTEST_SKIP() << "runuser (util-linux) is not installed";
  if (geteuid() != 0)
    GTEST_SKIP() << "the test starts the server as the postgres user: run as root";
  ProgramOptions id;
  id.preload = false;
  id.argv = {"/usr/bin/id", "-u", "postgres"};
  if (RunProgram(id).exit_code != 0) user_ = "nobody";

  const std::string template_dir = MakeTempDir("postgres-template");
  OpenToAll(template_dir);
  const std::string template_data = template_dir + "/data";
  ProgramOptions initdb;
  initdb.preload = false;
  initdb.timeout_seconds = 120;
  initdb.argv = AsPostgres({Tool("initdb"), "-D", template_data, "-A", "trust", "-U", user_,
                            "--no-sync", "-E", "UTF8", "--locale=C"},
                           {});
  const ProgramResult made = RunProgram(initdb);
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;

  const Outcome expected = Run(template_data, {});
  ASSERT_TRUE(expected.started) << expected.log;
  ASSERT_EQ(expected.server_exit, 0) << expected.log;
  EXPECT_NE(expected.data.find("transactions actually processed: 600/600"), std::string::npos)
      << expected.data;
  for (const char* rate : kRates) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const std::string output = MakeTempDir("postgres-out");
    OpenToAll(output);
    const Outcome outcome = Run(template_data, PreloadEnv(rate, output));
    EXPECT_TRUE(outcome.started) << outcome.log;
    EXPECT_EQ(outcome.data, expected.data);
    EXPECT_EQ(outcome.server_exit, expected.server_exit) << outcome.log;
    EXPECT_EQ(outcome.log.find("[clwleak]"), std::string::npos) << outcome.log;
    const std::vector<analysis::FileReport> reports = ExpectReadableReports(output, true);
    // The postmaster, its background processes, the backends of pgbench -i, of -c 4 and of psql.
    EXPECT_GE(reports.size(), 8u);
    const KindTotals kinds = TotalsByKind(reports);
    EXPECT_EQ(kinds.non_leakable_sites, 0u);
    for (const analysis::FileReport& report : reports) {
      double shared = 0;
      for (const analysis::KindMemory& kind : report.memory_by_kind) {
        if (kind.kind == "shared_anon") shared += kind.live_bytes;
      }
      std::string command;
      for (const std::string& word : report.cmdline) command += word + " ";
      // The postmaster detaches its segment before it exits; every other process keeps it.
      if (static_cast<pid_t>(report.pid) == outcome.postmaster) continue;
      EXPECT_GE(shared, kSharedBuffersMiB * 1048576)
          << report.path << " (" << command << "): " << report.snapshots << " snapshots";
    }
    // At no snapshot of any process is the shared memory heap.
    EXPECT_LT(kinds.heap_live_peak, kSharedBuffersMiB / 2 * 1048576) << DescribeKinds(kinds);
    Note(std::string("rate ") + rate + ": " + std::to_string(reports.size()) + " files; " +
         DescribeKinds(kinds));
    if (!HasFailure()) RemoveTree(output);
  }
  RemoveTree(template_dir);
}

// ---------------------------------------------------------------------------------------------
// nginx: master and two workers (as nobody) on a free 127.0.0.1 port, configuration and every
// path in the run's directory; ab fetches a static page; SIGQUIT shuts it down gracefully.
class Nginx : public RecordedTest {
 protected:
  struct Outcome {
    bool started = false;
    std::string data;  // ab's counts and the page it fetched
    int server_exit = -3;
    std::string log;
  };

  Outcome Run(const std::string& nginx, const std::string& ab,
              const std::vector<std::string>& preload_env) {
    Outcome outcome;
    const std::string work = MakeTempDir("nginx");
    OpenToAll(work);
    std::filesystem::create_directories(work + "/www");
    {
      std::ofstream page(work + "/www/index.html");
      for (int i = 0; i < 200; ++i) page << "<p>line " << i << " of the test page</p>\n";
    }
    chmod((work + "/www").c_str(), 0755);
    chmod((work + "/www/index.html").c_str(), 0644);
    const int port = FreeLoopbackPort();
    std::ofstream(work + "/nginx.conf")
        << "daemon off;\nmaster_process on;\nworker_processes 2;\nuser nobody nogroup;\n"
           "pid "
        << work << "/nginx.pid;\nerror_log " << work
        << "/error.log warn;\n"
           "events { worker_connections 128; }\n"
           "http {\n  access_log off;\n  client_body_temp_path "
        << work
        << "/body;\n"
           "  proxy_temp_path "
        << work << "/proxy;\n  fastcgi_temp_path " << work
        << "/fastcgi;\n"
           "  uwsgi_temp_path "
        << work << "/uwsgi;\n  scgi_temp_path " << work
        << "/scgi;\n"
           "  server {\n    listen 127.0.0.1:"
        << port << ";\n    root " << work
        << "/www;\n"
           "  }\n}\n";
    std::vector<std::string> env = preload_env;
    pid_t pid =
        SpawnLogged({nginx, "-p", work, "-c", work + "/nginx.conf"}, env, work + "/server.log");
    if (pid < 0) return outcome;
    outcome.started = WaitForPort(port, 20);
    if (outcome.started) {
      ProgramOptions bench;
      bench.preload = false;
      bench.timeout_seconds = 60;
      bench.argv = {ab,   "-q", "-n", "3000",
                    "-c", "8",  "-k", "http://127.0.0.1:" + std::to_string(port) + "/index.html"};
      const ProgramResult load = RunProgram(bench);
      outcome.data = "ab exit " + std::to_string(load.exit_code) + "\n";
      for (const char* line :
           {"Document Length:", "Complete requests:", "Failed requests:", "Non-2xx responses:"}) {
        const size_t at = load.out.find(line);
        if (at != std::string::npos) {
          outcome.data += load.out.substr(at, load.out.find('\n', at) - at) + "\n";
        }
      }
    }
    kill(pid, SIGQUIT);  // graceful: workers finish and exit, then the master
    outcome.server_exit = WaitForExit(pid, 30);
    outcome.log = ReadWholeTextFile(work + "/server.log") + ReadWholeTextFile(work + "/error.log");
    RemoveTree(work);
    return outcome;
  }
};

TEST_F(Nginx, MasterAndWorkersUnderAb) {
  Describe("nginx 1.22: master and 2 workers (as nobody) on 127.0.0.1, ab -n 3000 -c 8 -k",
           "same ab counts (complete, failed, length), graceful SIGQUIT exit 0, no warning, the "
           "master's and each worker's file decodes, complete (exact and 256K); the shared zone is "
           "shared "
           "anonymous memory in each file (exact)");
  std::string why;
  const std::string nginx = EnsureProgram("nginx", {"nginx-light"}, &why);
  if (nginx.empty()) GTEST_SKIP() << why;
  const std::string ab = EnsureProgram("ab", {"apache2-utils"}, &why);
  if (ab.empty()) GTEST_SKIP() << why;
  if (geteuid() != 0) GTEST_SKIP() << "the workers run as nobody: run as root";
  const Outcome expected = Run(nginx, ab, {});
  ASSERT_TRUE(expected.started) << expected.log;
  ASSERT_EQ(expected.server_exit, 0) << expected.log;
  EXPECT_NE(expected.data.find("Complete requests:      3000"), std::string::npos) << expected.data;
  for (const char* rate : kRates) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const std::string output = MakeTempDir("nginx-out");
    OpenToAll(output);
    const Outcome outcome = Run(nginx, ab, PreloadEnv(rate, output));
    EXPECT_TRUE(outcome.started) << outcome.log;
    EXPECT_EQ(outcome.data, expected.data);
    EXPECT_EQ(outcome.server_exit, expected.server_exit) << outcome.log;
    EXPECT_EQ(outcome.log.find("[clwleak]"), std::string::npos) << outcome.log;
    const std::vector<analysis::FileReport> reports = ExpectReadableReports(output, true);
    EXPECT_EQ(reports.size(), 3u) << "the master and 2 workers";
    const KindTotals kinds = TotalsByKind(reports);
    EXPECT_EQ(kinds.non_leakable_sites, 0u);
    // nginx's shared zone (accept mutex, counters), made by the master and inherited by the
    // workers: shared anonymous memory in every file, seen whole in exact mode.
    if (std::string(rate) == "1") {
      EXPECT_GT(kinds.shared_min, 0) << DescribeKinds(kinds);
    }
    Note(std::string("rate ") + rate + ": " + std::to_string(reports.size()) + " files; " +
         DescribeKinds(kinds));
    if (!HasFailure()) RemoveTree(output);
  }
}

}  // namespace
}  // namespace clwleak::testing
