// The words of memory held, post-mortems and causes; see held_text.h. Names from the host go
// through EscapeBytes (byte_escape.h) where they are written.
#include "held_text.h"

#include <cstdio>

#include "analysis.h"
#include "answers.h"
#include "byte_escape.h"
#include "units.h"

namespace clwleak::cli {
namespace {

using analysis::FileReport;
using analysis::FormatBytes;
using analysis::FormatCount;
using analysis::FormatDuration;
using analysis::HeldMoment;
using analysis::HeldSite;
using analysis::OomCause;

std::string PercentText(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", fraction * 100);
  return buffer;
}

// The function of a held stack's attributed frame, or its description when unsymbolized.
std::string SiteName(const HeldSite& held) {
  const analysis::SiteReport& site = held.site;
  if (site.site_frame >= 0 && site.site_frame < static_cast<int>(site.frames.size()) &&
      !site.frames[site.site_frame].function.empty()) {
    return EscapeBytes(site.frames[site.site_frame].function);
  }
  return EscapeBytes(analysis::DescribeSite(site));
}

// "1m 5s, 60,000 requests" (requests only when counted).
std::string WhenText(double seconds, double requests) {
  std::string text = FormatDuration(seconds);
  if (requests > 0) text += ", " + FormatCount(static_cast<uint64_t>(requests)) + " requests";
  return text;
}

// "780 MiB in use, 96.5% of the 808 MiB limit" or "780 MiB in use (limit unknown)".
std::string InUseText(const FileReport& file, const HeldMoment& moment) {
  std::string text = FormatBytes(moment.in_use_bytes) + " in use";
  if (moment.in_use_of_limit) {
    text += ", " + PercentText(*moment.in_use_of_limit) + " of the " +
            FormatBytes(file.memory.limit_bytes) + " limit";
  } else {
    text += " (limit unknown)";
  }
  return text;
}

std::string HeldSiteLine(const HeldSite& held) {
  std::string line = EscapeBytes(analysis::DescribeSite(held.site)) + ": " +
                     FormatBytes(held.live_bytes) + " (" + PercentText(held.share) + ") in " +
                     FormatCount(static_cast<uint64_t>(held.live_count + 0.5)) + " allocations";
  if (held.largest_allocation_bytes > 0) {
    line += ", largest " + FormatBytes(static_cast<double>(held.largest_allocation_bytes));
  }
  return line + " [" + analysis::ClassificationName(held.site.classification) + "]";
}

void WriteMoment(std::ostringstream& out, const Painter& paint, const FileReport& file,
                 const HeldMoment& moment, const std::string& title) {
  out << "\n"
      << paint(title + " (" + WhenText(moment.seconds, moment.requests) + "; " +
                   InUseText(file, moment) + "; heap " + FormatBytes(moment.heap_live_bytes) + "):",
               Style::kBold)
      << "\n";
  size_t rank = 0;
  for (const HeldSite& held : moment.sites) {
    out << "  " << ++rank << ". " << HeldSiteLine(held) << "\n";
  }
  if (!moment.modules.empty()) {
    out << "  by module:";
    const char* separator = " ";
    for (const analysis::HeldModule& module : moment.modules) {
      out << separator
          << (module.module.empty() ? std::string("[unknown]") : EscapeBytes(module.module)) << " "
          << FormatBytes(module.live_bytes) << " (" << PercentText(module.share) << ")";
      separator = ", ";
    }
    out << "\n";
  }
}

}  // namespace

std::string EndingPhrase(analysis::Ending ending) {
  switch (ending) {
    case analysis::Ending::kNormal:
      return "exited normally";
    case analysis::Ending::kExec:
      return "replaced its image by exec";
    case analysis::Ending::kNoFinalSnapshot:
      return "did not exit normally: no final snapshot (killed by SIGKILL, as the OOM killer does "
             "(exit 137), or still running)";
    case analysis::Ending::kCutMidRecord:
      return "did not exit normally: the file is cut inside a snapshot (killed while writing, as "
             "by SIGKILL or the OOM killer (exit 137))";
  }
  return "";
}

std::string EndingName(analysis::Ending ending) {
  switch (ending) {
    case analysis::Ending::kNormal:
      return "normal";
    case analysis::Ending::kExec:
      return "exec";
    case analysis::Ending::kNoFinalSnapshot:
      return "no_final_snapshot";
    case analysis::Ending::kCutMidRecord:
      return "cut_mid_record";
  }
  return "normal";
}

std::string OomCauseName(OomCause cause) {
  switch (cause) {
    case OomCause::kNone:
      return "none";
    case OomCause::kLeak:
      return "leak";
    case OomCause::kLargePayloads:
      return "large_payloads";
    case OomCause::kLoadSpikes:
      return "load_spikes";
    case OomCause::kLimitTooSmall:
      return "limit_too_small";
    case OomCause::kUndetermined:
      return "undetermined";
  }
  return "none";
}

std::string OomCauseText(const FileReport& file) {
  const analysis::OomCauseReport& cause = file.cause;
  switch (cause.cause) {
    case OomCause::kNone:
      return "";
    case OomCause::kLeak:
      return "unbounded memory growth (a leak) in " + EscapeBytes(file.leak.module) + ": " +
             LeakRateText(file.leak.per_n_requests, file.leak.per_hour, file.per_requests);
    case OomCause::kLargePayloads: {
      if (!cause.payload) return "large task payloads";
      const HeldSite& payload = *cause.payload;
      const double largest = payload.largest_allocation_bytes > 0
                                 ? static_cast<double>(payload.largest_allocation_bytes)
                                 : payload.live_bytes / payload.live_count;
      std::string text =
          "large task payloads: largest allocation " + FormatBytes(largest) + " in " +
          SiteName(payload) + "; it held " + FormatBytes(payload.live_bytes) + " (" +
          PercentText(payload.share) + " of the heap) in " +
          FormatCount(static_cast<uint64_t>(payload.live_count + 0.5)) + " allocations";
      if (cause.rest_average_allocation_bytes > 0) {
        text += ", the rest average " + FormatBytes(cause.rest_average_allocation_bytes);
      }
      if (cause.payloads_accumulate) {
        text += "; " + FormatCount(static_cast<uint64_t>(cause.payload_count_at_end + 0.5)) +
                " of them still held at the end (they pile up)";
      }
      return text;
    }
    case OomCause::kLoadSpikes:
      return "memory grows with load and falls back: heap " +
             FormatBytes(cause.heap_at_high_load_bytes) + " at high load (up to " +
             FormatCount(static_cast<uint64_t>(cause.peak_request_rate_per_s)) +
             " requests/s) against " + FormatBytes(cause.heap_at_normal_load_bytes) +
             " at normal load (" +
             FormatCount(static_cast<uint64_t>(cause.base_request_rate_per_s)) +
             " requests/s); peak heap " + FormatBytes(file.held.peak.heap_live_bytes) + ", " +
             FormatBytes(cause.fell_back_bytes) + " below it at the end";
    case OomCause::kLimitTooSmall:
      return "memory limit too small for a steady workload: in use flat at " +
             PercentText(cause.in_use_of_limit) + " of the " +
             FormatBytes(file.memory.limit_bytes) + " limit (within " +
             FormatBytes(cause.in_use_range_bytes) + " over the second half), no growth";
    case OomCause::kUndetermined:
      return "not determined from the evidence (no leak, no payload far above the rest, no "
             "growth that follows the load, not flat near the limit): see what held the memory";
  }
  return "";
}

std::string OomCauseFix(OomCause cause) {
  switch (cause) {
    case OomCause::kNone:
      return "";
    case OomCause::kLeak:
      return "bound or release what the leaking site keeps (a bounded LRU cache, free per "
             "request); raising the limit only delays the kill";
    case OomCause::kLargePayloads:
      return "stream or chunk large payloads instead of loading them whole, release each when "
             "done, and lower max_payload_size";
    case OomCause::kLoadSpikes:
      return "limit task concurrency so that peak load fits the limit (memory per task x "
             "concurrent tasks), or raise the limit to the measured peak with headroom";
    case OomCause::kLimitTooSmall:
      return "raise the memory limit to fit the steady workload with headroom (keep use under "
             "70-85%), or shrink its working set";
    case OomCause::kUndetermined:
      return "compare the holders at the peak with those at the end, and rerun with "
             "CLWLEAK_INTERVAL shorter to see the last seconds";
  }
  return "";
}

void WriteCauseLines(std::ostringstream& out, const Painter& paint, const FileReport& file) {
  if (file.cause.cause == OomCause::kNone) return;
  out << paint("[clw] Cause: " + OomCauseText(file), Style::kWarn) << "\n";
  out << "[clw] Fix: " << OomCauseFix(file.cause.cause) << "\n";
}

void WritePostMortemHeadline(std::ostringstream& out, const Painter& paint,
                             const FileReport& file) {
  if (!analysis::EndedAbnormally(file.ending)) return;
  out << paint("[clw] Worker process " + EndingPhrase(file.ending), Style::kLeak) << "\n";
  const analysis::HeldMemoryReport& held = file.held;
  if (held.end.valid) {
    out << "[clw] At its last snapshot (" << WhenText(held.end.seconds, held.end.requests)
        << "): " << InUseText(file, held.end) << "\n";
  }
  const analysis::FinalStretch& stretch = held.final_stretch;
  if (stretch.valid) {
    out << "[clw] In the last " << stretch.snapshots
        << (stretch.snapshots == 1 ? " interval (" : " intervals (")
        << WhenText(stretch.seconds, stretch.requests) << "): in use "
        << (stretch.in_use_growth_bytes >= 0 ? "+" : "") << FormatBytes(stretch.in_use_growth_bytes)
        << ", heap " << (stretch.heap_growth_bytes >= 0 ? "+" : "")
        << FormatBytes(stretch.heap_growth_bytes);
    if (stretch.grew.empty()) out << "; no stack grew";
    for (size_t i = 0; i < stretch.grew.size() && i < 3; ++i) {
      out << (i == 0 ? "; grew: " : ", ") << SiteName(stretch.grew[i]) << " +"
          << FormatBytes(stretch.grew[i].growth_bytes);
    }
    out << "\n";
  }
  if (held.end.valid && !held.end.sites.empty()) {
    const HeldSite& top = held.end.sites.front();
    out << "[clw] Memory held: " << FormatBytes(top.live_bytes) << " (" << PercentText(top.share)
        << " of the heap) by " << EscapeBytes(analysis::DescribeSite(top.site));
    if (!held.end.modules.empty()) {
      const analysis::HeldModule& module = held.end.modules.front();
      out << "; module "
          << (module.module.empty() ? std::string("[unknown]") : EscapeBytes(module.module)) << " "
          << FormatBytes(module.live_bytes) << " (" << PercentText(module.share) << ")";
    }
    out << "\n";
  }
  if (held.peak.valid && !held.peak_is_end && !held.peak.sites.empty()) {
    const HeldSite& top = held.peak.sites.front();
    out << "[clw] At the peak (" << WhenText(held.peak.seconds, held.peak.requests)
        << "): " << InUseText(file, held.peak) << "; held most: " << FormatBytes(top.live_bytes)
        << " (" << PercentText(top.share) << ") by "
        << EscapeBytes(analysis::DescribeSite(top.site)) << "\n";
  }
  if (file.cause.cause == OomCause::kNone) {
    out << "[clw] Cause: not near its limit at its last snapshot (" << InUseText(file, held.end)
        << "); the kill came from elsewhere or in the last interval\n";
  } else {
    WriteCauseLines(out, paint, file);
  }
  out << "\n";
}

void WriteHeldSections(std::ostringstream& out, const Painter& paint, const FileReport& file) {
  const analysis::HeldMemoryReport& held = file.held;
  if (!held.end.valid) return;
  WriteMoment(out, paint, file, held.end, "Memory held at the end");
  if (held.peak.valid && !held.peak_is_end) {
    WriteMoment(out, paint, file, held.peak, "Memory held at the peak");
  } else if (held.peak.valid) {
    out << "  (the peak of memory in use is the last snapshot)\n";
  }
  if (!held.largest_recorded) {
    out << "  (largest allocations not recorded: the file was written by an older preload)\n";
  }
}

}  // namespace clwleak::cli
