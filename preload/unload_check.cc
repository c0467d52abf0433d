// The start-up objects and the check a dlclose makes with them; see unload_check.h.
#include "unload_check.h"

#include <link.h>

#include <atomic>

#include "elf_dynamic.h"

namespace clwleak {
namespace {

constexpr uint32_t kMaxObjects = 256;

struct Extent {
  uintptr_t begin;
  uintptr_t end;
};

Extent g_extents[kMaxObjects];
std::atomic<uint32_t> g_extent_count{0};  // published after the extents
bool g_overflow = false;                  // written before g_extent_count is published
std::atomic<uint32_t> g_checked{0};       // stacks below this need no symbolization before dlclose

int NoteObject(dl_phdr_info* info, size_t, void* count) {
  uint32_t& noted = *static_cast<uint32_t*>(count);
  if (noted == kMaxObjects) {
    g_overflow = true;
    return 1;
  }
  Extent& extent = g_extents[noted];
  LoadedExtent(LoadedObjectOf(*info), &extent.begin, &extent.end);
  if (extent.begin < extent.end) ++noted;
  return 0;
}

void AdvanceChecked(uint32_t count) {
  uint32_t checked = g_checked.load(std::memory_order_relaxed);
  while (checked < count &&
         !g_checked.compare_exchange_weak(checked, count, std::memory_order_relaxed)) {
  }
}

}  // namespace

void NoteStartupObjects() {
  uint32_t noted = 0;
  dl_iterate_phdr(&NoteObject, &noted);
  g_extent_count.store(noted, std::memory_order_release);
}

bool InStartupObject(uintptr_t address) {
  const uint32_t count = g_extent_count.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < count; ++i) {
    if (address >= g_extents[i].begin && address < g_extents[i].end) return true;
  }
  return false;
}

bool StacksNeedSymbolsBeforeUnload(const StackTable& stacks, uint32_t* count) {
  *count = stacks.id_count();
  if (g_extent_count.load(std::memory_order_acquire) == 0 || g_overflow) return true;
  for (uint32_t id = g_checked.load(std::memory_order_relaxed); id < *count; ++id) {
    if (!stacks.IsPublished(id)) return true;  // being interned right now: its frames are unknown
    const uintptr_t* frames = stacks.frames(id);
    for (uint32_t i = 0; i < stacks.record(id).depth; ++i) {
      if (!InStartupObject(frames[i])) return true;
    }
  }
  AdvanceChecked(*count);
  return false;
}

void NoteStacksSymbolized(uint32_t count) { AdvanceChecked(count); }

}  // namespace clwleak
