// LoadedObjects: every object the loader has mapped, with its dynamic tables (elf_dynamic.h), and
// the breadth-first closures over DT_NEEDED by which ld.so builds an object's search list.
//
// Allocation-free (the caller provides the storage) and free of dl* calls: used inside the first
// malloc (own_dependencies.h) and while the loader's object list is locked (allocator_rebinding.h).
// Collect() must run while the list cannot change under it: inside a dl_iterate_phdr callback,
// or single-threaded at start-up.
#pragma once

#include <cstddef>
#include <cstdint>

#include "elf_dynamic.h"

namespace clwleak {

struct LoadedObjectEntry {
  ElfDynamic elf;
  const char* name;
  bool base_namespace;  // in the main program's namespace (not one made by dlmopen)
  uint8_t marks;        // bits for the caller's closures
};

class LoadedObjects {
 public:
  LoadedObjects(LoadedObjectEntry* storage, size_t capacity)
      : entries_(storage), capacity_(capacity) {}

  // Lists the loaded objects (dl_iterate_phdr, which may be called from inside one of its own
  // callbacks: its lock is recursive) and marks those of the base namespace. False when there were
  // more than the capacity (the first ones are kept).
  bool Collect();

  size_t count() const { return count_; }
  LoadedObjectEntry& operator[](size_t index) { return entries_[index]; }
  const LoadedObjectEntry& operator[](size_t index) const { return entries_[index]; }

  // The object loaded at `base` with dynamic section `dynamic`, or the one whose segments hold
  // `address`; SIZE_MAX when there is none.
  size_t IndexOf(uintptr_t base, const void* dynamic) const;
  size_t IndexContaining(uintptr_t address) const;

  // Extends order[0 .. *count) breadth-first with the base-namespace objects that satisfy their
  // DT_NEEDED entries (the first loaded object with that soname, or that file name), each at most
  // once: the objects already in `order` must have `mark` set; those added get it. With one root
  // this is ld.so's search list for that root.
  void ExtendByNeeds(size_t* order, size_t* count, size_t capacity, uint8_t mark);

 private:
  static int Add(dl_phdr_info* info, size_t, void* self);
  size_t Satisfying(const char* needed) const;

  LoadedObjectEntry* entries_;
  size_t capacity_;
  size_t count_ = 0;
  bool overflow_ = false;
};

}  // namespace clwleak
