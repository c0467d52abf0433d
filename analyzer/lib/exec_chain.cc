// Linking the files of an exec chain; see exec_chain.h.
#include "exec_chain.h"

namespace clwleak::analysis {
namespace {

std::string FileName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<ExecEnding> ExecEndingOf(const proto::Snapshot& last) {
  if (last.trigger() != "exec") return std::nullopt;
  ExecEnding ending;
  ending.program = last.exec_program();
  return ending;
}

void LinkExecChains(std::vector<FileReport>* files) {
  for (FileReport& file : *files) {
    if (!file.exec_ending) continue;
    for (const FileReport& next : *files) {
      if (&next != &file && next.pid == file.pid && !next.previous_file.empty() &&
          FileName(next.previous_file) == FileName(file.path)) {
        file.exec_ending->continued_in = next.path;
        break;
      }
    }
  }
}

}  // namespace clwleak::analysis
