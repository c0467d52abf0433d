// Rebinding an RTLD_DEEPBIND object's calls of the hooked names to ours; see allocator_rebinding.h.
#include "allocator_rebinding.h"

#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <string.h>

#include "base.h"
#include "elf_dynamic.h"
#include "hooked_symbols.h"
#include "loaded_objects.h"
#include "real_functions.h"

namespace clwleak {

std::atomic<int> g_header_blackouts{0};

namespace {

constexpr int kBlackoutForever = 1 << 30;
constexpr size_t kMaxObjects = 1024;

// One rebinding, done while the loader's object list is locked.
struct Rebinding {
  const link_map* root = nullptr;
  LoadedObjects* objects = nullptr;
  size_t search_list[kMaxObjects];  // the root's local scope: itself, then its needs breadth-first
  size_t search_count = 0;
  size_t failed = 0;
  bool done = false;
};

LoadedObjectEntry* ObjectStorage() {
  static LoadedObjectEntry* storage = nullptr;  // only touched with the loader's list locked
  if (storage == nullptr) {
    storage =
        static_cast<LoadedObjectEntry*>(RawMapAnonymous(kMaxObjects * sizeof(LoadedObjectEntry)));
  }
  return storage;
}

// Whether the first definition of `name` in the root's scope is glibc's: what a lazy binding of
// an object loaded with the root would find.
bool ScopeBindsToGlibc(const Rebinding& pass, const char* name) {
  for (size_t i = 0; i < pass.search_count; ++i) {
    const uintptr_t definition = (*pass.objects)[pass.search_list[i]].elf.FindDefinition(name);
    if (definition != 0) return InLibc(reinterpret_cast<void*>(definition));
  }
  return false;
}

void RebindObject(Rebinding* pass, const ElfDynamic& elf) {
  // glibc's and ld.so's own bindings, and ours, are never touched.
  if (InLibc(elf.dynamic()) || IsInPreload(elf.dynamic()) ||
      elf.Contains(reinterpret_cast<uintptr_t>(&_r_debug))) {
    return;
  }
  elf.ForEachSymbolSlot([&](uintptr_t* slot, const char* name, int64_t addend) {
    const HookedSymbol* symbol = FindHookedSymbol(name);
    if (symbol == nullptr || !symbol->redirectable) return;
    const uintptr_t ours = reinterpret_cast<uintptr_t>(symbol->ours);
    const uintptr_t target = *slot - static_cast<uintptr_t>(addend);
    if (target == ours) return;
    // A lazy slot not yet bound points back into the object's own PLT.
    const bool glibc = InLibc(reinterpret_cast<void*>(target)) ||
                       (elf.Contains(target) && ScopeBindsToGlibc(*pass, name));
    if (glibc && !WriteSymbolSlot(elf, slot, ours + static_cast<uintptr_t>(addend))) ++pass->failed;
  });
}

int RebindWithListLocked(dl_phdr_info*, size_t, void* data) {
  auto* pass = static_cast<Rebinding*>(data);
  if (pass->done) return 1;
  pass->done = true;
  LoadedObjectEntry* storage = ObjectStorage();
  if (storage == nullptr) {
    ++pass->failed;
    return 1;
  }
  LoadedObjects objects(storage, kMaxObjects);
  pass->objects = &objects;
  objects.Collect();  // nested dl_iterate_phdr: the list lock is recursive
  const size_t root = objects.IndexOf(pass->root->l_addr, pass->root->l_ld);
  if (root == SIZE_MAX) return 1;
  constexpr uint8_t kInSearchList = 1;
  objects[root].marks |= kInSearchList;
  pass->search_list[pass->search_count++] = root;
  objects.ExtendByNeeds(pass->search_list, &pass->search_count, kMaxObjects, kInSearchList);
  for (size_t i = 0; i < pass->search_count; ++i) {
    RebindObject(pass, objects[pass->search_list[i]].elf);
  }
  return 1;
}

}  // namespace

HeaderBlackout::HeaderBlackout() { g_header_blackouts.fetch_add(1, std::memory_order_acq_rel); }

HeaderBlackout::~HeaderBlackout() { g_header_blackouts.fetch_sub(1, std::memory_order_acq_rel); }

void RebindAllocatorCalls(void* handle) {
  link_map* root = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &root) != 0 || root == nullptr) return;
  if (FindHookedSymbol("free") == nullptr) return;  // builds the table outside the list lock
  static Rebinding pass;  // large; only one rebinding runs at a time (the list lock)
  static std::atomic<bool> busy{false};
  while (busy.exchange(true, std::memory_order_acquire)) sched_yield();
  pass = Rebinding();
  pass.root = root;
  dl_iterate_phdr(RebindWithListLocked, &pass);
  const size_t failed = pass.failed;
  busy.store(false, std::memory_order_release);
  if (failed != 0) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      Warn(
          "cannot rebind the allocator calls of an RTLD_DEEPBIND library; sampled blocks get no "
          "header from now on (not recorded)");
    }
    g_header_blackouts.fetch_add(kBlackoutForever, std::memory_order_acq_rel);
  }
}

}  // namespace clwleak
