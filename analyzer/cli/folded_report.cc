// The folded-stack report; see folded_report.h.
#include "folded_report.h"

#include <cmath>
#include <cstdio>

#include "byte_escape.h"

namespace clwleak::cli {
namespace {

// The value of one leaking site: bytes per N requests when known, else bytes per hour.
std::optional<double> LeakValue(const analysis::SiteReport& site) {
  if (site.per_n_requests) return site.per_n_requests->value;
  if (site.per_hour) return site.per_hour->value;
  return std::nullopt;
}

void AddStack(const analysis::SiteReport& site, double value, std::vector<FoldedStack>* out) {
  FoldedStack stack;
  stack.value = std::llround(value);
  if (stack.value <= 0) return;  // flame graphs draw nothing for zero; keep the file clean
  for (auto frame = site.frames.rbegin(); frame != site.frames.rend(); ++frame) {
    stack.frames.push_back(FoldedFrameName(*frame));
  }
  if (stack.frames.empty()) stack.frames.push_back("[no frames]");
  out->push_back(std::move(stack));
}

}  // namespace

std::string FoldedFrameName(const analysis::FrameReport& frame) {
  std::string name;
  if (!frame.function.empty()) {
    name = frame.function;
  } else if (!frame.module.empty()) {
    char offset[32];
    std::snprintf(offset, sizeof offset, "+0x%llx",
                  static_cast<unsigned long long>(frame.module_offset));
    name = frame.module + offset;
  } else {
    name = "[unknown]";
  }
  name = EscapeBytes(name);
  for (char& c : name) {
    if (c == ';') c = ':';
  }
  return name;
}

std::vector<FoldedStack> FoldedStacks(const std::vector<analysis::FileReport>& files,
                                      const analysis::AggregateReport* aggregate) {
  std::vector<FoldedStack> stacks;
  if (aggregate != nullptr) {
    for (const analysis::AggregateSite& site : aggregate->sites) {
      if (site.classification != analysis::Classification::kLeak) continue;
      if (std::optional<double> value = LeakValue(site.site)) AddStack(site.site, *value, &stacks);
    }
    return stacks;
  }
  for (const analysis::FileReport& file : files) {
    for (const analysis::SiteReport& site : file.sites) {
      if (site.classification != analysis::Classification::kLeak) continue;
      if (std::optional<double> value = LeakValue(site)) AddStack(site, *value, &stacks);
    }
  }
  return stacks;
}

std::string RenderFolded(const std::vector<analysis::FileReport>& files,
                         const analysis::AggregateReport* aggregate) {
  std::string out;
  for (const FoldedStack& stack : FoldedStacks(files, aggregate)) {
    std::string line;
    for (const std::string& frame : stack.frames) line += (line.empty() ? "" : ";") + frame;
    out += line + " " + std::to_string(stack.value) + "\n";
  }
  return out;
}

}  // namespace clwleak::cli
