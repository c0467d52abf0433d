// Run-level verdict, materiality and the gates' interval; see verdict.h.
#include "verdict.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace clwleak::analysis {

double MaterialBytesPerHour(double limit_bytes) {
  const double limit = limit_bytes > 0 ? limit_bytes : kDefaultMaterialLimitBytes;
  return limit / kMaterialHorizonHours;
}

Rate SumIndependent(const std::vector<Rate>& parts) {
  Rate sum;
  double below = 0, above = 0;
  for (const Rate& part : parts) {
    sum.value += part.value;
    below += (part.value - part.lo) * (part.value - part.lo);
    above += (part.hi - part.value) * (part.hi - part.value);
  }
  sum.lo = sum.value - std::sqrt(below);
  sum.hi = sum.value + std::sqrt(above);
  return sum;
}

Rate GateBound(const Rate& leak_total, const std::vector<Rate>& inconclusive, double resolution) {
  Rate bound = leak_total;
  double above = (leak_total.hi - leak_total.value) * (leak_total.hi - leak_total.value);
  double value = leak_total.value;
  for (const Rate& site : inconclusive) {
    value += std::max(site.value, 0.0);
    above += (site.hi - site.value) * (site.hi - site.value);
  }
  bound.hi = std::max(value + std::sqrt(above), resolution);
  bound.hi = std::max(bound.hi, leak_total.hi);
  return bound;
}

Classification JudgeRun(const std::vector<SiteReport>& sites, bool sampled, bool resolution_matters,
                        bool nothing_to_fit, std::vector<VerdictReason>* reasons) {
  reasons->clear();
  bool bounded = false;
  std::map<InconclusiveReason, VerdictReason> by_reason;
  for (const SiteReport& site : sites) {
    if (site.classification == Classification::kLeak) return Classification::kLeak;
    bounded = bounded || site.classification == Classification::kBounded;
    if (site.classification != Classification::kInconclusive) continue;
    VerdictReason& entry = by_reason[site.inconclusive_reason];
    entry.reason = site.inconclusive_reason;
    entry.remedies |= site.remedies;
    ++entry.sites;
  }
  for (const auto& [reason, entry] : by_reason) reasons->push_back(entry);
  if (nothing_to_fit) {
    reasons->push_back(VerdictReason{InconclusiveReason::kTooFewSnapshots,
                                     RemediesFor(InconclusiveReason::kTooFewSnapshots, sampled),
                                     0});
  } else if (resolution_matters) {
    reasons->push_back(VerdictReason{InconclusiveReason::kRunTooShort,
                                     RemediesFor(InconclusiveReason::kRunTooShort, sampled), 0});
  }
  if (!reasons->empty()) return Classification::kInconclusive;
  return bounded ? Classification::kBounded : Classification::kStable;
}

int Severity(Classification classification) {
  switch (classification) {
    case Classification::kLeak:
      return 3;
    case Classification::kInconclusive:
      return 2;
    case Classification::kBounded:
      return 1;
    case Classification::kStable:
      return 0;
  }
  return 0;
}

}  // namespace clwleak::analysis
