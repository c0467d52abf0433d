// The text report of clw-leak-analyze: the three answers first, in the operators' words
// ("[clw] Native memory leak detected in libclient.so"), then leaking sites, leaks per module,
// bounded growth and the run's facts; for several files one such report each plus the aggregate.
// With `color`, headlines, section titles and sites carry ANSI styles (terminal.h); without, the
// text has no escape sequence at all. Called by main.cc.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace clwleak::cli {

// `skipped`: the files of the batch that could not be read, listed after the reports.
std::string RenderText(const std::vector<analysis::FileReport>& files,
                       const analysis::AggregateReport* aggregate,
                       const analysis::GateReport& gate, bool color = false,
                       const std::vector<analysis::SkippedFile>& skipped = {});

}  // namespace clwleak::cli
