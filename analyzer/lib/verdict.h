// The run-level verdict and what it rests on: which leak rate matters (materiality), the total of
// independent rates, the interval that gates compare (the leak's total widened by what the
// evidence cannot rule out), and the verdict of a file or a fleet. Called by analysis.cc; pure,
// thread-safe. docs/analyzer.md states the rules.
//
// Verdict of a run: `leak` when a site leaks; else `inconclusive` when a site is inconclusive,
// when the run's resolution (the smallest leak sure to leave a sample, sampled mode) is a
// material rate, or when there is nothing to fit; else `bounded` when a site is bounded; else
// `stable`. Only `bounded` and `stable` are "no leak".
#pragma once

#include <optional>
#include <vector>

#include "report.h"

namespace clwleak::analysis {

// A leak matters when it would fill the memory limit within this horizon (a week: longer than
// most workers live between deploys and restarts).
inline constexpr double kMaterialHorizonHours = 24 * 7;
// The limit assumed when the file does not know it.
inline constexpr double kDefaultMaterialLimitBytes = 1024.0 * 1024 * 1024;

// The smallest leak rate, in bytes per hour, that matters for a process with this memory limit
// (0: unknown).
double MaterialBytesPerHour(double limit_bytes);

// The sum of independent rates: values add, and the deviations from the value on each side add
// in quadrature (each interval read as normal with its half-width on that side).
Rate SumIndependent(const std::vector<Rate>& parts);

// The interval gates compare: lo is the leak total's; hi adds, to the leak total, the point
// estimates and upper deviations (in quadrature) of the sites that cannot be judged, and is at
// least `resolution` (the run's resolution in the same unit; 0 in exact mode).
Rate GateBound(const Rate& leak_total, const std::vector<Rate>& inconclusive, double resolution);

// The verdict of one file from its sites. `resolution_matters`: the run's resolution is a
// material rate; `nothing_to_fit`: no window to judge growth in.
Classification JudgeRun(const std::vector<SiteReport>& sites, bool sampled, bool resolution_matters,
                        bool nothing_to_fit, std::vector<VerdictReason>* reasons);

// How bad a classification is, for "the worst over files": leak, inconclusive, bounded, stable.
int Severity(Classification classification);

}  // namespace clwleak::analysis
