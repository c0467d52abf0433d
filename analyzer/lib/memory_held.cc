// Memory held at the end, at the peak, and over the final stretch; see memory_held.h.
#include "memory_held.h"

#include <algorithm>
#include <map>
#include <string>

namespace clwleak::analysis {

HeldMemoryTracker::HeldMemoryTracker(size_t final_snapshots)
    : final_snapshots_(std::max<size_t>(final_snapshots, 1)) {}

HeldState HeldMemoryTracker::Snapshot(const std::unordered_map<uint32_t, HeldCounters>& stacks,
                                      const HeldState& facts) {
  HeldState state = facts;
  state.stacks.clear();
  for (const auto& [id, counters] : stacks) {
    if (counters.live_bytes > 0) state.stacks.emplace_back(id, counters);
  }
  return state;
}

void HeldMemoryTracker::Observe(const proto::Snapshot& snapshot, double seconds, double requests) {
  Change change;
  change.facts.valid = true;
  change.facts.snapshot_index = observed_++;
  change.facts.seconds = seconds;
  change.facts.requests = requests;
  change.facts.in_use_bytes =
      static_cast<double>(snapshot.has_cgroup_memory_current() ? snapshot.cgroup_memory_current()
                                                               : snapshot.rss_bytes());
  change.facts.heap_live_bytes = static_cast<double>(snapshot.heap_live_bytes());
  change.stacks.reserve(static_cast<size_t>(snapshot.stacks_size()));
  const bool new_peak = !peak_facts_.valid || change.facts.in_use_bytes > peak_facts_.in_use_bytes;
  for (const proto::StackStats& stats : snapshot.stacks()) {
    HeldCounters counters;
    counters.live_bytes = static_cast<double>(stats.live_bytes());
    counters.live_count = static_cast<double>(stats.live_count());
    counters.largest_allocation_bytes = stats.largest_allocation_bytes();
    HeldCounters& slot = current_[stats.stack_id()];
    if (peak_lazy_ && !new_peak) undo_.emplace_back(stats.stack_id(), slot);
    slot = counters;
    change.stacks.emplace_back(stats.stack_id(), counters);
  }
  current_facts_ = change.facts;
  // The peak: the most memory in use; the first snapshot that reached it.
  if (new_peak) {
    peak_facts_ = change.facts;
    peak_lazy_ = true;
    undo_.clear();
  } else if (peak_lazy_ && undo_.size() > current_.size()) {
    peak_ = Peak();
    peak_lazy_ = false;
    undo_.clear();
  }
  // The first observed snapshot is the base of the final stretch until there are more.
  if (observed_ == 1) {
    lagged_ = current_;
    lagged_facts_ = change.facts;
    return;
  }
  recent_.push_back(std::move(change));
  if (recent_.size() > final_snapshots_) {
    for (const auto& [id, counters] : recent_.front().stacks) lagged_[id] = counters;
    lagged_facts_ = recent_.front().facts;
    recent_.pop_front();
  }
}

HeldState HeldMemoryTracker::End() const {
  if (observed_ == 0) return HeldState{};
  return Snapshot(current_, current_facts_);
}

HeldState HeldMemoryTracker::Peak() const {
  if (!peak_lazy_) return peak_;
  std::unordered_map<uint32_t, HeldCounters> stacks = current_;
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) stacks[it->first] = it->second;
  return Snapshot(stacks, peak_facts_);
}

HeldState HeldMemoryTracker::BeforeEnd() const {
  if (observed_ < 2) return HeldState{};
  return Snapshot(lagged_, lagged_facts_);
}

namespace {

// The sites by stack id.
std::unordered_map<uint32_t, const SiteReport*> SitesById(const FileReport& file) {
  std::unordered_map<uint32_t, const SiteReport*> sites;
  for (const SiteReport& site : file.sites) sites.emplace(site.stack_id, &site);
  return sites;
}

HeldSite MakeHeldSite(const SiteReport* site, uint32_t stack_id, const HeldCounters& counters,
                      double heap) {
  HeldSite held;
  if (site != nullptr) {
    held.site = *site;
  } else {
    held.site.stack_id = stack_id;
  }
  held.live_bytes = counters.live_bytes;
  held.live_count = counters.live_count;
  held.share = heap > 0 ? counters.live_bytes / heap : 0;
  held.largest_allocation_bytes = counters.largest_allocation_bytes;
  return held;
}

HeldMoment MakeMoment(const HeldState& state, const FileReport& file,
                      const std::unordered_map<uint32_t, const SiteReport*>& sites) {
  HeldMoment moment;
  if (!state.valid) return moment;
  moment.valid = true;
  moment.seconds = state.seconds;
  moment.requests = state.requests;
  moment.in_use_bytes = state.in_use_bytes;
  moment.heap_live_bytes = state.heap_live_bytes;
  if (file.memory.limit_bytes > 0) {
    moment.in_use_of_limit = state.in_use_bytes / file.memory.limit_bytes;
  }
  // Shares are of what the stacks hold (heap_live_bytes is their sum as the preload read it).
  double heap = 0;
  for (const auto& entry : state.stacks) {
    heap += entry.second.live_bytes;
    moment.heap_live_count += entry.second.live_count;
  }
  std::vector<std::pair<uint32_t, HeldCounters>> order = state.stacks;
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.second.live_bytes != b.second.live_bytes)
      return a.second.live_bytes > b.second.live_bytes;
    return a.first < b.first;
  });
  std::map<std::string, HeldModule> modules;
  for (const auto& [id, counters] : order) {
    auto site = sites.find(id);
    const SiteReport* report = site == sites.end() ? nullptr : site->second;
    if (moment.sites.size() < kHeldTop) {
      moment.sites.push_back(MakeHeldSite(report, id, counters, heap));
    }
    const std::string name = report != nullptr ? report->module : std::string();
    HeldModule& module = modules[name];
    module.module = name;
    module.live_bytes += counters.live_bytes;
    module.live_count += counters.live_count;
    module.largest_allocation_bytes =
        std::max(module.largest_allocation_bytes, counters.largest_allocation_bytes);
    ++module.stacks;
  }
  for (auto& [name, module] : modules) {
    module.share = heap > 0 ? module.live_bytes / heap : 0;
    moment.modules.push_back(module);
  }
  std::sort(
      moment.modules.begin(), moment.modules.end(), [](const HeldModule& a, const HeldModule& b) {
        return a.live_bytes != b.live_bytes ? a.live_bytes > b.live_bytes : a.module < b.module;
      });
  if (moment.modules.size() > kHeldTop) moment.modules.resize(kHeldTop);
  return moment;
}

}  // namespace

void FillHeldMemory(const HeldMemoryTracker& tracker, FileReport* file) {
  const auto sites = SitesById(*file);
  HeldMemoryReport& held = file->held;
  const HeldState end = tracker.End();
  held.end = MakeMoment(end, *file, sites);
  const HeldState peak = tracker.Peak();
  held.peak = MakeMoment(peak, *file, sites);
  held.peak_is_end = peak.valid && end.valid && peak.snapshot_index == end.snapshot_index;
  for (const auto& entry : peak.stacks) {
    if (entry.second.largest_allocation_bytes > 0) held.largest_recorded = true;
    held.peak_live_bytes_by_stack.emplace_back(entry.first, entry.second.live_bytes);
  }
  std::sort(held.peak_live_bytes_by_stack.begin(), held.peak_live_bytes_by_stack.end());
  for (const auto& entry : end.stacks) {
    if (entry.second.largest_allocation_bytes > 0) held.largest_recorded = true;
  }

  const HeldState before = tracker.BeforeEnd();
  if (!before.valid || !end.valid) return;
  FinalStretch& stretch = held.final_stretch;
  stretch.valid = true;
  stretch.snapshots = static_cast<size_t>(end.snapshot_index - before.snapshot_index);
  stretch.seconds = end.seconds - before.seconds;
  stretch.requests = end.requests - before.requests;
  stretch.in_use_growth_bytes = end.in_use_bytes - before.in_use_bytes;
  stretch.heap_growth_bytes = end.heap_live_bytes - before.heap_live_bytes;
  std::unordered_map<uint32_t, double> before_bytes;
  for (const auto& [id, counters] : before.stacks) before_bytes[id] = counters.live_bytes;
  double heap = 0;
  for (const auto& entry : end.stacks) heap += entry.second.live_bytes;
  for (const auto& [id, counters] : end.stacks) {
    const auto it = before_bytes.find(id);
    const double growth = counters.live_bytes - (it == before_bytes.end() ? 0.0 : it->second);
    if (!(growth > 0)) continue;
    auto site = sites.find(id);
    HeldSite grew = MakeHeldSite(site == sites.end() ? nullptr : site->second, id, counters, heap);
    grew.growth_bytes = growth;
    stretch.grew.push_back(std::move(grew));
  }
  std::sort(stretch.grew.begin(), stretch.grew.end(), [](const HeldSite& a, const HeldSite& b) {
    return a.growth_bytes != b.growth_bytes ? a.growth_bytes > b.growth_bytes
                                            : a.site.stack_id < b.site.stack_id;
  });
  if (stretch.grew.size() > kHeldTop) stretch.grew.resize(kHeldTop);
}

}  // namespace clwleak::analysis
