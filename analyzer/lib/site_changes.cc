// Leaking sites compared across a baseline and a run; see site_changes.h.
#include "site_changes.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis.h"

namespace clwleak::analysis {
namespace {

double RateOf(const SiteReport& site, bool per_hour) {
  const std::optional<Rate>& rate = per_hour ? site.per_hour : site.per_n_requests;
  return rate ? rate->value : 0.0;
}

// Leaking sites by key (a stack seen twice keeps its first, worst entry: sites are worst first).
std::map<std::string, const SiteReport*> LeakingByKey(const FileReport& file) {
  std::map<std::string, const SiteReport*> leaking;
  for (const SiteReport& site : file.sites) {
    if (site.classification == Classification::kLeak) leaking.emplace(site.key, &site);
  }
  return leaking;
}

}  // namespace

std::vector<SiteChange> CompareSites(const FileReport& baseline, const FileReport& run,
                                     bool per_hour, double max_increase_percent) {
  const auto before = LeakingByKey(baseline);
  const auto after = LeakingByKey(run);
  std::vector<SiteChange> changes;
  for (const auto& [key, site] : after) {
    SiteChange change;
    change.site = DescribeSite(*site);
    change.key = key;
    change.after = RateOf(*site, per_hour);
    auto old = before.find(key);
    if (old == before.end()) {
      change.kind = SiteChangeKind::kAppeared;
    } else {
      change.before = RateOf(*old->second, per_hour);
      if (!(change.after > change.before * (1 + max_increase_percent / 100))) continue;
      change.kind = SiteChangeKind::kGrew;
    }
    changes.push_back(std::move(change));
  }
  for (const auto& [key, site] : before) {
    if (after.count(key) != 0) continue;
    SiteChange change;
    change.kind = SiteChangeKind::kDisappeared;
    change.site = DescribeSite(*site);
    change.key = key;
    change.before = RateOf(*site, per_hour);
    changes.push_back(std::move(change));
  }
  std::stable_sort(changes.begin(), changes.end(), [](const SiteChange& a, const SiteChange& b) {
    const bool a_gone = a.kind == SiteChangeKind::kDisappeared;
    const bool b_gone = b.kind == SiteChangeKind::kDisappeared;
    if (a_gone != b_gone) return b_gone;
    const double da = std::abs(a.after - a.before), db = std::abs(b.after - b.before);
    return da != db ? da > db : a.site < b.site;
  });
  return changes;
}

}  // namespace clwleak::analysis
