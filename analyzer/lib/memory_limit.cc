// The limit used, the kernel's, and how they compare; see memory_limit.h.
#include "memory_limit.h"

namespace clwleak::analysis {
namespace {

// Files from before Header.memory_limit_explicit say where their limit came from only by name.
bool LimitIsASetting(const proto::Header& header) {
  return header.memory_limit_explicit() || header.memory_limit_source() == "CLWLEAK_MEMORY_LIMIT" ||
         header.memory_limit_source() == "CLW_MEMORY_LIMIT";
}

}  // namespace

EnforcedLimitHistory::EnforcedLimitHistory(const proto::Header& header)
    : start_monotonic_ns_(header.start_monotonic_ns()),
      physical_memory_bytes_(header.physical_memory_bytes()),
      recorded_(header.physical_memory_bytes() > 0) {}

void EnforcedLimitHistory::Observe(const proto::Snapshot& snapshot) {
  if (!recorded_) return;
  const bool from_cgroup = snapshot.memory_limit_bytes() > 0;
  const double bytes =
      static_cast<double>(from_cgroup ? snapshot.memory_limit_bytes() : physical_memory_bytes_);
  const std::string source = from_cgroup ? snapshot.memory_limit_source() : "physical memory";
  if (!changes_.empty() && bytes == bytes_ && source == source_) return;
  bytes_ = bytes;
  source_ = source;
  if (changes_.size() == kMaxChanges) {
    truncated_ = true;
    return;
  }
  const double seconds =
      snapshot.monotonic_ns() > start_monotonic_ns_
          ? static_cast<double>(snapshot.monotonic_ns() - start_monotonic_ns_) / 1e9
          : 0.0;
  changes_.push_back(EnforcedLimitChange{seconds, bytes, source});
}

void ResolveMemoryLimit(const proto::Header& header, const EnforcedLimitHistory& history,
                        const std::optional<uint64_t>& memory_limit_flag, MemoryReport* memory) {
  bool setting = true;
  if (memory_limit_flag) {
    memory->limit_bytes = static_cast<double>(*memory_limit_flag);
    memory->limit_source = "--memory-limit";
  } else if (LimitIsASetting(header)) {
    memory->limit_bytes = static_cast<double>(header.memory_limit_bytes());
    memory->limit_source = header.memory_limit_source();
  } else if (history.recorded() && !history.changes().empty()) {
    setting = false;
    memory->limit_bytes = history.bytes();
    memory->limit_source = history.source();
  } else {
    setting = false;
    memory->limit_bytes = static_cast<double>(header.memory_limit_bytes());
    memory->limit_source =
        header.memory_limit_source().empty() ? "file header" : header.memory_limit_source();
  }
  memory->enforced_limit_changes = history.changes();
  memory->enforced_limit_changes_truncated = history.truncated();
  if (!history.recorded() || history.changes().empty()) {
    memory->limit_check = LimitCheck::kNotRecorded;
    return;
  }
  memory->enforced_limit_bytes = history.bytes();
  memory->enforced_limit_source = history.source();
  if (!setting) {
    memory->limit_check = LimitCheck::kEnforced;
  } else if (memory->limit_bytes == history.bytes()) {
    memory->limit_check = LimitCheck::kSettingMatches;
  } else {
    memory->limit_check = memory->limit_bytes < history.bytes() ? LimitCheck::kSettingBelow
                                                                : LimitCheck::kSettingAbove;
  }
}

}  // namespace clwleak::analysis
