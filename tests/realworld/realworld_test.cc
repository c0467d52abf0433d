// Real programs from Debian's packages under libclwleak.so: each runs bare, then under the preload
// in exact mode (CLWLEAK_SAMPLE_RATE=1) and at the default rate (256K). Under the preload it must
// print exactly the same, exit the same way, warn nothing, and leave snapshot files that
// ReadWholeFile and AnalyzeFile accept. A program that is not installed skips with a message
// (scripts/deps.sh: clwleak_test_packages). python3's deliberate leak must be found, attributed to
// the interpreter, at the rate the script states.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "analysis.h"
#include "program_runner.h"
#include "realworld_support.h"
#include "snapshot_reader.h"

extern char** environ;

namespace clwleak::testing {
namespace {

const char* const kRates[] = {"1", "256K"};

std::string Program(const std::string& name) { return std::string(PROGRAMS_DIR) + "/" + name; }

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// One comparison: `argv(work)` builds the command for a fresh working directory; `artifact(work)`,
// when set, returns what the run produced besides stdout (e.g. an object file), which must match too.
struct Comparison {
  std::string name;
  std::function<std::vector<std::string>(const std::string& work)> argv;
  bool single_process = true;  // every file must then end with its final snapshot
  std::function<std::string(const std::string& work)> artifact;
  double timeout_seconds = 60;
  // When set, called with the reports of every file of each run under the preload.
  std::function<void(const std::vector<analysis::FileReport>& reports)> check_reports;
};

class RealWorld : public RecordedTest {
 protected:
  void Compare(const Comparison& c) {
    const std::string bare_work = MakeTempDir(c.name + "-bare");
    ProgramOptions bare;
    bare.argv = c.argv(bare_work);
    bare.preload = false;
    bare.timeout_seconds = c.timeout_seconds;
    ProgramResult expected = RunProgram(bare);
    ASSERT_FALSE(expected.timed_out) << c.name << " timed out without the preload";
    ASSERT_TRUE(expected.exited) << expected.err;
    std::string expected_artifact = c.artifact ? c.artifact(bare_work) : "";
    RemoveTree(bare_work);

    size_t files_total = 0;
    for (const char* rate : kRates) {
      SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
      const std::string work = MakeTempDir(c.name + "-work");
      const std::string output = MakeTempDir(c.name + "-out");
      ProgramOptions options;
      options.argv = c.argv(work);
      options.timeout_seconds = c.timeout_seconds;
      options.env["CLWLEAK_SAMPLE_RATE"] = rate;
      options.env["CLWLEAK_INTERVAL"] = "200ms";
      options.env["CLWLEAK_OUTPUT"] = output + "/%e.%p.pb";
      ProgramResult result = RunProgram(options);
      ASSERT_FALSE(result.timed_out) << c.name << " hung under the preload: " << result.err;
      EXPECT_EQ(result.exited, expected.exited) << result.err;
      EXPECT_EQ(result.exit_code, expected.exit_code) << result.err;
      EXPECT_EQ(result.out, expected.out);
      EXPECT_EQ(result.err.find("[clwleak]"), std::string::npos) << result.err;
      if (c.artifact) {
        EXPECT_EQ(c.artifact(work), expected_artifact) << "the artifact differs";
      }
      const std::vector<analysis::FileReport> reports =
          ExpectReadableReports(output, c.single_process);
      const size_t files = reports.size();
      EXPECT_GE(files, 1u) << "no snapshot file in " << output;
      // Only heap and private memory in use is ever in the leak figures.
      const KindTotals kinds = TotalsByKind(reports);
      EXPECT_EQ(kinds.non_leakable_sites, 0u);
      if (c.check_reports) c.check_reports(reports);
      Note(std::string("rate ") + rate + ": " + DescribeKinds(kinds));
      files_total += files;
      RemoveTree(work);
      if (!HasFailure()) RemoveTree(output);
    }
    Note(std::to_string(files_total) + " snapshot files read");
  }
};

#define REQUIRE_PROGRAM(variable, name)                                                   \
  const std::string variable = FindProgram(name);                                        \
  if (variable.empty()) GTEST_SKIP() << name << " is not installed (scripts/deps.sh: "   \
                                            "clwleak_test_packages)"

// Like REQUIRE_PROGRAM, installing the packages first when the program is missing.
#define REQUIRE_INSTALLED(variable, name, ...)                                          \
  std::string variable##_missing;                                                       \
  const std::string variable = EnsureProgram(name, {__VA_ARGS__}, &variable##_missing); \
  if (variable.empty()) GTEST_SKIP() << variable##_missing

constexpr const char* kSameRun =
    "same stdout and exit code as a bare run, no warning, files decode and analyze (exact and 256K)";

TEST_F(RealWorld, PythonDictsListsThreads) {
  Describe("python3: dicts and lists built and dropped, 4 threads", kSameRun);
  REQUIRE_PROGRAM(python, "python3");
  Compare({"python-churn", [&](const std::string&) {
             return std::vector<std::string>{python, Program("churn.py")};
           }});
}

TEST_F(RealWorld, Perl) {
  Describe("perl: hashes, sort, regexes", kSameRun);
  REQUIRE_PROGRAM(perl, "perl");
  Compare({"perl", [&](const std::string&) {
             return std::vector<std::string>{perl, Program("hashes.pl")};
           }});
}

TEST_F(RealWorld, Sqlite) {
  Describe("sqlite3: 3,000 inserts and 1,000 queries on a file database", kSameRun);
  REQUIRE_PROGRAM(sqlite, "sqlite3");
  Compare({"sqlite", [&](const std::string& work) {
             std::ofstream sql(work + "/script.sql");
             sql << "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score INTEGER);\n"
                    "CREATE INDEX t_score ON t(score);\nBEGIN;\n";
             for (int i = 1; i <= 3000; ++i) {
               sql << "INSERT INTO t(name, score) VALUES ('name-" << i << "', " << (i * 7919) % 1009
                   << ");\n";
             }
             sql << "COMMIT;\n";
             for (int i = 0; i < 1000; ++i) {
               sql << "SELECT count(*) FROM t WHERE score = " << (i * 13) % 1009 << ";\n";
             }
             sql << "SELECT score, count(*), max(name) FROM t GROUP BY score ORDER BY 2 DESC, 1 "
                    "LIMIT 5;\n";
             return std::vector<std::string>{sqlite, work + "/db.sqlite", ".read " + work +
                                                                             "/script.sql"};
           }});
}

TEST_F(RealWorld, Git) {
  Describe("git: init, 20 commits, log in a temporary repository (many processes)", kSameRun);
  REQUIRE_PROGRAM(git, "git");
  REQUIRE_PROGRAM(sh, "sh");
  Comparison c;
  c.name = "git";
  c.single_process = false;  // sh execs git, git forks helpers: not every image ends normally
  c.argv = [&](const std::string& work) {
    std::string script =
        "set -e; export HOME=\"$1\" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e "
        "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' "
        "GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'; cd \"$1\"; git init -q -b main repo; cd repo; "
        "i=0; while [ $i -lt 20 ]; do echo \"line $i\" >> file.txt; git add file.txt; "
        "git commit -q -m \"commit $i\"; i=$((i+1)); done; git log --format='%H %s' | head -5; "
        "git rev-list --count HEAD";
    return std::vector<std::string>{sh, "-c", script, "sh", work};
  };
  Compare(c);
}

TEST_F(RealWorld, GccCompilesCFile) {
  Describe("gcc -O2 -c of a small C file (gcc, cc1, as)",
           "same exit code and a byte-identical object file; files decode and analyze");
  REQUIRE_PROGRAM(gcc, "gcc");
  Comparison c;
  c.name = "gcc";
  c.single_process = false;
  c.argv = [&](const std::string& work) {
    return std::vector<std::string>{gcc, "-O2", "-c", Program("fold.c"), "-o", work + "/fold.o"};
  };
  c.artifact = [](const std::string& work) { return ReadFileBytes(work + "/fold.o"); };
  Compare(c);
}

TEST_F(RealWorld, NodeMmapHeavy) {
  Describe("node -e: typed arrays, maps, JSON (V8, mmap-heavy)", kSameRun);
  REQUIRE_PROGRAM(node, "node");
  const std::string script = ReadFileBytes(Program("mmap_heavy.js"));
  Comparison c;
  c.name = "node";
  c.argv = [&](const std::string&) { return std::vector<std::string>{node, "-e", script}; };
  c.timeout_seconds = 90;
  Compare(c);
}

// A JVM: it reserves its heap as address space (PROT_NONE, MAP_NORESERVE) and commits it by parts.
// The reservation is listed as reserved, never as heap: heap live stays below the RSS by far less
// than the reservation.
TEST_F(RealWorld, JvmThreads) {
  Describe(
      "java (OpenJDK 17): 8 threads build maps and strings, System.gc (class compiled by javac)",
      "same stdout and exit code, no warning, files decode and analyze (exact and 256K); the "
      "heap reservation is reserved address space, not heap live");
  REQUIRE_INSTALLED(java, "java", "default-jre-headless");
  REQUIRE_INSTALLED(javac, "javac", "default-jdk-headless");
  const std::string classes = MakeTempDir("jvm-classes");
  ProgramOptions compile;
  compile.preload = false;
  compile.timeout_seconds = 90;
  compile.argv = {javac, "-d", classes, Program("Workload.java")};
  const ProgramResult compiled = RunProgram(compile);
  ASSERT_EQ(compiled.exit_code, 0) << compiled.err;
  Comparison c;
  c.name = "jvm";
  c.timeout_seconds = 90;
  c.argv = [&](const std::string&) {
    return std::vector<std::string>{java, "-Xmx256m", "-cp", classes, "Workload", "20000"};
  };
  c.check_reports = [](const std::vector<analysis::FileReport>& reports) {
    for (const analysis::FileReport& report : reports) {
      double reserved = 0;
      for (const analysis::KindMemory& kind : report.memory_by_kind) {
        if (kind.kind == "reserved") reserved += kind.live_bytes;
      }
      // -Xmx256m: the heap's reservation (256 MiB, less what is committed) and the class space.
      EXPECT_GE(reserved, 128.0 * 1048576) << report.path;
      // What is left as heap and private memory is what the JVM committed, not its reservations.
      EXPECT_LT(report.memory.heap_live_bytes, reserved) << report.path;
    }
  };
  Compare(c);
  RemoveTree(classes);
}

TEST_F(RealWorld, RubyThreads) {
  Describe("ruby 3.1: 6 threads build hashes and strings, a queue, GC", kSameRun);
  REQUIRE_INSTALLED(ruby, "ruby", "ruby");
  Compare({"ruby", [&](const std::string&) {
             return std::vector<std::string>{ruby, Program("threads.rb")};
           }});
}

// A tiny CMake project (a static library and a program) configured and built with make -j2: cmake,
// make, sh, gcc, cc1, as, collect2 and ld all run under the preload; the built program's output and
// every exit code must be those of the bare build.
TEST_F(RealWorld, CmakeMakeBuild) {
  Describe("cmake + make -j2 of a small C project (library and program), then the program runs",
           "same output and exit code, no warning, files of every process decode and analyze "
           "(exact and 256K)");
  REQUIRE_INSTALLED(cmake, "cmake", "cmake");
  REQUIRE_INSTALLED(make, "make", "make");
  REQUIRE_PROGRAM(gcc, "gcc");
  REQUIRE_PROGRAM(sh, "sh");
  Comparison c;
  c.name = "cmake";
  c.single_process = false;  // make runs recipes through sh -c, which exec's
  c.timeout_seconds = 120;
  c.argv = [&](const std::string& work) {
    std::filesystem::create_directories(work + "/src");
    std::ofstream(work + "/src/CMakeLists.txt")
        << "cmake_minimum_required(VERSION 3.13)\nproject(tiny C)\n"
           "add_library(parts STATIC a.c b.c c.c)\nadd_executable(tiny main.c)\n"
           "target_link_libraries(tiny PRIVATE parts)\n";
    const char* names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; ++i) {
      std::ofstream(work + "/src/" + names[i] + ".c")
          << "int part_" << names[i] << "(int x) { int s = 0; for (int i = 0; i < x; ++i) s += i * "
          << (i + 2) << "; return s; }\n";
    }
    std::ofstream(work + "/src/main.c")
        << "#include <stdio.h>\nint part_a(int); int part_b(int); int part_c(int);\n"
           "int main(void) { printf(\"%d %d %d\\n\", part_a(100), part_b(200), part_c(300)); "
           "return 0; }\n";
    const std::string script =
        "set -e; cmake -S \"$1/src\" -B \"$1/build\" >/dev/null; "
        "make -C \"$1/build\" -j2 >/dev/null; \"$1/build/tiny\"";
    return std::vector<std::string>{sh, "-c", script, "sh", work};
  };
  Compare(c);
}

// python3 leaks bytes(20000) per request into a global list and counts requests in
// CLWLEAK_REQUEST_COUNTER_FILE. Requests, not time, are the axis: the rate per request does not
// depend on how fast a shared 2-core machine runs the script, so the tolerance can stay tight.
// Truth per request: malloc(20000 + 33) for the bytes object (CPython 3.11's PyBytesObject header
// and NUL) plus ~8 bytes of list growth: 20,041 bytes.
TEST_F(RealWorld, PythonLeakIntoGlobalList) {
  Describe("python3: leaks bytes(20000) per request into a global list (4,000 requests)",
           "leak found, attributed to the python interpreter, rate within 3% (exact) / 20% "
           "(256K, ~3.5 sd) of 20,041 B per request");
  REQUIRE_PROGRAM(python, "python3");
  constexpr double kTruthPerRequest = 20000 + 33 + 8;
  for (const char* rate : kRates) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const std::string output = MakeTempDir("python-leak");
    ProgramOptions options;
    // 0.3 s of idling after the last request, then a normal exit: the idle and teardown
    // snapshots carry no new request and must not hide or shrink the leak.
    options.argv = {python, Program("leak.py"), "4000", "20000", "0.3"};
    options.timeout_seconds = 90;
    options.env["CLWLEAK_SAMPLE_RATE"] = rate;
    options.env["CLWLEAK_INTERVAL"] = "50ms";
    options.env["CLWLEAK_OUTPUT"] = output + "/%e.%p.pb";
    options.env["CLWLEAK_REQUEST_COUNTER_FILE"] = output + "/requests";
    ProgramResult result = RunProgram(options);
    ASSERT_FALSE(result.timed_out);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err.find("[clwleak]"), std::string::npos) << result.err;
    std::vector<std::string> files = ListFiles(output, "python");
    ASSERT_EQ(files.size(), 1u);

    analysis::AnalysisOptions analysis_options;
    analysis_options.per_requests = 1000;
    analysis::FileReport report;
    std::string error;
    ASSERT_TRUE(analysis::AnalyzeFile(files[0], analysis_options, &report, &error)) << error;
    EXPECT_EQ(report.axis, "requests");
    ASSERT_TRUE(report.leak.detected);
    EXPECT_NE(report.leak.module.find("python"), std::string::npos) << report.leak.module;
    ASSERT_TRUE(report.leak.per_n_requests.has_value());
    const double per_request = report.leak.per_n_requests->value / 1000;
    const double tolerance = std::string(rate) == "1" ? 0.03 : 0.20;
    EXPECT_NEAR(per_request, kTruthPerRequest, tolerance * kTruthPerRequest)
        << "95% CI per request " << report.leak.per_n_requests->lo / 1000 << ".."
        << report.leak.per_n_requests->hi / 1000;
    std::ostringstream note;
    note.precision(5);
    note << "rate " << rate << ": " << per_request << " B/request ("
         << 100 * (per_request / kTruthPerRequest - 1) << "%) in " << report.leak.module;
    Note(note.str());
    if (!HasFailure()) RemoveTree(output);
  }
}

// redis-server (its own jemalloc inside, so the preload mostly sees libc's and the loader's
// allocations) on a free loopback port, driven by redis-benchmark with a bounded request count.
// The benchmark's timings differ from run to run; what must not differ is the data it leaves.
class Redis : public RecordedTest {
 protected:
  struct Outcome {
    bool ok = false;
    std::string data;  // redis-cli's answers about the data after the benchmark
    int server_exit = -1;
    std::string server_err;
  };

  Outcome Run(const std::string& server, const std::string& benchmark, const std::string& cli,
              const std::vector<std::string>& preload_env) {
    Outcome outcome;
    const int port = FreeLoopbackPort();
    const std::string work = MakeTempDir("redis");
    pid_t pid =
        SpawnLogged({server, "--bind", "127.0.0.1", "--port", std::to_string(port), "--save", "",
                     "--appendonly", "no", "--dir", work, "--daemonize", "no"},
                    preload_env, work + "/server.log");
    if (pid < 0) return outcome;
    if (!WaitForPort(port, 15)) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      outcome.server_err = ReadFileBytes(work + "/server.log");
      return outcome;
    }
    ProgramOptions bench;
    bench.preload = false;
    bench.timeout_seconds = 60;
    bench.argv = {benchmark, "-h", "127.0.0.1", "-p", std::to_string(port), "-n", "20000", "-c", "8",
                  "-q", "-t", "set,get,incr,lpush,rpush,sadd,hset"};
    ProgramResult load = RunProgram(bench);
    ProgramOptions query = bench;
    for (const char* command :
         {"dbsize", "get counter:__rand_int__", "llen mylist", "scard myset:__rand_int__"}) {
      std::istringstream words(command);
      query.argv = {cli, "-h", "127.0.0.1", "-p", std::to_string(port)};
      for (std::string word; words >> word;) query.argv.push_back(word);
      outcome.data += std::string(command) + " -> " + RunProgram(query).out;
    }
    query.argv = {cli, "-h", "127.0.0.1", "-p", std::to_string(port), "shutdown", "nosave"};
    RunProgram(query);
    outcome.server_exit = WaitForExit(pid, 20);
    outcome.server_err = ReadFileBytes(work + "/server.log");
    outcome.ok = !load.timed_out && load.exit_code == 0;
    RemoveTree(work);
    return outcome;
  }
};

TEST_F(Redis, ServerUnderBenchmark) {
  Describe("redis-server on 127.0.0.1 (free port), redis-benchmark -n 20000 x 7 commands",
           "benchmark succeeds, same data afterwards (dbsize, counters, list length), clean "
           "shutdown exit 0, no warning, files decode and analyze (exact and 256K)");
  REQUIRE_PROGRAM(server, "redis-server");
  REQUIRE_PROGRAM(benchmark, "redis-benchmark");
  REQUIRE_PROGRAM(cli, "redis-cli");
  Outcome expected = Run(server, benchmark, cli, {});
  ASSERT_TRUE(expected.ok) << expected.server_err;
  for (const char* rate : kRates) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const std::string output = MakeTempDir("redis-out");
    Outcome outcome = Run(server, benchmark, cli,
                          {std::string("LD_PRELOAD=") + CLWLEAK_PRELOAD_PATH,
                           std::string("CLWLEAK_SAMPLE_RATE=") + rate, "CLWLEAK_INTERVAL=200ms",
                           "CLWLEAK_OUTPUT=" + output + "/%e.%p.pb"});
    EXPECT_TRUE(outcome.ok) << outcome.server_err;
    EXPECT_EQ(outcome.data, expected.data);
    EXPECT_EQ(outcome.server_exit, expected.server_exit) << outcome.server_err;
    EXPECT_EQ(outcome.server_err.find("[clwleak]"), std::string::npos) << outcome.server_err;
    EXPECT_EQ(ExpectReadableSnapshots(output, true), 1u);
    if (!HasFailure()) RemoveTree(output);
  }
}

}  // namespace
}  // namespace clwleak::testing
