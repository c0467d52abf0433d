// Time-to-OOM arithmetic; see oom_projection.h.
#include "oom_projection.h"

#include <algorithm>
#include <limits>

namespace clwleak::analysis {

OomProjection ProjectTimeToOom(double limit_bytes, double in_use_bytes, double growth_bytes_per_s,
                               double growth_lo_bytes_per_s, double growth_hi_bytes_per_s) {
  OomProjection projection;
  projection.headroom_bytes = limit_bytes - in_use_bytes;
  if (!(growth_bytes_per_s > 0)) {
    projection.reason = "nothing grows";
    return projection;
  }
  if (!(limit_bytes > 0)) {
    projection.reason = "the memory limit is unknown (use --memory-limit)";
    return projection;
  }
  projection.projected = true;
  const double headroom = std::max(projection.headroom_bytes, 0.0);
  projection.seconds = headroom / growth_bytes_per_s;
  projection.seconds_lo = headroom / std::max(growth_hi_bytes_per_s, growth_bytes_per_s);
  projection.seconds_hi = growth_lo_bytes_per_s > 0 ? headroom / growth_lo_bytes_per_s
                                                    : std::numeric_limits<double>::infinity();
  return projection;
}

}  // namespace clwleak::analysis
