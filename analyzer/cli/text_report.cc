// Text report formatting; see text_report.h. Every name from the host, and every phrase built
// from one, goes through EscapeBytes (byte_escape.h) where it is written.
#include "text_report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "analysis.h"
#include "answers.h"
#include "byte_escape.h"
#include "gate_text.h"
#include "held_text.h"
#include "terminal.h"
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
using analysis::ModuleReport;
using analysis::Rate;
using analysis::SiteReport;

constexpr size_t kFramesShown = 12;
constexpr size_t kBoundedShown = 10;

std::string SecondaryRates(const std::optional<Rate>& per_n, const std::optional<Rate>& per_hour) {
  if (per_n && per_hour) return ", " + FormatBytes(per_hour->value) + " per hour";
  return "";
}

// The upper end of a rate: per N requests when known, else per hour.
std::string UpperText(const SiteReport& site, uint64_t per_requests) {
  if (site.per_n_requests) return FormatBytes(site.per_n_requests->hi) + " " + PerN(per_requests);
  if (site.per_hour) return FormatBytes(site.per_hour->hi) + " per hour";
  return "an unknown rate";
}

std::string FrameLine(const analysis::FrameReport& frame, size_t index) {
  std::string line = "#" + std::to_string(index) + " ";
  line += frame.function.empty() ? std::string("??") : EscapeBytes(frame.function);
  if (!frame.file.empty()) {
    line += "  " + EscapeBytes(frame.file) +
            (frame.line > 0 ? ":" + std::to_string(frame.line) : "");
  }
  char offset[32];
  std::snprintf(offset, sizeof offset, "+0x%llx",
                static_cast<unsigned long long>(frame.module_offset));
  return line + "  (" + (frame.module.empty() ? "?" : EscapeBytes(frame.module)) + offset + ")";
}

void WriteSite(std::ostringstream& out, const Painter& paint, const SiteReport& site, size_t rank,
               uint64_t per_requests, const std::string& extra, const std::string& axis = "") {
  out << "  " << rank << ". " << paint(EscapeBytes(analysis::DescribeSite(site)), Style::kBold) << extra
      << "\n";
  out << "     ";
  if (site.classification == Classification::kInconclusive) {
    out << "could be leaking up to " << UpperText(site, per_requests) << " ("
        << ReasonText(site.inconclusive_reason) << ")\n     ";
  } else {
    out << LeakRateText(site.per_n_requests, site.per_hour, per_requests)
        << SecondaryRates(site.per_n_requests, site.per_hour);
    if (site.onset) out << "; " << OnsetText(site, axis);
    if (site.growing_buffer) out << "; a block that keeps growing in place (realloc)";
    out << "; ";
  }
  out << "live "
      << FormatBytes(site.live_bytes) << " in " << FormatCount(static_cast<uint64_t>(site.live_count))
      << " allocations";
  if (site.kind == "mmap") out << " (anonymous mmap)";
  out << "\n";
  for (size_t i = 0; i < site.frames.size() && i < kFramesShown; ++i) {
    out << "       " << FrameLine(site.frames[i], i)
        << (static_cast<int>(i) == site.site_frame ? paint("   <- site", Style::kWarn) : "")
        << "\n";
  }
  if (site.frames.size() > kFramesShown) {
    out << "       ... " << site.frames.size() - kFramesShown << " more frames\n";
  }
}

void WriteModules(std::ostringstream& out, const Painter& paint,
                  const std::vector<ModuleReport>& modules, uint64_t per_requests) {
  if (modules.empty()) return;
  out << "\n" << paint("Leaks by module:", Style::kBold) << "\n";
  for (const ModuleReport& module : modules) {
    out << "  " << EscapeBytes(module.module) << ": "
        << LeakRateText(module.per_n_requests, module.per_hour, per_requests)
        << SecondaryRates(module.per_n_requests, module.per_hour) << " (" << module.sites
        << (module.sites == 1 ? " site" : " sites") << ")\n";
  }
}

void WriteHeadline(std::ostringstream& out, const Painter& paint, const FileReport& file) {
  if (file.leak.detected) {
    out << paint("[clw] Native memory leak detected in " + EscapeBytes(file.leak.module),
                 Style::kLeak)
        << MoreModules(file.modules.size());
    out << "\n[clw] Leaked: "
        << paint(LeakRateText(file.leak.per_n_requests, file.leak.per_hour, file.per_requests),
                 Style::kBold)
        << "\n";
    for (const SiteReport& site : file.sites) {
      if (site.classification != Classification::kLeak || !site.onset) continue;
      out << "[clw] The leak at " << analysis::DescribeSite(site) << " "
          << OnsetText(site, file.axis) << "\n";
    }
  } else if (file.verdict == Classification::kInconclusive) {
    out << paint("[clw] Leak not ruled out: " + RunReasonsText(file), Style::kWarn) << "\n";
    const auto& bound = file.leak.bound_per_n_requests ? file.leak.bound_per_n_requests
                                                       : file.leak.bound_per_hour;
    if (bound && bound->hi > 0) {
      out << "[clw] Could be leaking up to "
          << FormatBytes(bound->hi)
          << (file.leak.bound_per_n_requests ? " " + PerN(file.per_requests) : " per hour")
          << " (upper end of the 95% interval)\n";
    }
    const std::string remedies = RunRemediesText(file);
    if (!remedies.empty()) out << "[clw] To decide: " << remedies << "\n";
  } else {
    out << paint("[clw] No leak detected", Style::kGood);
    size_t bounded = 0;
    for (const SiteReport& site : file.sites) {
      bounded += site.classification == Classification::kBounded ? 1 : 0;
    }
    if (bounded > 0) {
      out << " (" << bounded << (bounded == 1 ? " stack" : " stacks")
          << " grew, then plateaued: see bounded growth)";
    }
    out << "\n";
  }
  out << "[clw] Estimated time to OOM: "
      << (file.oom.projected ? paint(TimeToOomPhrase(file), Style::kWarn) : TimeToOomPhrase(file))
      << " (" << EscapeBytes(MemoryPhrase(file)) << ")\n";
  if (file.memory.limit_check == analysis::LimitCheck::kSettingAbove) {
    out << paint("[clw] Warning: " + EscapeBytes(LimitCheckPhrase(file)), Style::kWarn) << "\n";
  }
  if (!file.suppressed_sites.empty()) {
    const size_t count = file.suppressed_sites.size();
    out << "[clw] Suppressed: " << count << (count == 1 ? " known leak site" : " known leak sites")
        << " (leak: rules), listed below, not in the figures above\n";
  }
}

// The end of a file whose process replaced its image: not a crash, and where the story goes on.
std::string ExecEndingPhrase(const analysis::ExecEnding& ending) {
  std::string phrase = "replaced by exec";
  if (!ending.program.empty()) phrase += " of " + ending.program;
  phrase += ending.continued_in.empty() ? " (the new image's file was not given)"
                                        : " (continues in " + ending.continued_in + ")";
  return phrase;
}

// Shared anonymous memory and reserved address space: shown, but never heap and never a leak.
void WriteMemoryByKind(std::ostringstream& out, const Painter& paint, const FileReport& file) {
  if (file.memory_by_kind.empty()) return;
  out << "\n"
      << paint("Mapped memory that cannot leak (not heap, not in the leak figures):", Style::kBold)
      << "\n";
  for (const analysis::KindMemory& kind : file.memory_by_kind) {
    const char* what = kind.kind == "shared_anon" ? "shared anonymous memory"
                       : kind.kind == "reserved"  ? "reserved address space (not committed)"
                                                  : kind.kind.c_str();
    out << "  " << what << ": " << FormatBytes(kind.live_bytes) << " in "
        << FormatCount(static_cast<uint64_t>(kind.live_count + 0.5)) << " mapping(s)\n";
    for (const SiteReport& site : kind.sites) {
      out << "    " << FormatBytes(site.live_bytes) << " at "
          << EscapeBytes(analysis::DescribeSite(site)) << "\n";
    }
    if (kind.sites_omitted > 0) {
      out << "    ... " << kind.sites_omitted << " more site(s) in --format json\n";
    }
  }
}

void WriteFile(std::ostringstream& out, const Painter& paint, const FileReport& file) {
  WritePostMortemHeadline(out, paint, file);
  WriteHeadline(out, paint, file);
  if (!analysis::EndedAbnormally(file.ending)) WriteCauseLines(out, paint, file);

  size_t rank = 0;
  for (const SiteReport& site : file.sites) {
    if (site.classification != Classification::kLeak) continue;
    if (rank == 0) out << "\n" << paint("Leaking sites, worst first:", Style::kBold) << "\n";
    WriteSite(out, paint, site, ++rank, file.per_requests, "", file.axis);
  }
  WriteModules(out, paint, file.modules, file.per_requests);

  rank = 0;
  for (const SiteReport& site : file.sites) {
    if (site.classification != Classification::kInconclusive) continue;
    if (rank == 0) {
      out << "\n" << paint("Not ruled out (growth the evidence cannot judge):", Style::kBold)
          << "\n";
    }
    WriteSite(out, paint, site, ++rank, file.per_requests, "", file.axis);
    const std::string remedies = RemediesText(site.remedies);
    if (!remedies.empty()) out << "     to decide: " << remedies << "\n";
  }

  rank = 0;
  for (const SiteReport& site : file.sites) {
    if (site.classification != Classification::kBounded) continue;
    if (rank == 0) {
      out << "\n" << paint("Bounded growth (grew, then plateaued; not a leak):", Style::kBold)
          << "\n";
    }
    if (rank == kBoundedShown) {
      out << "  ... more bounded sites in --format json\n";
      break;
    }
    out << "  " << ++rank << ". " << EscapeBytes(analysis::DescribeSite(site)) << ": grew "
        << FormatBytes(site.fit.growth) << " after the warm-up, live "
        << FormatBytes(site.live_bytes) << " at the end\n";
  }

  rank = 0;
  for (const SiteReport& site : file.suppressed_sites) {
    if (rank == 0) {
      out << "\n" << paint("Suppressed (known leaks excused by leak: rules; not in the totals or "
                           "gates):", Style::kBold) << "\n";
    }
    WriteSite(out, paint, site, ++rank, file.per_requests,
              " [" + EscapeBytes(site.suppressed_by) + " at " + EscapeBytes(site.suppressed_at) +
                  "]",
              file.axis);
  }
  WriteHeldSections(out, paint, file);
  WriteMemoryByKind(out, paint, file);

  out << "\n" << paint("Run:", Style::kBold) << "\n";
  out << "  file:            " << EscapeBytes(file.path) << "\n";
  out << "  process:         pid " << file.pid << ", "
      << (file.exe.empty() ? "?" : EscapeBytes(file.exe));
  if (!file.host.empty()) out << ", host " << EscapeBytes(file.host);
  out << "\n";
  out << "  duration:        " << FormatDuration(file.duration_s) << ", "
      << FormatCount(file.snapshots) << " snapshots\n";
  out << "  requests:        ";
  if (file.requests > 0) {
    out << FormatCount(file.requests);
    if (file.request_rate_per_s) {
      out << " (" << analysis::FormatRate(*file.request_rate_per_s)
          << " per second after the warm-up)";
    }
    out << "; growth fitted against requests\n";
  } else if (file.request_rate_per_s) {
    out << "not counted; --request-rate " << *file.request_rate_per_s
        << " per second; growth fitted against time\n";
  } else {
    out << "not counted; growth fitted against time\n";
  }
  out << "  warm-up:         " << file.warmup << ", excluded from the fit\n";
  out << "  sample rate:     "
      << (file.sample_rate_bytes <= 1
              ? std::string("every allocation (exact)")
              : FormatBytes(static_cast<double>(file.sample_rate_bytes)) +
                    " mean between samples (estimates are scaled)")
      << "\n";
  out << "  dropped samples: " << FormatCount(file.dropped_samples);
  if (file.dropped_samples > 0) {
    out << " (" << FormatBytes(static_cast<double>(file.dropped_bytes))
        << "): the leak figures are a lower bound";
  }
  out << "\n";
  out << "  memory:          heap live " << FormatBytes(file.memory.heap_live_bytes) << ", RSS "
      << FormatBytes(file.memory.rss_bytes);
  if (file.memory.rss_growth_bytes_per_s) {
    out << " (trend " << FormatBytes(*file.memory.rss_growth_bytes_per_s * 3600) << " per hour)";
  }
  out << ", in use " << FormatBytes(file.memory.in_use_bytes) << " ("
      << EscapeBytes(file.memory.in_use_source) << ")\n";
  for (const std::string& phrase :
       {LimitCheckPhrase(file), LimitChangesPhrase(file), SharedUsePhrase(file)}) {
    if (!phrase.empty()) out << "  memory limit:    " << EscapeBytes(phrase) << "\n";
  }
  out << "  complete:        " << (file.complete ? "true" : "false");
  if (file.exec_ending) {
    out << ", " << EscapeBytes(ExecEndingPhrase(*file.exec_ending));
  } else if (file.complete) {
    out << " (ended cleanly after the final snapshot)";
  } else if (file.end == "truncated") {
    out << " (" << EscapeBytes(file.end_message) << "; every whole snapshot was analysed)";
  } else {
    out << " (no final snapshot: the process had not exited when the file was read)";
  }
  out << "\n";
  for (const std::string& note : file.notes) {
    out << "  note:            " << EscapeBytes(note) << "\n";
  }
}

void WriteAggregate(std::ostringstream& out, const Painter& paint,
                    const AggregateReport& aggregate) {
  out << "\n" << paint("== Across " + std::to_string(aggregate.files) + " files ==", Style::kBold)
      << "\n";
  if (aggregate.leak.detected) {
    out << paint("[clw] Native memory leak detected in " + EscapeBytes(aggregate.leak.module),
                 Style::kLeak)
        << "\n";
    out << "[clw] Leaked: "
        << LeakRateText(aggregate.leak.per_n_requests, aggregate.leak.per_hour,
                        aggregate.per_requests);
    if (aggregate.leak.per_n_requests && aggregate.leak.per_hour) {
      out << " over all files' requests; " << FormatBytes(aggregate.leak.per_hour->value)
          << " per hour in total";
    }
    out << "\n";
  } else if (aggregate.verdict == Classification::kInconclusive) {
    out << paint("[clw] Leak not ruled out in every file: see each file", Style::kWarn) << "\n";
  } else {
    out << paint("[clw] No leak detected in any file", Style::kGood) << "\n";
  }
  size_t rank = 0;
  for (const analysis::AggregateSite& entry : aggregate.sites) {
    if (entry.classification != Classification::kLeak) continue;
    if (rank == 0) {
      out << "\n" << paint("Leaking sites across files, worst first:", Style::kBold) << "\n";
    }
    WriteSite(out, paint, entry.site, ++rank, aggregate.per_requests,
              " [leaking in " + std::to_string(entry.files_leaking) + " of " +
                  std::to_string(aggregate.files) + " files]");
  }
  WriteModules(out, paint, aggregate.modules, aggregate.per_requests);
  rank = 0;
  for (const analysis::AggregateSite& entry : aggregate.sites) {
    if (entry.classification != Classification::kBounded) continue;
    if (rank == 0) {
      out << "\n" << paint("Bounded growth across files (not a leak):", Style::kBold) << "\n";
    }
    out << "  " << ++rank << ". " << EscapeBytes(analysis::DescribeSite(entry.site)) << " [in "
        << entry.files_present << " files]\n";
  }
}

}  // namespace

std::string RenderText(const std::vector<FileReport>& files, const AggregateReport* aggregate,
                       const analysis::GateReport& gate, bool color,
                       const std::vector<analysis::SkippedFile>& skipped) {
  const Painter paint(color);
  std::ostringstream out;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files.size() > 1) {
      out << (i > 0 ? "\n" : "") << paint("== " + EscapeBytes(files[i].path) + " ==", Style::kBold)
          << "\n";
    }
    WriteFile(out, paint, files[i]);
  }
  if (aggregate != nullptr) WriteAggregate(out, paint, *aggregate);
  if (!skipped.empty()) {
    out << "\n" << paint("Not read (" + std::to_string(skipped.size()) + " of " +
                              std::to_string(skipped.size() + files.size()) + " files):",
                          Style::kWarn)
        << "\n";
    for (const analysis::SkippedFile& file : skipped) {
      out << "  " << EscapeBytes(file.path) << ": " << EscapeBytes(file.reason) << "\n";
    }
  }
  if (gate.evaluated) {
    out << "\nGates: ";
    switch (gate.outcome) {
      case analysis::GateOutcome::kPassed:
        out << paint("passed", Style::kGood);
        break;
      case analysis::GateOutcome::kFailed:
        out << paint("FAILED", Style::kLeak);
        break;
      case analysis::GateOutcome::kInconclusive:
        out << (gate.passed ? paint("inconclusive, passed by --inconclusive=pass", Style::kWarn)
                            : paint("INCONCLUSIVE", Style::kLeak) +
                                  " (the leak rate's 95% interval straddles a limit)");
        break;
    }
    out << "\n";
    for (const std::string& line : GateLines(gate, analysis::GateOutcome::kFailed)) {
      out << "  " << EscapeBytes(line) << "\n";
    }
    for (const std::string& line : GateLines(gate, analysis::GateOutcome::kInconclusive)) {
      out << "  " << EscapeBytes(line) << "\n";
    }
  }
  return out.str();
}

}  // namespace clwleak::cli
