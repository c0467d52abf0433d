// libFuzzer target over the analyzer: the bytes are written to a temporary file, then read by
// ReadWholeFile and analysed by AnalyzeFile (with and without a request rate), the two entry points
// that files from the field reach. Built with clang -fsanitize=fuzzer,address,undefined when
// CLWLEAK_FUZZ=ON (scripts/test's fuzz step); the same entry point, linked with
// replay_main.cc, replays the seed corpus and the regression inputs in every normal ctest run.
// Reading a file must never make protobuf log (its text fields are `bytes`): a protobuf message is
// a finding, reported as such, and stderr otherwise stays empty.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "analysis.h"
#include "protobuf_messages.h"
#include "snapshot_reader.h"

namespace {

// One temporary file per process, rewritten for every input.
const std::string& ScratchPath() {
  static const std::string path = [] {
    const char* root = getenv("TMPDIR");
    std::string pattern = std::string(root != nullptr && *root != '\0' ? root : "/tmp") +
                          "/clwleak-fuzz-XXXXXX";
    int fd = mkstemp(pattern.data());
    if (fd >= 0) close(fd);
    return pattern;
  }();
  return path;
}

bool WriteAll(const std::string& path, const uint8_t* data, size_t size) {
  FILE* file = fopen(path.c_str(), "wb");
  if (file == nullptr) return false;
  bool ok = size == 0 || fwrite(data, 1, size, file) == size;
  return fclose(file) == 0 && ok;
}

void ProtobufMessageIsAFinding(const std::string& text, bool /*fatal*/) {
  std::fprintf(stderr, "protobuf logged while an input was read: %s\n", text.c_str());
  abort();
}

// Before the first input, in the libFuzzer binary and in the replay alike.
[[maybe_unused]] const bool g_protobuf_messages_routed = [] {
  clwleak::analysis::RouteProtobufMessages(&ProtobufMessageIsAFinding);
  return true;
}();

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = ScratchPath();
  if (!WriteAll(path, data, size)) abort();

  clwleak::analysis::WholeFile whole = clwleak::analysis::ReadWholeFile(path);
  if (whole.opened && whole.end == clwleak::analysis::ReadStatus::kError && whole.error.empty()) {
    abort();  // every error names what is wrong
  }

  for (bool with_rate : {false, true}) {
    clwleak::analysis::AnalysisOptions options;
    if (with_rate) options.request_rate = 100;
    clwleak::analysis::FileReport report;
    std::string error;
    if (clwleak::analysis::AnalyzeFile(path, options, &report, &error)) {
      clwleak::analysis::Aggregate({report, report}, options.per_requests);
      for (const clwleak::analysis::SiteReport& site : report.sites) {
        clwleak::analysis::DescribeSite(site);
      }
    } else if (error.empty()) {
      abort();
    }
  }
  return 0;
}
