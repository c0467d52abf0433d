// The JUnit XML report of clw-leak-analyze (`--format junit -o leaks.xml`), for CI systems that
// show test results (GitHub Actions reporters, GitLab's junit artifacts, Jenkins). One testsuite
// "clwleak.gates"; one testcase per requested gate and input file, named after the gate and its
// limit; a failed gate is a <failure type="clwleak.LeakGate"> whose message is the gate's line
// (limit, measured value and interval, file, top site) and whose body lists them with the top
// leaking site's stack; an inconclusive gate is a <failure type="clwleak.Inconclusive"> (a passing
// testcase with --inconclusive=pass). With no gate requested there is one passing testcase, "no
// gate configured", that carries the leak rate and the verdict. Which gates failed is decided by
// analysis::EvaluateGates (the same decision as the exit code); this file only lays it out.
// Called by main.cc.
#pragma once

#include <string>
#include <vector>

#include "gates.h"
#include "report.h"

namespace clwleak::cli {

std::string RenderJunit(const std::vector<analysis::FileReport>& files,
                        const analysis::GateReport& gate);

// Escapes host bytes with EscapeBytes (byte_escape.h), which leaves only characters XML 1.0 can
// carry, then & < > " ' for XML. An attribute value (`attribute`) is one line: every control
// character is escaped, since a parser would normalise a newline or tab to a space; character
// data keeps the newlines and tabs the report laid it out with.
std::string EscapeXml(const std::string& text, bool attribute = true);

}  // namespace clwleak::cli
