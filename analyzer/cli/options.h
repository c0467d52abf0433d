// Command-line options of clw-leak-analyze (DESIGN.md, "The analyzer"): parsing and the --help
// text. Called by main.cc only.
#pragma once

#include <string>
#include <vector>

#include "analysis.h"
#include "gates.h"
#include "terminal.h"

namespace clwleak::cli {

struct CliOptions {
  std::vector<std::string> files;
  analysis::AnalysisOptions analysis;
  analysis::GateOptions gates;
  std::string baseline;  // --baseline FILE
  std::vector<std::string> suppression_files;  // --suppressions FILE (repeatable)
  bool default_suppressions = true;            // --no-default-suppressions: false
  std::string format = "text";
  std::string output;    // -o PATH; empty = stdout
  ColorMode color = ColorMode::kAuto;  // --color
  bool help = false;
  bool version = false;
};

// Returns false with *error set to a one-line message on a usage error.
bool ParseCommandLine(int argc, const char* const* argv, CliOptions* options, std::string* error);

std::string UsageText();

}  // namespace clwleak::cli
