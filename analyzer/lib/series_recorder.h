// SeriesRecorder: turns the stream of snapshots into per-stack series of live bytes on a common
// grid of at most `max_points` points, so that memory stays bounded by (stacks x points) however
// long the file is. Called by analysis.cc after every SnapshotReader::Next(); not thread-safe.
//
// Grid: snapshot k becomes a point when k is a multiple of the stride (initially 1). When the grid
// is full, every other point is dropped and the stride doubles, so the points stay evenly spread
// over the snapshots read so far; Finish() adds the last snapshot. The fit's estimate depends only
// on the end points, which are always kept; its noise estimate works on increments, and merging two
// increments gives the increment over both, so coarser points keep it unbiased (with fewer
// degrees of freedom).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "clwleak.pb.h"

namespace clwleak::analysis {

// Facts of the process at one grid point.
struct RunPoint {
  uint64_t snapshot_index = 0;  // 0-based position in the file
  double requests = 0;          // cumulative requests (never decreasing)
  double seconds = 0;           // since the header's start_monotonic_ns
  double rss_bytes = 0;
  std::optional<double> cgroup_memory_current;
  double heap_live_bytes = 0;
};

struct StackSeries {
  uint32_t stack_id = 0;
  std::vector<double> live_bytes;  // one value per point of SeriesRecorder::points()
  // The stack's counters in the last observed snapshot (recorded on the grid or not). These, not
  // the reader's final state, describe the run when the exit snapshot is left out.
  uint64_t last_live_bytes = 0;
  uint64_t last_live_count = 0;
  uint64_t last_live_samples = 0;
};

class SeriesRecorder {
 public:
  explicit SeriesRecorder(size_t max_points = 256);

  void Observe(const proto::Snapshot& snapshot, uint64_t start_monotonic_ns);
  void Finish();

  const std::vector<RunPoint>& points() const { return points_; }
  // In order of first appearance.
  const std::vector<StackSeries>& stacks() const { return stacks_; }
  uint64_t snapshots_observed() const { return observed_; }

 private:
  void Record(const RunPoint& point);
  void Compact();

  size_t max_points_;
  uint64_t stride_ = 1;
  uint64_t observed_ = 0;
  double max_requests_ = 0;
  std::vector<RunPoint> points_;
  std::vector<StackSeries> stacks_;
  std::vector<double> current_live_;  // parallel to stacks_
  std::unordered_map<uint32_t, size_t> index_of_;
  RunPoint last_;  // the last observed snapshot, recorded or not
};

}  // namespace clwleak::analysis
