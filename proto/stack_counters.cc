// StackCounters and ListedStacks; see stack_counters.h.
#include "stack_counters.h"

namespace clwleak::format {

bool StackCounters::operator==(const StackCounters& other) const {
  return live_bytes == other.live_bytes && live_count == other.live_count &&
         allocated_bytes == other.allocated_bytes && allocated_count == other.allocated_count &&
         freed_bytes == other.freed_bytes && freed_count == other.freed_count &&
         live_samples == other.live_samples && allocated_samples == other.allocated_samples;
}

void StackCounters::ToProto(proto::StackStats* stats) const {
  stats->set_live_bytes(live_bytes);
  stats->set_live_count(live_count);
  stats->set_allocated_bytes(allocated_bytes);
  stats->set_allocated_count(allocated_count);
  stats->set_freed_bytes(freed_bytes);
  stats->set_freed_count(freed_count);
  stats->set_live_samples(live_samples);
  stats->set_allocated_samples(allocated_samples);
}

StackCounters StackCounters::FromProto(const proto::StackStats& stats) {
  StackCounters counters;
  counters.live_bytes = stats.live_bytes();
  counters.live_count = stats.live_count();
  counters.allocated_bytes = stats.allocated_bytes();
  counters.allocated_count = stats.allocated_count();
  counters.freed_bytes = stats.freed_bytes();
  counters.freed_count = stats.freed_count();
  counters.live_samples = stats.live_samples();
  counters.allocated_samples = stats.allocated_samples();
  return counters;
}

bool ListedStacks::ShouldList(uint32_t stack_id, const StackCounters& now, bool final) {
  if (stack_id >= listed_.size()) listed_.resize(stack_id + 1);
  Entry& entry = listed_[stack_id];
  if (!final && entry.listed && entry.counters == now) return false;
  entry.counters = now;
  entry.listed = true;
  return true;
}

}  // namespace clwleak::format
