// The libraries only the preload needs, kept out of the start-up profile; see own_dependencies.h.
#include "own_dependencies.h"

#include "base.h"
#include "loaded_objects.h"

namespace clwleak {
namespace {

constexpr size_t kMaxObjects = 512;  // start-up objects: a few dozen in practice
constexpr size_t kMaxRanges = 32;

struct Range {
  uintptr_t begin;
  uintptr_t end;
};

Range g_ranges[kMaxRanges];
std::atomic<uint32_t> g_range_count{0};  // 0 once forgotten

}  // namespace

void FindOwnDependencies() {
  const size_t bytes = kMaxObjects * sizeof(LoadedObjectEntry) + 2 * kMaxObjects * sizeof(size_t);
  void* memory = RawMapAnonymous(bytes);
  if (memory == nullptr) return;
  LoadedObjects objects(static_cast<LoadedObjectEntry*>(memory), kMaxObjects);
  size_t* order = reinterpret_cast<size_t*>(static_cast<LoadedObjectEntry*>(memory) + kMaxObjects);
  size_t* host_order = order + kMaxObjects;
  objects.Collect();
  const size_t self = objects.IndexContaining(reinterpret_cast<uintptr_t>(&FindOwnDependencies));
  if (self != SIZE_MAX) {
    constexpr uint8_t kOurs = 1, kHosts = 2;
    size_t count = 0, host_count = 0;
    objects[self].marks |= kOurs;
    order[count++] = self;
    objects.ExtendByNeeds(order, &count, kMaxObjects, kOurs);
    // The host's: everything the preload did not bring (the program, other preloads, what they
    // loaded), and all they need.
    for (size_t i = 0; i < objects.count(); ++i) {
      if ((objects[i].marks & kOurs) == 0 && objects[i].base_namespace) {
        objects[i].marks |= kHosts;
        host_order[host_count++] = i;
      }
    }
    objects.ExtendByNeeds(host_order, &host_count, kMaxObjects, kHosts);
    uint32_t ranges = 0;
    for (size_t i = 0; i < count && ranges < kMaxRanges; ++i) {
      if (order[i] == self || (objects[order[i]].marks & kHosts) != 0) continue;
      Range& range = g_ranges[ranges++];
      objects[order[i]].elf.Extent(&range.begin, &range.end);
    }
    g_range_count.store(ranges, std::memory_order_release);
  }
  RawUnmap(memory, bytes);
}

void ForgetOwnDependencies() { g_range_count.store(0, std::memory_order_release); }

bool IsOwnDependencyStartup(const uintptr_t* frames, uint32_t depth) {
  const uint32_t ranges = g_range_count.load(std::memory_order_acquire);
  for (uint32_t f = 0; f < depth && ranges != 0; ++f) {
    for (uint32_t r = 0; r < ranges; ++r) {
      if (frames[f] >= g_ranges[r].begin && frames[f] < g_ranges[r].end) return true;
    }
  }
  return false;
}

}  // namespace clwleak
