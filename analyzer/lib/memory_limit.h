// The memory limit a file's time-to-OOM projection uses, the limit the kernel enforces as the
// preload recorded it, how the two compare, and how the kernel's limit changed over the run.
// Called by analysis.cc, which feeds it every snapshot it reads; pure, not thread-safe.
//
// Which limit is used: --memory-limit, else a setting the preload recorded (CLWLEAK_MEMORY_LIMIT,
// CLW_MEMORY_LIMIT), else the kernel's limit as of the last snapshot (the cgroup's, else physical
// memory), else, for files from preloads that did not record it, the header's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clwleak.pb.h"
#include "report.h"

namespace clwleak::analysis {

class EnforcedLimitHistory {
 public:
  // At most this many changes are kept; a file that changes more says so (truncated()).
  static constexpr size_t kMaxChanges = 64;

  explicit EnforcedLimitHistory(const proto::Header& header);

  // Every snapshot read, in order.
  void Observe(const proto::Snapshot& snapshot);

  // The file records the kernel's limit (written by a preload that reads it at every snapshot).
  bool recorded() const { return recorded_; }
  // The first value and every change, each with the time it was first seen.
  const std::vector<EnforcedLimitChange>& changes() const { return changes_; }
  bool truncated() const { return truncated_; }
  // As of the last snapshot observed; 0 when not recorded or no snapshot was observed.
  double bytes() const { return bytes_; }
  const std::string& source() const { return source_; }

 private:
  uint64_t start_monotonic_ns_;
  uint64_t physical_memory_bytes_;
  bool recorded_;
  double bytes_ = 0;
  std::string source_;
  std::vector<EnforcedLimitChange> changes_;
  bool truncated_ = false;
};

// Fills `memory`'s limit, enforced limit, limit check and history.
void ResolveMemoryLimit(const proto::Header& header, const EnforcedLimitHistory& history,
                        const std::optional<uint64_t>& memory_limit_flag, MemoryReport* memory);

}  // namespace clwleak::analysis
