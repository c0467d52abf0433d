// ProfileState: everything a snapshot file has defined so far, and each stack's latest counters —
// how a reader folds snapshots forward. A snapshot defines modules, frames, stacks and birth
// buckets once (new_*), and lists only the stacks whose counters changed (stack_counters.h), so the
// state carries earlier definitions and counters forward.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "clwleak.pb.h"

namespace clwleak::format {

struct ProfileState {
  std::unordered_map<uint32_t, proto::Module> modules;
  std::unordered_map<uint32_t, proto::Frame> frames;
  std::unordered_map<uint32_t, proto::Stack> stacks;
  std::unordered_map<uint32_t, proto::StackStats> counters;
  // Allocation age: the birth buckets defined so far, by index (BirthBucket in clwleak.proto).
  // Empty for files written before the preload recorded ages. Indices at or above
  // kMaxBirthBucketIndex are ignored.
  std::vector<proto::BirthBucket> birth_buckets;

  // Folds the definitions and counters of the next snapshot of the file into the state.
  void Fold(const proto::Snapshot& snapshot);

  // The frames of a stack, innermost first; unknown frame ids are skipped.
  std::vector<const proto::Frame*> FramesOf(uint32_t stack_id) const;
  // The module a frame belongs to, or nullptr.
  const proto::Module* ModuleOf(const proto::Frame& frame) const;
};

}  // namespace clwleak::format
