// Suppressions: known leaks excused from the report's totals and from the gates, written as
// LeakSanitizer writes them, one `leak:PATTERN` per line:
//   # a comment; blank lines are ignored
//   leak:libthirdparty.so        a module (matched against its file name and path)
//   leak:ThirdParty::Cache::*    a function (demangled name as the report shows it)
//   leak:vendor/parser.c         a source file
// A pattern matches when it occurs anywhere in a frame's function, source file or module, as in
// LSan: `*` matches any run of characters, a leading `^` anchors it at the start and a trailing
// `$` at the end. A stack is suppressed when any of its frames matches.
// Read by clw-leak-analyze (--suppressions FILE, else ./.clwleak-suppressions when it exists);
// applied by AnalyzeFile to the sites classified leak or inconclusive. Pure; thread-safe once read.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace clwleak::analysis {

struct SuppressionRule {
  std::string pattern;  // as written after "leak:"
  std::string source;   // "FILE:LINE", for the report
};

struct Suppressions {
  std::vector<SuppressionRule> rules;
  bool empty() const { return rules.empty(); }
};

// The default file looked up in the working directory.
inline constexpr const char* kDefaultSuppressionsFile = ".clwleak-suppressions";

// Reads `path` and appends its rules to *suppressions. False with *error ("FILE:LINE: ...") on an
// unreadable file or a line that is not a comment, blank or `leak:PATTERN`.
bool ReadSuppressions(const std::string& path, Suppressions* suppressions, std::string* error);

// Parses text already read (`origin` names it in errors and in SuppressionRule::source).
bool ParseSuppressions(const std::string& text, const std::string& origin,
                       Suppressions* suppressions, std::string* error);

// True when LSan's `pattern` matches `text` (substring, `*`, `^`, `$`).
bool SuppressionPatternMatches(const std::string& pattern, const std::string& text);

// The first rule that matches a frame of `frames`, or null.
const SuppressionRule* MatchSuppression(const Suppressions& suppressions,
                                        const std::vector<FrameReport>& frames);

}  // namespace clwleak::analysis
