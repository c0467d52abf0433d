// Downsampled per-stack series of live bytes; see series_recorder.h.
#include "series_recorder.h"

#include <algorithm>

namespace clwleak::analysis {

SeriesRecorder::SeriesRecorder(size_t max_points) : max_points_(std::max<size_t>(max_points, 4)) {
  if (max_points_ % 2 != 0) ++max_points_;  // compaction keeps every other point
}

void SeriesRecorder::Observe(const proto::Snapshot& snapshot, uint64_t start_monotonic_ns) {
  for (const proto::StackStats& stats : snapshot.stacks()) {
    auto [it, inserted] = index_of_.emplace(stats.stack_id(), stacks_.size());
    if (inserted) {
      StackSeries series;
      series.stack_id = stats.stack_id();
      // Before its first appearance a stack had nothing live.
      series.live_bytes.assign(points_.size(), 0.0);
      series.live_bytes.reserve(max_points_ + 1);
      stacks_.push_back(std::move(series));
      current_live_.push_back(0);
    }
    current_live_[it->second] = static_cast<double>(stats.live_bytes());
    StackSeries& series = stacks_[it->second];
    series.last_live_bytes = stats.live_bytes();
    series.last_live_count = stats.live_count();
    series.last_live_samples = stats.live_samples();
  }

  RunPoint point;
  point.snapshot_index = observed_++;
  max_requests_ = std::max(max_requests_, static_cast<double>(snapshot.requests()));
  point.requests = max_requests_;
  point.seconds = snapshot.monotonic_ns() >= start_monotonic_ns
                      ? static_cast<double>(snapshot.monotonic_ns() - start_monotonic_ns) * 1e-9
                      : 0.0;
  if (!points_.empty()) point.seconds = std::max(point.seconds, last_.seconds);
  point.rss_bytes = static_cast<double>(snapshot.rss_bytes());
  if (snapshot.has_cgroup_memory_current()) {
    point.cgroup_memory_current = static_cast<double>(snapshot.cgroup_memory_current());
  }
  point.heap_live_bytes = static_cast<double>(snapshot.heap_live_bytes());
  last_ = point;
  if (point.snapshot_index % stride_ == 0) Record(point);
}

void SeriesRecorder::Finish() {
  if (observed_ == 0) return;
  if (points_.empty() || points_.back().snapshot_index != last_.snapshot_index) {
    points_.push_back(last_);
    for (size_t i = 0; i < stacks_.size(); ++i) stacks_[i].live_bytes.push_back(current_live_[i]);
  }
}

void SeriesRecorder::Record(const RunPoint& point) {
  if (points_.size() == max_points_) Compact();
  points_.push_back(point);
  for (size_t i = 0; i < stacks_.size(); ++i) stacks_[i].live_bytes.push_back(current_live_[i]);
}

void SeriesRecorder::Compact() {
  // Points sit at snapshots 0, s, 2s, ...; keeping the even ones leaves 0, 2s, 4s, ... and the
  // next point due (at max_points * s) is a multiple of 2s.
  auto keep_even = [](auto& values) {
    size_t out = 0;
    for (size_t i = 0; i < values.size(); i += 2) values[out++] = values[i];
    values.resize(out);
  };
  keep_even(points_);
  for (StackSeries& series : stacks_) keep_even(series.live_bytes);
  stride_ *= 2;
}

}  // namespace clwleak::analysis
