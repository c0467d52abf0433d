// The run's axis (cumulative requests, or seconds since profiling started) and the conversion of
// growth measured along it into bytes per N requests and per hour. A fit may start anywhere on the
// axis (the window after warm-up, or the onset of a leak that started late) and always ends at
// the last observed snapshot. Built by analysis.cc once per file; immutable, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "growth_fit.h"
#include "report.h"

namespace clwleak::analysis {

class RunAxis {
 public:
  // `points`: (axis position, seconds since start) of the snapshots and birth buckets known, in
  // any order; the last observed snapshot is at `end`. `request_rate`: requests per second for a
  // time axis (--request-rate), else unset.
  RunAxis(bool by_requests, std::vector<std::pair<double, double>> points, double end,
          std::optional<double> request_rate);

  bool by_requests() const { return by_requests_; }
  double end() const { return end_; }
  // Seconds since profiling started at an axis position (interpolated between known points).
  double SecondsAt(double position) const;
  // From `start` to the end: requests (0 when unknown) and seconds.
  double RequestsSince(double start) const;
  double SecondsSince(double start) const;
  // A fit's growth from `start` to the end, as bytes per `per_requests` requests (null without
  // requests) and per hour (null without duration). An invalid fit gives zero rates.
  void FillRates(const GrowthFit& fit, double start, uint64_t per_requests,
                 std::optional<Rate>* per_n, std::optional<Rate>* per_hour) const;
  // The same for a rate in bytes per axis unit (value and interval), e.g. a sum of sites.
  void FillSlope(const Rate& slope, double start, uint64_t per_requests, std::optional<Rate>* per_n,
                 std::optional<Rate>* per_hour) const;

 private:
  bool by_requests_;
  std::vector<std::pair<double, double>> points_;  // sorted by axis position
  double end_;
  std::optional<double> request_rate_;
};

}  // namespace clwleak::analysis
