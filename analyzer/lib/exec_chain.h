// ExecChain: files of one process that replaced its image by exec. An image's last snapshot has
// trigger "exec" (and the program it exec'd); the new image's header names the file before it
// (previous_file). Used by the analysis to say "replaced by exec" instead of "unfinished", and by
// the CLI to link each such file to its successor among the files it was given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "clwleak.pb.h"
#include "report.h"

namespace clwleak::analysis {

// The exec ending of a file whose last snapshot is `last`, or nothing when it did not end by exec.
std::optional<ExecEnding> ExecEndingOf(const proto::Snapshot& last);

// Sets continued_in of every file that ended by exec to the path of the file (among `files`) whose
// previous_file names it: same pid, and the same file name (the directories may be written
// differently, e.g. relative to another working directory).
void LinkExecChains(std::vector<FileReport>* files);

}  // namespace clwleak::analysis
