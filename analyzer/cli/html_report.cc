// The HTML report; see html_report.h.
#include "html_report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis.h"
#include "answers.h"
#include "folded_report.h"
#include "gate_text.h"
#include "held_text.h"
#include "html_escape.h"
#include "json_report.h"
#include "units.h"
#include "verdict_text.h"

namespace clwleak::cli {
namespace {

using analysis::AggregateReport;
using analysis::Classification;
using analysis::FileReport;
using analysis::FormatBytes;
using analysis::FormatCount;
using analysis::FormatDuration;
using analysis::SiteReport;
using Json = nlohmann::ordered_json;

constexpr size_t kBoundedShown = 20;

std::string H(const std::string& text) { return EscapeHtml(text); }


// The unit of the flame graph's values, which are --format folded's: per N requests when the
// leak has a per-request rate (the file or every file counts requests), else per hour.
std::string FlameUnit(const std::vector<FileReport>& files, const AggregateReport* aggregate) {
  if (aggregate != nullptr) {
    return aggregate->leak.per_n_requests ? PerN(aggregate->per_requests) : "per hour";
  }
  const FileReport& file = files.front();
  return file.window_requests > 0 ? PerN(file.per_requests) : "per hour";
}

Json ChartJson(const FileReport& file) {
  Json chart;
  chart["file"] = file.path;
  chart["timeline"] = TimelineJson(file);  // the JSON report's, so the page and it agree
  chart["in_use_source"] = file.memory.in_use_source;
  chart["limit_bytes"] = file.memory.limit_bytes > 0 ? JsonNumber(file.memory.limit_bytes) : Json();
  chart["limit_source"] = file.memory.limit_source;
  chart["oom_s"] = file.oom.projected ? JsonNumber(file.oom.seconds) : Json();
  chart["growth_bytes_per_s"] = JsonNumber(file.leak.growth_bytes_per_s);
  // The peak of memory in use and the end, marked on the chart.
  chart["peak_s"] = file.held.peak.valid ? JsonNumber(file.held.peak.seconds) : Json();
  chart["end_s"] = file.held.end.valid ? JsonNumber(file.held.end.seconds) : Json();
  chart["post_mortem"] = analysis::EndedAbnormally(file.ending);
  return chart;
}

// The memory held at the end by stack, root first, for the second flame graph (one file).
Json HeldFlameJson(const FileReport& file) {
  Json stacks = Json::array();
  for (const SiteReport& site : file.sites) {
    if (!(site.live_bytes >= 1)) continue;
    std::vector<std::string> frames;
    for (auto frame = site.frames.rbegin(); frame != site.frames.rend(); ++frame) {
      frames.push_back(FoldedFrameName(*frame));
    }
    if (frames.empty()) frames.push_back("[no frames]");
    stacks.push_back({{"frames", std::move(frames)},
                      {"value", static_cast<long long>(std::llround(site.live_bytes))}});
  }
  return stacks;
}

Json DataJson(const std::vector<FileReport>& files, const AggregateReport* aggregate) {
  Json data;
  Json stacks = Json::array();
  for (const FoldedStack& stack : FoldedStacks(files, aggregate)) {
    stacks.push_back({{"frames", stack.frames}, {"value", stack.value}});
  }
  data["flame"] = {{"unit", FlameUnit(files, aggregate)}, {"stacks", std::move(stacks)}};
  Json charts = Json::array();
  for (const FileReport& file : files) charts.push_back(ChartJson(file));
  data["charts"] = std::move(charts);
  data["held_flame"] = {{"stacks", aggregate == nullptr && !files.empty()
                                       ? HeldFlameJson(files.front())
                                       : Json::array()}};
  return data;
}

const SiteReport* TopLeak(const std::vector<SiteReport>& sites) {
  for (const SiteReport& site : sites) {
    if (site.classification == Classification::kLeak) return &site;
  }
  return nullptr;
}

std::string PerHourText(const std::optional<analysis::Rate>& per_hour) {
  return per_hour ? FormatBytes(per_hour->value) + " per hour" : "–";
}

// The answers as a definition list; `leak` and `oom` are already phrased.
void WriteAnswers(std::ostringstream& out, bool leaking, const std::string& verdict,
                  const std::string& leaked, const std::string& site, const std::string& oom,
                  const std::string& memory) {
  out << "<dl class=\"clw-answers" << (leaking ? " clw-leaking" : "") << "\">\n"
      << "<dt>Verdict</dt><dd data-answer=\"verdict\" class=\""
      << (leaking ? "clw-verdict-leak" : "clw-verdict-ok") << "\">" << H(verdict) << "</dd>\n"
      << "<dt>Leaked</dt><dd data-answer=\"leaked\">" << H(leaked) << "</dd>\n"
      << "<dt>Leaking site</dt><dd data-answer=\"site\">" << H(site) << "</dd>\n"
      << "<dt>Time to OOM</dt><dd data-answer=\"oom\">" << H(oom) << "</dd>\n"
      << "<dt>Memory</dt><dd data-answer=\"memory\">" << H(memory) << "</dd>\n"
      << "</dl>\n";
}

std::string Verdict(const analysis::LeakSummary& leak, size_t modules,
                    Classification verdict = Classification::kStable,
                    const FileReport* file = nullptr) {
  if (!leak.detected && verdict == Classification::kInconclusive) {
    return file != nullptr ? "Leak not ruled out: " + RunReasonsText(*file) + " (to decide: " +
                                 RunRemediesText(*file) + ")"
                           : "Leak not ruled out in every file";
  }
  if (!leak.detected) return "No leak detected";
  return "Native memory leak detected in " + leak.module + MoreModules(modules);
}

std::string LeakedText(const analysis::LeakSummary& leak, uint64_t per_requests,
                       bool inconclusive = false) {
  const auto& bound = leak.bound_per_n_requests ? leak.bound_per_n_requests : leak.bound_per_hour;
  if (!leak.detected && inconclusive && bound && std::isfinite(bound->hi)) {
    return "not ruled out: up to " + FormatBytes(bound->hi) + " " +
           (leak.bound_per_n_requests ? PerN(per_requests) : std::string("per hour")) +
           " (upper end of the 95% interval)";
  }
  if (!leak.detected) return "nothing grows steadily";
  std::string text = LeakRateText(leak.per_n_requests, leak.per_hour, per_requests);
  if (leak.per_n_requests && leak.per_hour) text += "; " + PerHourText(leak.per_hour);
  return text;
}

void WriteFileAnswers(std::ostringstream& out, const FileReport& file) {
  const SiteReport* top = TopLeak(file.sites);
  std::string oom = TimeToOomPhrase(file);
  if (file.oom.projected && std::isfinite(file.oom.seconds_hi)) {
    oom += " (95% CI " + FormatDuration(file.oom.seconds_lo) + "–" +
           FormatDuration(file.oom.seconds_hi) + ")";
  }
  WriteAnswers(out, file.leak.detected || file.verdict == Classification::kInconclusive,
               Verdict(file.leak, file.modules.size(), file.verdict, &file),
               LeakedText(file.leak, file.per_requests,
                          file.verdict == Classification::kInconclusive),
               top != nullptr ? analysis::DescribeSite(*top) : "none", oom, MemoryPhrase(file));
}

std::string FrameFunction(const SiteReport& site) {
  if (site.site_frame < 0 || site.site_frame >= static_cast<int>(site.frames.size())) {
    return "(no frames)";
  }
  return FoldedFrameName(site.frames[site.site_frame]);
}

std::string FrameLocation(const SiteReport& site) {
  if (site.site_frame < 0 || site.site_frame >= static_cast<int>(site.frames.size())) return "";
  const analysis::FrameReport& frame = site.frames[site.site_frame];
  if (frame.file.empty()) return "";
  return frame.file + (frame.line > 0 ? ":" + std::to_string(frame.line) : "");
}

void WriteStack(std::ostringstream& out, const SiteReport& site) {
  out << "<details><summary>stack (" << site.frames.size() << " frames)</summary><ol start=\"0\">";
  for (size_t i = 0; i < site.frames.size(); ++i) {
    const analysis::FrameReport& frame = site.frames[i];
    out << "<li><code>" << H(frame.function.empty() ? "??" : frame.function) << "</code>";
    if (!frame.file.empty()) {
      out << " <code>" << H(frame.file + (frame.line > 0 ? ":" + std::to_string(frame.line) : ""))
          << "</code>";
    }
    out << " <span class=\"clw-note\">" << H(frame.module.empty() ? "?" : frame.module) << "</span>"
        << (static_cast<int>(i) == site.site_frame ? " <strong>&larr; site</strong>" : "")
        << "</li>";
  }
  out << "</ol></details>";
}

// Leaking sites, worst first; `files_of` adds the fleet's "leaking in k of n files".
void WriteSitesTable(std::ostringstream& out, const std::vector<const SiteReport*>& sites,
                     const std::vector<std::string>& extra, uint64_t per_requests) {
  if (sites.empty()) {
    out << "<p class=\"clw-note\">No leaking site.</p>\n";
    return;
  }
  out << "<table class=\"clw-sites\">\n<thead><tr><th>#</th><th>function</th><th>file:line</th>"
         "<th>module</th><th class=\"num\">leak "
      << H(PerN(per_requests)) << " (95% CI)</th><th class=\"num\">per hour</th>"
      << "<th class=\"num\">live</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < sites.size(); ++i) {
    const SiteReport& site = *sites[i];
    out << "<tr><td>" << i + 1 << "</td><td><code>" << H(FrameFunction(site)) << "</code>";
    if (!extra[i].empty()) out << " <span class=\"clw-note\">" << H(extra[i]) << "</span>";
    WriteStack(out, site);
    out << "</td><td><code>" << H(FrameLocation(site)) << "</code></td><td>" << H(site.module)
        << "</td><td class=\"num\">"
        << H(site.per_n_requests ? RateWithInterval(*site.per_n_requests, "") : std::string("–"))
        << "</td><td class=\"num\">" << H(PerHourText(site.per_hour)) << "</td><td class=\"num\">"
        << H(FormatBytes(site.live_bytes)) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

void WriteBounded(std::ostringstream& out, const std::vector<SiteReport>& sites) {
  size_t shown = 0;
  for (const SiteReport& site : sites) {
    if (site.classification != Classification::kBounded) continue;
    if (shown == 0) {
      out << "<h3>Bounded growth (grew, then plateaued; not a leak)</h3>\n<ul "
             "class=\"clw-bounded\">";
    }
    if (shown++ == kBoundedShown) {
      out << "<li class=\"clw-note\">more in --format json</li>";
      break;
    }
    out << "<li><code>" << H(analysis::DescribeSite(site)) << "</code>: grew "
        << H(FormatBytes(site.fit.growth)) << " after the warm-up, live "
        << H(FormatBytes(site.live_bytes)) << " at the end</li>";
  }
  if (shown > 0) out << "</ul>\n";
}

void WriteFacts(std::ostringstream& out, const FileReport& file) {
  auto fact = [&](const std::string& name, const std::string& value) {
    out << "<dt>" << H(name) << "</dt><dd>" << H(value) << "</dd>\n";
  };
  out << "<h3>Run</h3>\n<dl class=\"clw-facts\">\n";
  fact("file", file.path);
  fact("process", "pid " + std::to_string(file.pid) + ", " + (file.exe.empty() ? "?" : file.exe) +
                      (file.host.empty() ? "" : ", host " + file.host));
  fact("duration",
       FormatDuration(file.duration_s) + ", " + FormatCount(file.snapshots) + " snapshots");
  fact("requests", file.requests > 0
                       ? FormatCount(file.requests) + " (growth fitted against requests)"
                       : "not counted (growth fitted against time)");
  fact("warm-up", file.warmup + ", excluded from the fit");
  fact("sample rate",
       file.sample_rate_bytes <= 1
           ? std::string("every allocation (exact)")
           : FormatBytes(static_cast<double>(file.sample_rate_bytes)) + " mean between samples");
  fact("dropped samples", FormatCount(file.dropped_samples));
  fact("memory", "heap live " + FormatBytes(file.memory.heap_live_bytes) + ", RSS " +
                     FormatBytes(file.memory.rss_bytes) + ", in use " +
                     FormatBytes(file.memory.in_use_bytes) + " (" + file.memory.in_use_source +
                     ")");
  for (const std::string& phrase :
       {LimitCheckPhrase(file), LimitChangesPhrase(file), SharedUsePhrase(file)}) {
    if (!phrase.empty()) fact("memory limit", phrase);
  }
  fact("complete",
       file.complete
           ? "true (ended cleanly)"
           : "false" + (file.end_message.empty() ? std::string() : " (" + file.end_message + ")"));
  for (const std::string& note : file.notes) fact("note", note);
  out << "</dl>\n";
}

void WriteChart(std::ostringstream& out, size_t index) {
  out << "<h3>Memory over time</h3>\n<div class=\"clw-chart-box\">\n"
      << "<label class=\"clw-note\"><input type=\"checkbox\" class=\"clw-projection-toggle\" "
         "checked>"
         " show the projection to the memory limit</label>\n"
      << "<div class=\"clw-chart\" data-chart=\"" << index << "\"></div>\n</div>\n";
}

// The post-mortem headline, the cause, and what held the memory at the end and at the peak.
void WriteHeld(std::ostringstream& out, const FileReport& file) {
  const analysis::HeldMemoryReport& held = file.held;
  if (!held.end.valid) return;
  out << "<section class=\"clw-held\">\n<h3>Memory held</h3>\n";
  if (analysis::EndedAbnormally(file.ending)) {
    out << "<p class=\"clw-post-mortem\">The process " << H(EndingPhrase(file.ending))
        << ".</p>\n";
  }
  if (file.cause.cause != analysis::OomCause::kNone) {
    out << "<p class=\"clw-cause\"><strong>Cause:</strong> " << H(OomCauseText(file))
        << "<br><strong>Fix:</strong> " << H(OomCauseFix(file.cause.cause)) << "</p>\n";
  }
  auto table = [&](const analysis::HeldMoment& moment, const std::string& title) {
    out << "<h4>" << H(title) << " (" << FormatDuration(moment.seconds);
    if (moment.requests > 0) {
      out << ", " << FormatCount(static_cast<uint64_t>(moment.requests)) << " requests";
    }
    out << "; " << H(FormatBytes(moment.in_use_bytes)) << " in use";
    if (moment.in_use_of_limit) {
      char share[32];
      std::snprintf(share, sizeof share, "%.1f%%", *moment.in_use_of_limit * 100);
      out << ", " << share << " of the limit";
    }
    out << ")</h4>\n<table class=\"clw-held-sites\"><tr><th>site</th><th class=\"num\">live</th>"
           "<th class=\"num\">share</th><th class=\"num\">allocations</th>"
           "<th class=\"num\">largest</th><th>classification</th></tr>\n";
    for (const analysis::HeldSite& site : moment.sites) {
      char share[32];
      std::snprintf(share, sizeof share, "%.1f%%", site.share * 100);
      out << "<tr><td><code>" << H(analysis::DescribeSite(site.site))
          << "</code></td><td class=\"num\">" << H(FormatBytes(site.live_bytes)) << "</td><td class=\"num\">" << share
          << "</td><td class=\"num\">" << FormatCount(static_cast<uint64_t>(site.live_count + 0.5))
          << "</td><td class=\"num\">"
          << (site.largest_allocation_bytes > 0
                  ? H(FormatBytes(static_cast<double>(site.largest_allocation_bytes)))
                  : std::string("–"))
          << "</td><td>" << analysis::ClassificationName(site.site.classification)
          << "</td></tr>\n";
    }
    out << "</table>\n";
  };
  table(held.end, "At the end");
  if (held.peak.valid && !held.peak_is_end) table(held.peak, "At the peak of memory in use");
  out << "</section>\n";
}

void WriteHeldFlame(std::ostringstream& out) {
  out << "<section id=\"held-flame\">\n<h2>Flame graph of memory held</h2>\n<p class=\"clw-note\">"
         "Every stack holding memory at the end, root at the top; width = live bytes. Hover a "
         "frame for its value, click it to zoom.</p>\n<div class=\"clw-flame-tools\"><button "
         "id=\"clw-held-flame-reset\" type=\"button\">Reset zoom</button><div "
         "id=\"clw-held-flame-details\"></div></div>\n<div id=\"clw-held-flame\"></div>\n"
         "</section>\n";
}

void WriteFlame(std::ostringstream& out, const std::string& unit, bool fleet) {
  out << "<section id=\"flame\">\n<h2>Flame graph of leaked bytes" << (fleet ? " (all files)" : "")
      << "</h2>\n<p class=\"clw-note\">Leaking stacks, root at the top; width = bytes leaked "
      << H(unit)
      << " (the values of <code>--format folded</code>). Hover a frame for its value, click it to "
         "zoom.</p>\n<div class=\"clw-flame-tools\"><button id=\"clw-flame-reset\" type=\"button\">"
         "Reset zoom</button><div id=\"clw-flame-details\"></div></div>\n"
         "<div id=\"clw-flame\"></div>\n</section>\n";
}

std::vector<const SiteReport*> LeakingSites(const std::vector<SiteReport>& sites) {
  std::vector<const SiteReport*> leaking;
  for (const SiteReport& site : sites) {
    if (site.classification == Classification::kLeak) leaking.push_back(&site);
  }
  return leaking;
}

void WriteFileBody(std::ostringstream& out, const FileReport& file, size_t index) {
  WriteFileAnswers(out, file);
  WriteChart(out, index);
  out << "<h3>Leaking sites, worst first</h3>\n";
  const std::vector<const SiteReport*> leaking = LeakingSites(file.sites);
  WriteSitesTable(out, leaking, std::vector<std::string>(leaking.size()), file.per_requests);
}

void WriteFleet(std::ostringstream& out, const std::vector<FileReport>& files,
                const AggregateReport& aggregate) {
  const FileReport* soonest = nullptr;
  for (const FileReport& file : files) {
    if (file.oom.projected && (soonest == nullptr || file.oom.seconds < soonest->oom.seconds)) {
      soonest = &file;
    }
  }
  std::vector<const SiteReport*> leaking;
  std::vector<std::string> extra;
  for (const analysis::AggregateSite& entry : aggregate.sites) {
    if (entry.classification != Classification::kLeak) continue;
    leaking.push_back(&entry.site);
    extra.push_back("leaking in " + std::to_string(entry.files_leaking) + " of " +
                    std::to_string(aggregate.files) + " files");
  }
  out << "<section id=\"fleet\">\n<h2>Across " << aggregate.files << " files</h2>\n";
  WriteAnswers(out, aggregate.leak.detected || aggregate.verdict == Classification::kInconclusive,
               Verdict(aggregate.leak, aggregate.modules.size(), aggregate.verdict),
               LeakedText(aggregate.leak, aggregate.per_requests) +
                   (aggregate.leak.detected ? " (pooled over all files)" : ""),
               leaking.empty() ? "none" : analysis::DescribeSite(*leaking.front()),
               soonest != nullptr
                   ? FormatDuration(soonest->oom.seconds) + " (soonest: " + soonest->path + ")"
                   : "none projected",
               soonest != nullptr ? MemoryPhrase(*soonest) : "see each file");
  out << "<h3>Each file</h3>\n<table class=\"clw-files\">\n<thead><tr><th>file</th><th>verdict"
         "</th><th>leaked</th><th>time to OOM</th><th>memory</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < files.size(); ++i) {
    const FileReport& file = files[i];
    out << "<tr><td><a href=\"#file-" << i << "\"><code>" << H(file.path) << "</code></a></td><td>"
        << H(Verdict(file.leak, file.modules.size(), file.verdict, &file)) << "</td><td>"
        << H(LeakedText(file.leak, file.per_requests)) << "</td><td>" << H(TimeToOomPhrase(file))
        << "</td><td>" << H(MemoryPhrase(file)) << "</td></tr>\n";
  }
  out << "</tbody></table>\n<h3>Leaking sites across files, worst first</h3>\n";
  WriteSitesTable(out, leaking, extra, aggregate.per_requests);
  out << "</section>\n";
}

void WriteGates(std::ostringstream& out, const analysis::GateReport& gate) {
  if (!gate.evaluated) return;
  out << "<section id=\"gates\">\n<h2>Gates: <span class=\""
      << (gate.outcome == analysis::GateOutcome::kPassed ? "clw-gate-passed\">passed"
          : gate.outcome == analysis::GateOutcome::kFailed
              ? "clw-gate-failed\">FAILED"
              : gate.passed ? "clw-gate-passed\">inconclusive, passed by --inconclusive=pass"
                            : "clw-gate-failed\">INCONCLUSIVE")
      << "</span></h2>\n";
  std::vector<std::string> lines = GateLines(gate, analysis::GateOutcome::kFailed);
  for (std::string& line : GateLines(gate, analysis::GateOutcome::kInconclusive)) {
    lines.push_back(std::move(line));
  }
  if (!lines.empty()) {
    out << "<ul>";
    for (const std::string& line : lines) out << "<li>" << H(line) << "</li>";
    out << "</ul>\n";
  }
  out << "</section>\n";
}

}  // namespace

bool RenderHtml(const std::vector<FileReport>& files, const AggregateReport* aggregate,
                const analysis::GateReport& gate, const std::string& generator,
                const web::HtmlAssets& assets, std::string* page, std::string* error) {
  if (!assets.available) {
    *error = "--format html: this build of clw-leak-analyze has no HTML report: " +
             std::string(assets.why_unavailable);
    return false;
  }
  const bool fleet = aggregate != nullptr;
  const std::string unit = FlameUnit(files, aggregate);
  const std::string title =
      fleet ? std::to_string(files.size()) + " files"
            : (files.front().exe.empty() ? files.front().path : files.front().exe);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>clwleak report: " << H(title) << "</title>\n"
      << "<style>\n"
      << assets.library_style << "\n</style>\n<style>\n"
      << assets.page_style
      << "\n</style>\n</head>\n<body>\n<header>\n<h1>clwleak leak report</h1>\n"
      << "<p class=\"clw-meta\">" << H(generator) << ", " << files.size()
      << (files.size() == 1 ? " file" : " files") << "</p>\n</header>\n";
  if (fleet) {
    WriteFleet(out, files, *aggregate);
    WriteFlame(out, unit, true);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const FileReport& file = files[i];
    out << "<section class=\"clw-file\" id=\"file-" << i << "\">\n";
    if (fleet) out << "<h2><code>" << H(file.path) << "</code></h2>\n";
    WriteFileBody(out, file, i);
    WriteHeld(out, file);
    if (!fleet) {
      out << "<div class=\"clw-flames\">\n";
      WriteFlame(out, unit, false);
      WriteHeldFlame(out);
      out << "</div>\n";
    }
    WriteBounded(out, file.sites);
    WriteFacts(out, file);
    out << "</section>\n";
  }
  WriteGates(out, gate);
  out << "<footer class=\"clw-footer\"><p>Self-contained page: nothing is loaded from the network."
         " Drawn with:</p><ul>";
  std::istringstream notices{std::string(assets.notice)};
  for (std::string line; std::getline(notices, line);) out << "<li>" << H(line) << "</li>";
  Json data_json = DataJson(files, aggregate);
  EscapeStrings(&data_json);
  const std::string data = data_json.dump(-1, ' ', false, Json::error_handler_t::replace);
  out << "</ul></footer>\n<script type=\"application/json\" id=\"clw-report-data\">"
      << EscapeJsonForScript(data) << "</script>\n<script>\n"
      << assets.library_script << "\n</script>\n<script>\n"
      << assets.page_script << "\n</script>\n</body>\n</html>\n";
  *page = out.str();
  return true;
}

}  // namespace clwleak::cli
