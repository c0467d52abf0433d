// The folded-stack report of clw-leak-analyze (`--format folded`), the input of flamegraph.pl,
// inferno and speedscope: one line per leaking stack, `root;caller;...;allocator value`, frames
// root first. The value is the stack's leak in whole bytes per --per requests (per hour when the
// file has no request counts and no --request-rate); only `leak` sites are listed, so a run that
// does not leak gives an empty report. With several files the stacks are the fleet's, pooled as in
// the aggregate. Called by main.cc.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace clwleak::cli {

// A frame's name in a folded line: the function, else `module+0xoffset`, else `[unknown]`, with
// host bytes escaped (EscapeBytes, byte_escape.h: valid UTF-8, no newline or other control
// character) and the format's frame separator ';' replaced by ':', so each frame stays one field.
std::string FoldedFrameName(const analysis::FrameReport& frame);

// One line of the folded report: frame names root first, and the whole-byte value.
struct FoldedStack {
  std::vector<std::string> frames;  // root first; ["[no frames]"] for a stack without frames
  long long value = 0;              // > 0
};

// The stacks of RenderFolded, in its order; the HTML report's flame graph draws the same ones.
std::vector<FoldedStack> FoldedStacks(const std::vector<analysis::FileReport>& files,
                                      const analysis::AggregateReport* aggregate);

std::string RenderFolded(const std::vector<analysis::FileReport>& files,
                         const analysis::AggregateReport* aggregate);

}  // namespace clwleak::cli
