// Whether the exit snapshot shows teardown. The preload writes its final snapshot after the
// program's atexit handlers and static destructors ran: a worker that frees its caches and pools
// on exit looks there as if they never held anything. analysis.cc leaves such a snapshot out of
// the growth series. Called by analysis.cc while it reads a file; not thread-safe.
//
// Rule: the exit snapshot is teardown when the file has at least kMinRunningSnapshots snapshots
// of the running process and its heap fell materially below the last of them, by more than each
// of: the largest fall between two consecutive running snapshots (the process's own noise:
// churn, requests in flight), kMinTeardownFraction of that last heap, and in sampled mode
// z^2 R bytes (what a few samples more or less can move). A heap a few bytes lower is the running
// process, not its teardown, and keeps the snapshot, as does a run with little else to show.
#pragma once

#include <cstdint>

namespace clwleak::analysis {

inline constexpr uint64_t kMinRunningSnapshots = 3;
inline constexpr double kMinTeardownFraction = 0.01;

class TeardownJudge {
 public:
  explicit TeardownJudge(double sample_rate_bytes) : sample_rate_(sample_rate_bytes) {}

  // A snapshot of the running process that the analysis keeps.
  void ObserveRunning(double heap_live_bytes);
  // True when an exit snapshot with this heap is teardown (see the rule above).
  bool IsTeardown(double exit_heap_live_bytes) const;

 private:
  double sample_rate_;
  uint64_t running_ = 0;
  double last_heap_ = 0;
  double largest_fall_ = 0;
};

}  // namespace clwleak::analysis
