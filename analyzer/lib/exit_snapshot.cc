// The exit snapshot's teardown rule; see exit_snapshot.h.
#include "exit_snapshot.h"

#include <algorithm>

namespace clwleak::analysis {
namespace {
constexpr double kZ975 = 1.959963984540054;
}  // namespace

void TeardownJudge::ObserveRunning(double heap_live_bytes) {
  if (running_ > 0) largest_fall_ = std::max(largest_fall_, last_heap_ - heap_live_bytes);
  last_heap_ = heap_live_bytes;
  ++running_;
}

bool TeardownJudge::IsTeardown(double exit_heap_live_bytes) const {
  if (running_ < kMinRunningSnapshots) return false;
  const double fall = last_heap_ - exit_heap_live_bytes;
  const double sampling = sample_rate_ > 1 ? kZ975 * kZ975 * sample_rate_ : 0.0;
  const double material = std::max({largest_fall_, kMinTeardownFraction * last_heap_, sampling});
  return fall > 0 && fall > material;
}

}  // namespace clwleak::analysis
