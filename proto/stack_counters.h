// The counters a snapshot carries for one stack (StackStats in clwleak.proto), and the rule for
// which stacks a snapshot lists: those whose counters changed since the file last listed them, and
// every stack in the final snapshot. Readers carry the others forward (profile_state.h).
#pragma once

#include <cstdint>
#include <vector>

#include "clwleak.pb.h"

namespace clwleak::format {

// One stack's cumulative counters. Counts are whole (the preload's fixed-point counts rounded);
// samples are the unweighted sampled allocations behind the byte estimates.
struct StackCounters {
  uint64_t live_bytes = 0;
  uint64_t live_count = 0;
  uint64_t allocated_bytes = 0;
  uint64_t allocated_count = 0;
  uint64_t freed_bytes = 0;
  uint64_t freed_count = 0;
  uint64_t live_samples = 0;
  uint64_t allocated_samples = 0;

  bool operator==(const StackCounters& other) const;
  bool operator!=(const StackCounters& other) const { return !(*this == other); }

  // Fills the counter fields of `stats` (not stack_id, not the birth histogram).
  void ToProto(proto::StackStats* stats) const;
  static StackCounters FromProto(const proto::StackStats& stats);
};

// Which stacks the next snapshot lists. Stack ids are dense from 0 (preload) or 1 (tests' writer);
// memory is one StackCounters per id up to the highest seen.
class ListedStacks {
 public:
  // True when the snapshot lists `stack_id` with `now`: the file has not listed it yet, its
  // counters changed since, or the snapshot is the final one. Records `now` as listed when true.
  bool ShouldList(uint32_t stack_id, const StackCounters& now, bool final);
  // A new file (a forked child's): nothing listed yet.
  void Clear() { listed_.clear(); }

 private:
  struct Entry {
    StackCounters counters;
    bool listed = false;
  };
  std::vector<Entry> listed_;
};

}  // namespace clwleak::format
