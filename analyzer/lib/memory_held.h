// Memory held: which stacks and modules held the process's memory at its last snapshot and at its
// peak (the snapshot with the most memory in use), and what grew over the last few snapshots
// before the end. HeldMemoryTracker follows the snapshots the analysis observes (bounded memory:
// the stacks' current counters, one copy at the peak, and the changes of the last few snapshots);
// The peak is kept lazily: from a new peak on, each change records the value it replaced, and the
// peak is rebuilt from the current counters by undoing them; once the record holds as many
// changes as there are stacks it is made into a copy (so time and memory stay linear in the
// changes read, whatever the shape of the run).
// FillHeldMemory turns what it kept into the report's HeldMemoryReport (report.h), naming each
// stack by its site. Called by analysis.cc; not thread-safe (one tracker per file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clwleak.pb.h"
#include "report.h"

namespace clwleak::analysis {

// One stack's memory at one snapshot.
struct HeldCounters {
  double live_bytes = 0;
  double live_count = 0;
  uint64_t largest_allocation_bytes = 0;  // since the process started; 0 = not recorded
};

// The process and its stacks at one snapshot.
struct HeldState {
  bool valid = false;
  uint64_t snapshot_index = 0;  // among the observed snapshots
  double seconds = 0;
  double requests = 0;
  double in_use_bytes = 0;  // cgroup memory in use when recorded, else RSS
  double heap_live_bytes = 0;
  std::vector<std::pair<uint32_t, HeldCounters>> stacks;  // those holding memory
};

class HeldMemoryTracker {
 public:
  // `final_snapshots`: how many snapshots before the end "the final stretch" reaches back.
  explicit HeldMemoryTracker(size_t final_snapshots = 3);

  // `seconds` since profiling started, `requests` cumulative (as SeriesRecorder counts them).
  void Observe(const proto::Snapshot& snapshot, double seconds, double requests);

  HeldState End() const;
  HeldState Peak() const;
  // The state `final_snapshots` snapshots before the end (the first observed one when the file
  // has fewer); invalid when fewer than two snapshots were observed.
  HeldState BeforeEnd() const;

 private:
  struct Change {
    HeldState facts;  // without stacks
    std::vector<std::pair<uint32_t, HeldCounters>> stacks;
  };
  static HeldState Snapshot(const std::unordered_map<uint32_t, HeldCounters>& stacks,
                            const HeldState& facts);

  size_t final_snapshots_;
  uint64_t observed_ = 0;
  std::unordered_map<uint32_t, HeldCounters> current_;
  HeldState current_facts_;
  std::unordered_map<uint32_t, HeldCounters> lagged_;
  HeldState lagged_facts_;
  std::deque<Change> recent_;  // the changes of the last final_snapshots snapshots
  HeldState peak_facts_;       // without stacks
  HeldState peak_;             // the peak's copy, once made (see above)
  bool peak_lazy_ = false;     // the peak is current_ with undo_ undone
  std::vector<std::pair<uint32_t, HeldCounters>> undo_;  // values replaced since the peak
};

// How many stacks and modules each held-memory list keeps.
inline constexpr size_t kHeldTop = 10;

// Fills file->held from the tracker, naming stacks by file->sites (matched by stack id) and
// judging memory in use against file->memory.limit_bytes.
void FillHeldMemory(const HeldMemoryTracker& tracker, FileReport* file);

}  // namespace clwleak::analysis
