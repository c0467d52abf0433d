// Time until a process reaches its memory limit if its leak continues at the measured rate:
// headroom / growth, with headroom = limit - memory in use at the last snapshot. Called by
// analysis.cc; pure, thread-safe. docs/analyzer.md states the basis (in use: cgroup
// memory.current when the file has it, else RSS; growth: the leak fit in bytes per second).
#pragma once

#include <string>

namespace clwleak::analysis {

struct OomProjection {
  bool projected = false;     // false: nothing grows, or the limit is unknown; see `reason`
  double seconds = 0;         // time to OOM at the point estimate of the growth
  double seconds_lo = 0;      // at the upper end of the growth interval
  double seconds_hi = 0;      // at the lower end; infinity when that end is not above zero
  double headroom_bytes = 0;  // limit - in use (negative: already above the limit)
  std::string reason;         // why not projected
};

OomProjection ProjectTimeToOom(double limit_bytes, double in_use_bytes, double growth_bytes_per_s,
                               double growth_lo_bytes_per_s, double growth_hi_bytes_per_s);

}  // namespace clwleak::analysis
