// The words of the memory held, the post-mortem headline and the cause of memory pressure, for
// the text report (and any format that prints sentences). Pure functions over the report model;
// called by text_report.cc.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "oom_cause.h"
#include "report.h"
#include "terminal.h"

namespace clwleak::cli {

// "killed" words for an ending: "no final snapshot: the process was killed (SIGKILL, e.g. the OOM
// killer: exit 137) or is still running".
std::string EndingPhrase(analysis::Ending ending);

// Stable names, as the JSON report writes them.
std::string EndingName(analysis::Ending ending);
std::string OomCauseName(analysis::OomCause cause);

// The cause in one line ("large task payloads: largest allocation 100 MiB in load_full_payload
// ...") and what to do about it in one line; "" for OomCause::kNone.
std::string OomCauseText(const analysis::FileReport& file);
std::string OomCauseFix(analysis::OomCause cause);

// "[clw] ..." lines that open the report of a process that did not exit normally: how it ended,
// how close to the limit it was at its last snapshot, what grew in the final stretch, what held
// the memory, and the cause with its fix. Nothing for a process that exited normally.
void WritePostMortemHeadline(std::ostringstream& out, const Painter& paint,
                             const analysis::FileReport& file);

// The "[clw] Cause:" and "[clw] Fix:" lines for a process that exited normally (the post-mortem
// headline has them otherwise); nothing when there is no cause.
void WriteCauseLines(std::ostringstream& out, const Painter& paint,
                     const analysis::FileReport& file);

// The "Memory held at the end / at the peak" sections, by stack and module.
void WriteHeldSections(std::ostringstream& out, const Painter& paint,
                       const analysis::FileReport& file);

}  // namespace clwleak::cli
