// The folded-stack report; see folded_report.h.
#include "folded_report.h"

#include <cmath>
#include <cstdio>

namespace clwleak::cli {
namespace {

// The value of one leaking site: bytes per N requests when known, else bytes per hour.
std::optional<double> LeakValue(const analysis::SiteReport& site) {
  if (site.per_n_requests) return site.per_n_requests->value;
  if (site.per_hour) return site.per_hour->value;
  return std::nullopt;
}

void AppendLine(const analysis::SiteReport& site, double value, std::string* out) {
  const long long rounded = std::llround(value);
  if (rounded <= 0) return;  // flame graphs draw nothing for zero; keep the file clean
  std::string line;
  for (auto frame = site.frames.rbegin(); frame != site.frames.rend(); ++frame) {
    if (!line.empty()) line += ';';
    line += FoldedFrameName(*frame);
  }
  if (line.empty()) line = "[no frames]";
  *out += line + " " + std::to_string(rounded) + "\n";
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
  for (char& c : name) {
    if (c == ';') c = ':';
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return name;
}

std::string RenderFolded(const std::vector<analysis::FileReport>& files,
                         const analysis::AggregateReport* aggregate) {
  std::string out;
  if (aggregate != nullptr) {
    for (const analysis::AggregateSite& site : aggregate->sites) {
      if (site.classification != analysis::Classification::kLeak) continue;
      if (std::optional<double> value = LeakValue(site.site)) AppendLine(site.site, *value, &out);
    }
    return out;
  }
  for (const analysis::FileReport& file : files) {
    for (const analysis::SiteReport& site : file.sites) {
      if (site.classification != analysis::Classification::kLeak) continue;
      if (std::optional<double> value = LeakValue(site)) AppendLine(site, *value, &out);
    }
  }
  return out;
}

}  // namespace clwleak::cli
