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
//
// Allocation age (files whose stacks carry live_bytes_by_birth): the recorder also keeps where
// each birth bucket starts on the run's axes, every stack's live bytes at the snapshot where each
// bucket opened, its live bytes by birth bucket at the last observed snapshot, and, on the grid,
// the cumulative change of its bytes born in buckets that had closed (only realloc can make them
// grow: a buffer growing in place). Memory: at most format::kMaxBirthBucketIndex values per stack
// and bucket, plus a grid series only for stacks whose closed buckets ever changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "clwleak.pb.h"
#include "snapshot_reader.h"

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

// A birth bucket's start on the run's axes (its end is the next bucket's start, or the last
// observed snapshot).
struct BucketStart {
  double requests = 0;  // cumulative request count when it opened
  double seconds = 0;   // since profiling started
  bool live_known = false;  // the stacks' live bytes at its opening were observed
};

struct StackSeries {
  uint32_t stack_id = 0;
  std::vector<double> live_bytes;  // one value per point of SeriesRecorder::points()
  // Ages. live_by_birth: live bytes by birth bucket at the last observed snapshot (missing
  // trailing values are 0). live_at_bucket_start[j]: live bytes at the snapshot where bucket j
  // opened (0 when the stack did not exist yet; missing trailing values are 0).
  std::vector<double> live_by_birth;
  std::vector<double> live_at_bucket_start;
  // Cumulative change of the bytes born in buckets already closed at the previous snapshot, one
  // value per point; empty while it has always been 0.
  std::vector<double> closed_bucket_change;
  double closed_bucket_change_now = 0;
  // The stack's counters in the last observed snapshot (recorded on the grid or not). These, not
  // the reader's final state, describe the run when the exit snapshot is left out.
  uint64_t last_live_bytes = 0;
  uint64_t last_live_count = 0;
  uint64_t last_live_samples = 0;
};

class SeriesRecorder {
 public:
  // `ages`: the file records allocation ages (its header's birth_bucket_capacity > 0).
  explicit SeriesRecorder(size_t max_points = 256, bool ages = false);

  void Observe(const proto::Snapshot& snapshot, uint64_t start_monotonic_ns);
  // A snapshot the analysis leaves out (idle, teardown): only its birth buckets are registered,
  // with the stacks' live bytes of the last observed snapshot.
  void ObserveSkipped(const proto::Snapshot& snapshot, uint64_t start_monotonic_ns);
  void Finish();

  const std::vector<RunPoint>& points() const { return points_; }
  // In order of first appearance.
  const std::vector<StackSeries>& stacks() const { return stacks_; }
  uint64_t snapshots_observed() const { return observed_; }
  // The birth buckets that existed at the last observed snapshot, in index order; empty for a
  // file without ages.
  std::vector<BucketStart> birth_buckets() const;
  bool has_ages() const { return has_ages_; }

 private:
  void Record(const RunPoint& point);
  void Compact();
  void PushValues(size_t stack);  // the stack's values at the point just added
  void RegisterBuckets(const proto::Snapshot& snapshot, uint64_t start_monotonic_ns);

  size_t max_points_;
  uint64_t stride_ = 1;
  uint64_t observed_ = 0;
  double max_requests_ = 0;
  std::vector<RunPoint> points_;
  std::vector<StackSeries> stacks_;
  std::vector<double> current_live_;  // parallel to stacks_
  std::unordered_map<uint32_t, size_t> index_of_;
  RunPoint last_;  // the last observed snapshot, recorded or not
  std::vector<BucketStart> buckets_;     // every bucket registered so far
  size_t buckets_at_last_observed_ = 0;  // of them, those defined at the last observed snapshot
  bool has_ages_ = false;
};

}  // namespace clwleak::analysis
