// LSan-style leak suppressions; see suppressions.h.
#include "suppressions.h"

#include <fstream>
#include <sstream>

namespace clwleak::analysis {
namespace {

std::string Trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// Glob match of `pattern` (only `*` is special) against the whole of `text`, iteratively with
// backtracking to the last star: linear in practice, never exponential.
bool GlobMatchesWhole(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool SuppressionPatternMatches(const std::string& pattern, const std::string& text) {
  if (pattern.empty() || text.empty()) return false;
  std::string body = pattern;
  const bool anchored_start = body.front() == '^';
  if (anchored_start) body.erase(0, 1);
  const bool anchored_end = !body.empty() && body.back() == '$';
  if (anchored_end) body.pop_back();
  // Unanchored ends match anything around the pattern, as in LSan's TemplateMatch.
  const std::string glob = (anchored_start ? "" : "*") + body + (anchored_end ? "" : "*");
  return GlobMatchesWhole(glob, text);
}

bool ParseSuppressions(const std::string& text, const std::string& origin,
                       Suppressions* suppressions, std::string* error) {
  std::istringstream lines(text);
  std::string raw;
  size_t number = 0;
  while (std::getline(lines, raw)) {
    ++number;
    const std::string line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = origin + ":" + std::to_string(number);
    const size_t colon = line.find(':');
    const std::string type = colon == std::string::npos ? "" : Trim(line.substr(0, colon));
    if (type != "leak") {
      *error = where + ": '" + line +
               "' is not a leak suppression (write leak:PATTERN, with a function, source file or "
               "module; # starts a comment)";
      return false;
    }
    const std::string pattern = Trim(line.substr(colon + 1));
    if (pattern.empty() || pattern == "^" || pattern == "$" || pattern == "^$") {
      *error = where + ": 'leak:' needs a pattern (a function, source file or module)";
      return false;
    }
    bool only_stars = true;
    for (char c : pattern) only_stars = only_stars && (c == '*' || c == '^' || c == '$');
    if (only_stars) {
      *error = where + ": 'leak:" + pattern + "' would suppress every leak; name a function, "
               "source file or module";
      return false;
    }
    suppressions->rules.push_back({pattern, where});
  }
  return true;
}

bool ReadSuppressions(const std::string& path, Suppressions* suppressions, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read the suppressions file";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    *error = path + ": cannot read the suppressions file";
    return false;
  }
  return ParseSuppressions(text.str(), path, suppressions, error);
}

const SuppressionRule* MatchSuppression(const Suppressions& suppressions,
                                        const std::vector<FrameReport>& frames) {
  for (const SuppressionRule& rule : suppressions.rules) {
    for (const FrameReport& frame : frames) {
      if (SuppressionPatternMatches(rule.pattern, frame.function) ||
          SuppressionPatternMatches(rule.pattern, frame.file) ||
          SuppressionPatternMatches(rule.pattern, frame.module) ||
          SuppressionPatternMatches(rule.pattern, frame.module_path)) {
        return &rule;
      }
    }
  }
  return nullptr;
}

}  // namespace clwleak::analysis
