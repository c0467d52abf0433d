// What clw-leak-analyze says about input it cannot use: a file that is not a snapshot file names
// what it looks like (text, gzip, ELF, a directory, empty), a file cut inside its header says so
// once, '-' is refused with what to do instead, and --format html refuses to fill a terminal.
// Each with exit 2 and the whole message quoted.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::RunAnalyzer;
using testing::RunShell;
using testing::ShellQuote;
using testing::Slurp;
using testing::TempPath;
using testing::WorkerFile;

std::string WriteFile(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

void ExpectRefused(const std::vector<std::string>& args, const std::string& message) {
  CommandRun run = RunAnalyzer(args);
  EXPECT_EQ(run.exit_code, 2) << message;
  EXPECT_EQ(run.err, "clw-leak-analyze: " + message + "\n");
  EXPECT_EQ(run.out, "");
}

const char kNotSnapshot[] =
    ": not a clwleak snapshot file (those are zstd-compressed, starting 28 b5 2f fd): this looks "
    "like ";

TEST(InputErrors, NotASnapshotFileSaysWhatItLooksLike) {
  const std::string text = WriteFile("notes.pb", "hello world\nsecond line\n");
  ExpectRefused({text}, text + kNotSnapshot + "text, starting \"hello world\"");
  const std::string json = WriteFile("report.json", "  {\"schema\": \"clwleak-report/1\"}");
  ExpectRefused({json}, json + kNotSnapshot + "JSON or other text, starting \"{\"schema\": "
                                              "\"clwleak-report/1\"}\"");
  const std::string report = WriteFile("report.txt", "[clw] Native memory leak detected in x\n");
  ExpectRefused({report}, report + kNotSnapshot +
                              "a clw-leak-analyze text report, starting \"[clw] Native memory "
                              "leak detecte\"");
  const std::string gzip = WriteFile("profile.pb.gz", std::string("\x1f\x8b\x08\x00\x00\x00", 6));
  ExpectRefused({gzip}, gzip + kNotSnapshot +
                            "gzip data (a .gz file, e.g. a pprof profile from --format pprof or go "
                            "tool pprof)");
  ExpectRefused({"/bin/sh"}, "/bin/sh" + std::string(kNotSnapshot) +
                                 "an ELF executable or shared library");
  const std::string binary = WriteFile("random.pb", std::string("\x8e\x3a\x01\xff\x00\x10\x20\x30\x40", 9));
  ExpectRefused({binary}, binary + kNotSnapshot +
                              "binary data of an unknown kind (first bytes 8e 3a 01 ff 00 10 20 30)");
  const std::string directory = TempPath("a_directory");
  RunShell("mkdir -p " + ShellQuote(directory));
  ExpectRefused({directory}, directory + ": is a directory, not a clwleak snapshot file");
  const std::string empty = WriteFile("empty.pb", "");
  ExpectRefused({empty}, empty + ": empty file, not a clwleak snapshot file");
}

TEST(InputErrors, FileCutInsideItsHeaderIsSaidOnce) {
  const std::string whole = Slurp(WorkerFile());
  for (size_t keep : {5, 7, 12}) {
    const std::string cut = WriteFile("cut_" + std::to_string(keep) + ".pb", whole.substr(0, keep));
    ExpectRefused({cut}, cut + ": the file ends inside its header, after " + std::to_string(keep) +
                             " bytes: the writer did not finish it (the process died at start-up, "
                             "or the file was cut)");
  }
}

TEST(InputErrors, DashIsRefusedWithWhatToDo) {
  CommandRun run = RunAnalyzer({"-"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "clw-leak-analyze: '-': standard input cannot be read: the analyzer reads a file more "
            "than once; save the stream to a file first (e.g. ssh host cat clwleak.pb > run.pb), "
            "or name a file called '-' as ./-\nTry 'clw-leak-analyze --help'.\n");
  EXPECT_EQ(run.out, "");
}

#ifdef PTY_RUN
TEST(InputErrors, HtmlRefusesToFillATerminal) {
  const std::string out = TempPath("html_tty_out"), err = TempPath("html_tty_err");
  CommandRun run = RunShell("python3 " + ShellQuote(PTY_RUN) + " stdout " + ShellQuote(out) + " " +
                            ShellQuote(err) + " -- " + ShellQuote(CLW_LEAK_ANALYZE) +
                            " --format html " + ShellQuote(WorkerFile()));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(Slurp(out), "");
  const std::string message = Slurp(err);
  EXPECT_TRUE(message == "clw-leak-analyze: --format html writes a whole web page: give -o PATH "
                         "(e.g. -o report.html), or redirect standard output to a file\n" ||
              message.find("has no HTML report") != std::string::npos)
      << message;
  // Redirected, the page is written as before (when this build has the HTML report).
  CommandRun redirected = RunAnalyzer({"--format", "html", WorkerFile()});
  if (redirected.exit_code == 0) {
    EXPECT_NE(redirected.out.find("<html"), std::string::npos);
  }
}
#endif

}  // namespace
}  // namespace clwleak
