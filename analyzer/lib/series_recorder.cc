// Downsampled per-stack series of live bytes; see series_recorder.h.
#include "series_recorder.h"

#include <algorithm>

#include "format_limits.h"

namespace clwleak::analysis {

SeriesRecorder::SeriesRecorder(size_t max_points, bool ages)
    : max_points_(std::max<size_t>(max_points, 4)), has_ages_(ages) {
  if (max_points_ % 2 != 0) ++max_points_;  // compaction keeps every other point
}

namespace {

double SecondsSince(uint64_t monotonic_ns, uint64_t start_monotonic_ns) {
  return monotonic_ns >= start_monotonic_ns
             ? static_cast<double>(monotonic_ns - start_monotonic_ns) * 1e-9
             : 0.0;
}

}  // namespace

void SeriesRecorder::RegisterBuckets(const proto::Snapshot& snapshot,
                                     uint64_t start_monotonic_ns) {
  if (!has_ages_) return;
  if (buckets_.empty()) {
    // Bucket 0 opens when profiling starts, with nothing live.
    buckets_.push_back(BucketStart{0, 0, true});
  }
  for (const proto::BirthBucket& bucket : snapshot.new_birth_buckets()) {
    const uint32_t index = bucket.index();
    if (index == 0 || index >= format::kMaxBirthBucketIndex) continue;
    BucketStart start;
    start.requests = static_cast<double>(bucket.start_requests());
    start.seconds = SecondsSince(bucket.start_monotonic_ns(), start_monotonic_ns);
    start.live_known = true;
    // A bucket whose predecessors were never announced: they are empty stretches at its start.
    while (buckets_.size() < index) buckets_.push_back(BucketStart{start.requests, start.seconds});
    if (index < buckets_.size()) continue;  // announced again (a forked child's first snapshot)
    buckets_.push_back(start);
    for (size_t i = 0; i < stacks_.size(); ++i) {
      if (current_live_[i] == 0) continue;
      std::vector<double>& at_start = stacks_[i].live_at_bucket_start;
      at_start.resize(index + 1, 0.0);
      at_start[index] = current_live_[i];
    }
  }
}

void SeriesRecorder::ObserveSkipped(const proto::Snapshot& snapshot,
                                    uint64_t start_monotonic_ns) {
  RegisterBuckets(snapshot, start_monotonic_ns);
}

std::vector<BucketStart> SeriesRecorder::birth_buckets() const {
  return std::vector<BucketStart>(buckets_.begin(), buckets_.begin() + buckets_at_last_observed_);
}

void SeriesRecorder::Observe(const proto::Snapshot& snapshot, uint64_t start_monotonic_ns) {
  // Buckets closed at the previous observed snapshot: no allocation is born in them any more.
  const size_t closed = buckets_at_last_observed_ > 0 ? buckets_at_last_observed_ - 1 : 0;
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
    if (has_ages_) {
      const size_t listed =
          std::min<size_t>(static_cast<size_t>(stats.live_bytes_by_birth_size()),
                           format::kMaxBirthBucketIndex);
      std::vector<double>& by_birth = series.live_by_birth;
      double change = 0;
      for (size_t b = 0; b < std::max(listed, by_birth.size()) && b < closed; ++b) {
        const double now = b < listed ? static_cast<double>(stats.live_bytes_by_birth(b)) : 0.0;
        change += now - (b < by_birth.size() ? by_birth[b] : 0.0);
      }
      series.closed_bucket_change_now += change;
      by_birth.assign(stats.live_bytes_by_birth().begin(),
                      stats.live_bytes_by_birth().begin() + static_cast<long>(listed));
    }
  }
  RegisterBuckets(snapshot, start_monotonic_ns);
  buckets_at_last_observed_ = buckets_.size();

  RunPoint point;
  point.snapshot_index = observed_++;
  max_requests_ = std::max(max_requests_, static_cast<double>(snapshot.requests()));
  point.requests = max_requests_;
  point.seconds = SecondsSince(snapshot.monotonic_ns(), start_monotonic_ns);
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
    for (size_t i = 0; i < stacks_.size(); ++i) PushValues(i);
  }
}

void SeriesRecorder::PushValues(size_t stack) {
  StackSeries& series = stacks_[stack];
  series.live_bytes.push_back(current_live_[stack]);
  if (series.closed_bucket_change.empty() && series.closed_bucket_change_now != 0) {
    series.closed_bucket_change.assign(series.live_bytes.size() - 1, 0.0);  // 0 until now
  }
  if (!series.closed_bucket_change.empty()) {
    series.closed_bucket_change.push_back(series.closed_bucket_change_now);
  }
}

void SeriesRecorder::Record(const RunPoint& point) {
  if (points_.size() == max_points_) Compact();
  points_.push_back(point);
  for (size_t i = 0; i < stacks_.size(); ++i) PushValues(i);
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
  for (StackSeries& series : stacks_) {
    keep_even(series.live_bytes);
    if (!series.closed_bucket_change.empty()) keep_even(series.closed_bucket_change);
  }
  stride_ *= 2;
}

}  // namespace clwleak::analysis
