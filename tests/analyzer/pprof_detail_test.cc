// pprof detail: every sample carries the process (pid, exe, host labels) and a numeric `bytes`
// label (the mean block size), read back with profile.proto and with `go tool pprof -traces` and
// `-lines`; on a file the preload really wrote, each mapping is the module's executable segment
// with the file offset and build id of the binary on disk (checked against its ELF headers).
#include <elf.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "cli_runner.h"
#include "profile.pb.h"
#include "program_runner.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::OnPath;
using testing::RunAnalyzer;
using testing::Slurp;
using testing::TempPath;
using testing::WorkerFile;

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[1 << 16];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return out;
}

perftools::profiles::Profile ReadProfile(const std::string& path) {
  perftools::profiles::Profile profile;
  EXPECT_TRUE(profile.ParseFromString(Gunzip(Slurp(path))));
  return profile;
}

TEST(PprofDetail, EverySampleCarriesTheProcessAndItsBlockSize) {
  const std::string output = TempPath("detail.pb.gz");
  ASSERT_EQ(RunAnalyzer({"--format", "pprof", "-o", output, WorkerFile()}).exit_code, 0);
  const perftools::profiles::Profile profile = ReadProfile(output);
  auto str = [&](int64_t index) { return profile.string_table(static_cast<int>(index)); };
  ASSERT_GT(profile.sample_size(), 0);
  bool saw_leak = false;
  for (const auto& sample : profile.sample()) {
    std::map<std::string, std::string> labels;
    std::map<std::string, std::pair<int64_t, std::string>> numbers;
    for (const auto& label : sample.label()) {
      if (label.str() != 0) labels[str(label.key())] = str(label.str());
      else numbers[str(label.key())] = {label.num(), str(label.num_unit())};
    }
    EXPECT_EQ(labels["pid"], "4242");
    EXPECT_EQ(labels["exe"], "/usr/bin/clw-worker");
    EXPECT_EQ(labels["host"], "testhost");
    ASSERT_EQ(numbers.count("bytes"), 1u);
    EXPECT_EQ(numbers["bytes"].second, "bytes");
    EXPECT_EQ(numbers["bytes"].first, sample.value(2) > 0
                                          ? std::llround(double(sample.value(1)) / sample.value(2))
                                          : std::llround(double(sample.value(3)) / sample.value(4)));
    if (labels["classification"] == "leak") {
      saw_leak = true;
      EXPECT_EQ(numbers["bytes"].first, 2067);  // 6,200 B per request in 3 blocks
    }
  }
  EXPECT_TRUE(saw_leak);

  if (!OnPath("go")) GTEST_SKIP() << "go not installed (golang-go): go tool pprof not run";
  CommandRun traces = testing::RunProgram("go", {"tool", "pprof", "-symbolize=none", "-traces", output});
  ASSERT_EQ(traces.exit_code, 0) << traces.err;
  EXPECT_TRUE(std::regex_search(
      traces.out, std::regex("pid: +4242\\n(.*\\n)*? +host: +testhost\\n(.*\\n)*? +bytes: +2\\.02kB\\n +"
                             "5\\.91MB +malloc\\n +client_send\\n +client_call")))
      << traces.out;
  EXPECT_NE(traces.out.find("exe:  /usr/bin/clw-worker"), std::string::npos) << traces.out;
  CommandRun lines = testing::RunProgram(
      "go", {"tool", "pprof", "-symbolize=none", "-lines", "-top", output});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_TRUE(std::regex_search(lines.out, std::regex("5\\.91MB .* client_send client\\.c:42")))
      << lines.out;
  CommandRun tagged = testing::RunProgram(
      "go", {"tool", "pprof", "-symbolize=none", "-tagfocus=bytes=2kB:3kB", "-top", output});
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  EXPECT_TRUE(std::regex_search(tagged.out, std::regex("5\\.91MB .*client_send"))) << tagged.out;
}

#ifdef REQUEST_LEAKER
// The executable segment of the ELF file at `path`: its p_offset and p_memsz (64-bit ELF).
bool TextSegment(const std::string& path, uint64_t* offset, uint64_t* size) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header)) return false;
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment)) return false;
    if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X) != 0) {
      *offset = segment.p_offset;
      *size = segment.p_memsz;
      return true;
    }
  }
  return false;
}

TEST(PprofDetail, MappingsAreTheExecutableSegmentsOfTheBinaries) {
  const std::string directory = testing::MakeTempDir("pprof_detail");
  testing::ProgramOptions options;
  options.argv = {REQUEST_LEAKER, "2000", "2000"};
  options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"}, {"CLWLEAK_SAMPLE_RATE", "1"}};
  testing::ProgramResult result = testing::RunProgram(options);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> files = testing::ListFiles(directory);
  ASSERT_EQ(files.size(), 1u);
  const std::string output = directory + "/real.pb.gz";
  CommandRun run = RunAnalyzer({"--format", "pprof", "-o", output, files[0]});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const perftools::profiles::Profile profile = ReadProfile(output);
  auto str = [&](int64_t index) { return profile.string_table(static_cast<int>(index)); };
  int checked = 0, nonzero_offsets = 0;
  for (const auto& mapping : profile.mapping()) {
    const std::string path = str(mapping.filename());
    uint64_t offset = 0, size = 0;
    if (path.empty() || !TextSegment(path, &offset, &size)) continue;
    SCOPED_TRACE(path);
    EXPECT_EQ(mapping.file_offset(), offset);
    EXPECT_EQ(mapping.memory_limit() - mapping.memory_start(), size);
    EXPECT_EQ(str(mapping.build_id()).size(), 40u);  // Debian's binaries carry GNU build ids
    ++checked;
    nonzero_offsets += offset != 0 ? 1 : 0;
  }
  EXPECT_GE(checked, 3) << "the program, libleaky.so and libc at least";
  EXPECT_GE(nonzero_offsets, 1) << "libc's text segment is not at offset 0";
  // Every location lies inside its mapping.
  std::map<uint64_t, const perftools::profiles::Mapping*> mappings;
  for (const auto& mapping : profile.mapping()) mappings[mapping.id()] = &mapping;
  for (const auto& location : profile.location()) {
    if (location.mapping_id() == 0) continue;
    const auto* mapping = mappings.at(location.mapping_id());
    EXPECT_GE(location.address(), mapping->memory_start()) << str(mapping->filename());
    EXPECT_LT(location.address(), mapping->memory_limit()) << str(mapping->filename());
  }
}
#endif

#ifdef INLINE_LEAKER
// Inner (the malloc call) inlined into Middle, Middle into Leak: one location of three lines,
// innermost first, each at its line; go tool pprof shows the chain in -traces and -lines.
TEST(PprofDetail, InlinedFramesAreLinesOfOneLocation) {
  for (const char* rate : {"1", "4Ki"}) {
    SCOPED_TRACE(std::string("CLWLEAK_SAMPLE_RATE=") + rate);
    const std::string directory = testing::MakeTempDir("pprof_inline");
    testing::ProgramOptions options;
    options.argv = {INLINE_LEAKER, "2000"};
    options.env = {{"CLWLEAK_OUTPUT", directory + "/%e.%p.pb"}, {"CLWLEAK_SAMPLE_RATE", rate}};
    testing::ProgramResult result = testing::RunProgram(options);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const int inner_line = static_cast<int>(testing::ValueOf(result.out, "inner_line"));
    const int middle_line = static_cast<int>(testing::ValueOf(result.out, "middle_line"));
    const int leak_line = static_cast<int>(testing::ValueOf(result.out, "leak_line"));
    const std::vector<std::string> files = testing::ListFiles(directory);
    ASSERT_EQ(files.size(), 1u);
    const std::string output = directory + "/inline.pb.gz";
    CommandRun run = RunAnalyzer({"--format", "pprof", "-o", output, files[0]});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const perftools::profiles::Profile profile = ReadProfile(output);
    auto str = [&](int64_t index) { return profile.string_table(static_cast<int>(index)); };
    std::map<uint64_t, const perftools::profiles::Function*> functions;
    for (const auto& function : profile.function()) functions[function.id()] = &function;
    const perftools::profiles::Location* found = nullptr;
    for (const auto& location : profile.location()) {
      if (location.line_size() == 3 &&
          str(functions.at(location.line(2).function_id())->name()).find("Leak") !=
              std::string::npos) {
        found = &location;
      }
    }
    ASSERT_NE(found, nullptr) << "no location with Inner and Middle inlined into Leak";
    auto name = [&](int i) { return str(functions.at(found->line(i).function_id())->name()); };
    auto file = [&](int i) { return str(functions.at(found->line(i).function_id())->filename()); };
    EXPECT_NE(name(0).find("Inner"), std::string::npos) << name(0);
    EXPECT_NE(name(1).find("Middle"), std::string::npos) << name(1);
    EXPECT_EQ(found->line(0).line(), inner_line);
    EXPECT_EQ(found->line(1).line(), middle_line);
    EXPECT_EQ(found->line(2).line(), leak_line);
    for (int i = 0; i < 3; ++i) EXPECT_NE(file(i).find("inline_leaker.cc"), std::string::npos);

    if (!OnPath("go")) continue;
    CommandRun traces = testing::RunProgram(
        "go", {"tool", "pprof", "-symbolize=none", "-sample_index=inuse_space", "-traces", output});
    ASSERT_EQ(traces.exit_code, 0) << traces.err;
    EXPECT_TRUE(std::regex_search(
        traces.out, std::regex(" +Inner[^\\n]*\\n +[^\\n]*Middle[^\\n]*\\n +[^\\n]*Leak[^\\n]*\\n +"
                               "main")))
        << traces.out;
    CommandRun lines = testing::RunProgram(
        "go", {"tool", "pprof", "-symbolize=none", "-sample_index=inuse_space", "-lines",
               "-traces", output});
    ASSERT_EQ(lines.exit_code, 0) << lines.err;
    EXPECT_TRUE(std::regex_search(
        lines.out,
        std::regex("Inner [^\\n]*inline_leaker\\.cc:" + std::to_string(inner_line) +
                   " \\(inline\\)\\n +Middle [^\\n]*inline_leaker\\.cc:" +
                   std::to_string(middle_line) + " \\(inline\\)\\n +[^\\n]*Leak[^\\n]* [^\\n]*" +
                   "inline_leaker\\.cc:" + std::to_string(leak_line) + "\\n")))
        << lines.out;
  }
}
#endif

}  // namespace
}  // namespace clwleak
