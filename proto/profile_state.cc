// ProfileState; see profile_state.h.
#include "profile_state.h"

#include "format_limits.h"

namespace clwleak::format {

void ProfileState::Fold(const proto::Snapshot& snapshot) {
  for (const proto::Module& module : snapshot.new_modules()) modules[module.id()] = module;
  for (const proto::Frame& frame : snapshot.new_frames()) frames[frame.id()] = frame;
  for (const proto::Stack& stack : snapshot.new_stacks()) stacks[stack.id()] = stack;
  for (const proto::StackStats& stats : snapshot.stacks()) counters[stats.stack_id()] = stats;
  for (const proto::BirthBucket& bucket : snapshot.new_birth_buckets()) {
    if (bucket.index() >= kMaxBirthBucketIndex) continue;  // no honest file comes near it
    if (bucket.index() >= birth_buckets.size()) birth_buckets.resize(bucket.index() + 1);
    birth_buckets[bucket.index()] = bucket;
  }
}

std::vector<const proto::Frame*> ProfileState::FramesOf(uint32_t stack_id) const {
  std::vector<const proto::Frame*> result;
  auto stack = stacks.find(stack_id);
  if (stack == stacks.end()) return result;
  result.reserve(stack->second.frame_ids_size());
  for (uint32_t frame_id : stack->second.frame_ids()) {
    auto frame = frames.find(frame_id);
    if (frame != frames.end()) result.push_back(&frame->second);
  }
  return result;
}

const proto::Module* ProfileState::ModuleOf(const proto::Frame& frame) const {
  if (frame.module_id() == 0) return nullptr;
  auto module = modules.find(frame.module_id());
  return module == modules.end() ? nullptr : &module->second;
}

}  // namespace clwleak::format
