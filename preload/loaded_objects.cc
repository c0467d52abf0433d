// The loaded objects and their DT_NEEDED closures; see loaded_objects.h.
#include "loaded_objects.h"

#include <link.h>
#include <string.h>

#include "base.h"

namespace clwleak {

int LoadedObjects::Add(dl_phdr_info* info, size_t, void* self) {
  auto* objects = static_cast<LoadedObjects*>(self);
  if (objects->count_ == objects->capacity_) {
    objects->overflow_ = true;
    return 1;
  }
  LoadedObjectEntry& entry = objects->entries_[objects->count_];
  if (!entry.elf.Read(LoadedObjectOf(*info))) return 0;  // no dynamic section: nothing to bind
  entry.name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  entry.base_namespace = false;
  entry.marks = 0;
  ++objects->count_;
  return 0;
}

bool LoadedObjects::Collect() {
  count_ = 0;
  overflow_ = false;
  dl_iterate_phdr(&LoadedObjects::Add, this);
  // _r_debug lists the base namespace; dl_iterate_phdr lists every namespace.
  for (const link_map* map = _r_debug.r_map; map != nullptr; map = map->l_next) {
    const size_t index = IndexOf(map->l_addr, map->l_ld);
    if (index != SIZE_MAX) entries_[index].base_namespace = true;
  }
  return !overflow_;
}

size_t LoadedObjects::IndexOf(uintptr_t base, const void* dynamic) const {
  for (size_t i = 0; i < count_; ++i) {
    if (entries_[i].elf.base() == base && entries_[i].elf.dynamic() == dynamic) return i;
  }
  return SIZE_MAX;
}

size_t LoadedObjects::IndexContaining(uintptr_t address) const {
  for (size_t i = 0; i < count_; ++i) {
    if (entries_[i].elf.Contains(address)) return i;
  }
  return SIZE_MAX;
}

size_t LoadedObjects::Satisfying(const char* needed) const {
  const bool path = strchr(needed, '/') != nullptr;
  for (size_t i = 0; i < count_; ++i) {
    const LoadedObjectEntry& entry = entries_[i];
    if (!entry.base_namespace) continue;
    if (path) {
      if (SameString(entry.name, needed)) return i;
      continue;
    }
    const char* soname = entry.elf.soname();
    const char* slash = strrchr(entry.name, '/');
    if ((soname != nullptr && SameString(soname, needed)) ||
        SameString(slash != nullptr ? slash + 1 : entry.name, needed)) {
      return i;
    }
  }
  return SIZE_MAX;
}

void LoadedObjects::ExtendByNeeds(size_t* order, size_t* count, size_t capacity, uint8_t mark) {
  for (size_t next = 0; next < *count; ++next) {
    entries_[order[next]].elf.ForEachNeeded([&](const char* needed) {
      const size_t index = Satisfying(needed);
      if (index == SIZE_MAX || (entries_[index].marks & mark) != 0 || *count == capacity) return;
      entries_[index].marks |= mark;
      order[(*count)++] = index;
    });
  }
}

}  // namespace clwleak
