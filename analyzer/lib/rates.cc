// Growth on the run's axis as rates per N requests and per hour; see rates.h.
#include "rates.h"

#include <algorithm>

namespace clwleak::analysis {

RunAxis::RunAxis(bool by_requests, std::vector<std::pair<double, double>> points, double end,
                 std::optional<double> request_rate)
    : by_requests_(by_requests),
      points_(std::move(points)),
      end_(end),
      request_rate_(request_rate && *request_rate > 0 ? request_rate : std::nullopt) {
  std::sort(points_.begin(), points_.end());
}

double RunAxis::SecondsAt(double position) const {
  if (!by_requests_) return position;
  if (points_.empty()) return 0;
  auto after = std::lower_bound(points_.begin(), points_.end(), std::make_pair(position, -1.0));
  if (after == points_.end()) return points_.back().second;
  if (after == points_.begin() || after->first == position) return after->second;
  const auto before = after - 1;
  const double fraction = (position - before->first) / (after->first - before->first);
  return before->second + fraction * (after->second - before->second);
}

double RunAxis::SecondsSince(double start) const { return SecondsAt(end_) - SecondsAt(start); }

double RunAxis::RequestsSince(double start) const {
  if (by_requests_) return end_ - start;
  return request_rate_ ? SecondsSince(start) * *request_rate_ : 0.0;
}

void RunAxis::FillSlope(const Rate& slope, double start, uint64_t per_requests,
                        std::optional<Rate>* per_n, std::optional<Rate>* per_hour) const {
  per_n->reset();
  per_hour->reset();
  const double span = end_ - start;
  const double requests = RequestsSince(start);
  const double seconds = SecondsSince(start);
  if (!(span > 0)) return;
  auto scaled = [&](double factor) {
    return Rate{slope.value * factor, slope.lo * factor, slope.hi * factor};
  };
  // Growth over the span is slope * span; per request it is that / requests.
  if (requests > 0) *per_n = scaled(span / requests * static_cast<double>(per_requests));
  if (seconds > 0) *per_hour = scaled(span / seconds * 3600.0);
}

void RunAxis::FillRates(const GrowthFit& fit, double start, uint64_t per_requests,
                        std::optional<Rate>* per_n, std::optional<Rate>* per_hour) const {
  if (!fit.valid) {
    per_n->reset();
    per_hour->reset();
    if (end_ > start && RequestsSince(start) > 0) *per_n = Rate{};
    if (end_ > start && SecondsSince(start) > 0) *per_hour = Rate{};
    return;
  }
  FillSlope(Rate{fit.slope(), fit.slope_lo(), fit.slope_hi()}, start, per_requests, per_n,
            per_hour);
}

}  // namespace clwleak::analysis
