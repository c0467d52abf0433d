// Which leaking sites moved between a baseline run and this one, for the baseline gate: sites
// that leak now and did not before (appeared), leak faster than the allowed increase (grew), or
// leaked before and no longer do (disappeared). Sites are matched across the two files by
// SiteReport::key (the same stack in another process). Called by gates.cc; pure, thread-safe.
#pragma once

#include <vector>

#include "report.h"

namespace clwleak::analysis {

// Changes from `baseline` to `run`, in bytes per hour when `per_hour`, else per N requests. A site
// grew when its rate rose above its baseline rate x (1 + max_increase_percent / 100). Worst
// first: appeared and grew by how much they add, then disappeared by how much they took away.
std::vector<SiteChange> CompareSites(const FileReport& baseline, const FileReport& run,
                                     bool per_hour, double max_increase_percent);

}  // namespace clwleak::analysis
