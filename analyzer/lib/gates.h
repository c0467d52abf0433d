// CI gates on the analysis: fail a run whose leak rate is above a fixed limit (per N requests or
// per hour) or grew by more than a percentage over a baseline run. Called by clw-leak-analyze
// after AnalyzeFile(); pure, thread-safe. Each gate is checked on every file given, against the
// 95% interval of the file's total leak rate, widened by what the evidence cannot rule out
// (LeakSummary::bound_*: inconclusive sites' upper ends, the run's resolution):
//   passed        the interval lies at or below the limit;
//   failed        it lies above the limit;
//   inconclusive  it straddles the limit (the exit code is 3 unless --inconclusive=pass).
// The baseline gate's limit is the baseline's point estimate x (1 + PCT/100).
// Results are typed (GateCheck); analyzer/cli words them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report.h"

namespace clwleak::analysis {

struct GateOptions {
  std::optional<uint64_t> fail_on_leak;           // bytes per N requests
  std::optional<uint64_t> fail_on_leak_per_hour;  // bytes per hour
  std::optional<double> max_increase_percent;     // with a baseline
  std::string baseline_path;                      // for messages
  bool inconclusive_passes = false;               // --inconclusive=pass
};

// Returns false with *error set when a gate cannot be evaluated on a file (a gate per request on
// a file without request counts, a baseline without a comparable rate): that is a usage error,
// not a failed gate. `baseline` may be null when no baseline gate is requested. Each file of
// `skipped` (unreadable, left out of `files`) gets an inconclusive check per gate: nothing it
// holds was measured.
bool EvaluateGates(const std::vector<FileReport>& files, const FileReport* baseline,
                   const GateOptions& options, GateReport* gate, std::string* error,
                   const std::vector<SkippedFile>& skipped = {});

// Where `measured` (lo..hi) stands against `limit`.
GateOutcome Compare(const Rate& measured, double limit);

}  // namespace clwleak::analysis
