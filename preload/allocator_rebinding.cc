// Rebinding an RTLD_DEEPBIND object's calls of the hooked names to ours; see allocator_rebinding.h.
#include "allocator_rebinding.h"

#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base.h"
#include "elf_dynamic.h"
#include "hooked_symbols.h"
#include "real_functions.h"

namespace clwleak {

std::atomic<int> g_header_blackouts{0};

namespace {

constexpr int kBlackoutForever = 1 << 30;
constexpr size_t kMaxObjects = 1024;

struct Object {
  ElfDynamic elf;
  const char* name;
  bool base_namespace;
  bool in_search_list;
};

// One rebinding, done while the loader's object list is locked.
struct Rebinding {
  const link_map* root;
  Object* objects;  // every loaded object, as dl_iterate_phdr lists them
  size_t count = 0;
  size_t search_list[kMaxObjects];  // the root's local scope: itself, then its needs breadth-first
  size_t search_count = 0;
  size_t failed = 0;
  bool done = false;
};

Object* ObjectBuffer() {
  static Object* buffer = nullptr;  // only touched with the loader's list locked
  if (buffer == nullptr) buffer = static_cast<Object*>(RawMapAnonymous(kMaxObjects * sizeof(Object)));
  return buffer;
}

int CollectObject(dl_phdr_info* info, size_t, void* data) {
  auto* pass = static_cast<Rebinding*>(data);
  if (pass->count == kMaxObjects) return 1;
  Object& object = pass->objects[pass->count];
  if (!object.elf.Read(LoadedObjectOf(*info))) return 0;
  object.name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  object.base_namespace = false;
  object.in_search_list = false;
  ++pass->count;
  return 0;
}

// Marks the objects of the base namespace (r_debug's list): only they can be in the root's scope.
size_t MarkBaseNamespace(Rebinding* pass) {
  size_t root = SIZE_MAX;
  for (const link_map* map = _r_debug.r_map; map != nullptr; map = map->l_next) {
    for (size_t i = 0; i < pass->count; ++i) {
      Object& object = pass->objects[i];
      if (object.elf.base() != map->l_addr || object.elf.dynamic() != map->l_ld) continue;
      object.base_namespace = true;
      if (map == pass->root) root = i;
    }
  }
  return root;
}

bool SatisfiesNeed(const Object& object, const char* needed) {
  if (strchr(needed, '/') != nullptr) return strcmp(object.name, needed) == 0;
  if (object.elf.soname() != nullptr && strcmp(object.elf.soname(), needed) == 0) return true;
  const char* slash = strrchr(object.name, '/');
  return strcmp(slash != nullptr ? slash + 1 : object.name, needed) == 0;
}

// The root's search list, as ld.so builds it: the root, then breadth-first the first loaded object
// that satisfies each DT_NEEDED entry.
void BuildSearchList(Rebinding* pass, size_t root) {
  pass->search_list[pass->search_count++] = root;
  pass->objects[root].in_search_list = true;
  for (size_t next = 0; next < pass->search_count; ++next) {
    pass->objects[pass->search_list[next]].elf.ForEachNeeded([pass](const char* needed) {
      for (size_t i = 0; i < pass->count; ++i) {
        Object& object = pass->objects[i];
        if (!object.base_namespace || !SatisfiesNeed(object, needed)) continue;
        if (!object.in_search_list && pass->search_count < kMaxObjects) {
          object.in_search_list = true;
          pass->search_list[pass->search_count++] = i;
        }
        return;
      }
    });
  }
}

// Whether the first definition of `name` in the root's scope is glibc's: what a lazy binding of
// an object loaded with the root would find.
bool ScopeBindsToGlibc(const Rebinding& pass, const char* name) {
  for (size_t i = 0; i < pass.search_count; ++i) {
    const uintptr_t definition = pass.objects[pass.search_list[i]].elf.FindDefinition(name);
    if (definition != 0) return InLibc(reinterpret_cast<void*>(definition));
  }
  return false;
}

// Stores `value` in `slot`. ld.so made the whole pages of PT_GNU_RELRO read-only (a last partial
// page shares its page with writable data and stays writable).
bool WriteSlot(const ElfDynamic& object, uintptr_t* slot, uintptr_t value) {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t address = reinterpret_cast<uintptr_t>(slot);
  const uintptr_t slot_page = address & ~(page - 1);
  const bool read_only = object.InRelro(address) && slot_page < (object.relro_end() & ~(page - 1));
  if (read_only && mprotect(reinterpret_cast<void*>(slot_page), page, PROT_READ | PROT_WRITE) != 0) {
    return false;
  }
  __atomic_store_n(slot, value, __ATOMIC_RELAXED);
  if (read_only) mprotect(reinterpret_cast<void*>(slot_page), page, PROT_READ);
  return true;
}

void RebindObject(Rebinding* pass, const Object& object) {
  const ElfDynamic& elf = object.elf;
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
    if (glibc && !WriteSlot(elf, slot, ours + static_cast<uintptr_t>(addend))) ++pass->failed;
  });
}

int RebindWithListLocked(dl_phdr_info*, size_t, void* data) {
  auto* pass = static_cast<Rebinding*>(data);
  if (pass->done) return 1;
  pass->done = true;
  pass->objects = ObjectBuffer();
  if (pass->objects == nullptr) {
    ++pass->failed;
    return 1;
  }
  dl_iterate_phdr(CollectObject, pass);  // nested: the list lock is recursive
  const size_t root = MarkBaseNamespace(pass);
  if (root == SIZE_MAX) return 1;
  BuildSearchList(pass, root);
  for (size_t i = 0; i < pass->search_count; ++i) {
    RebindObject(pass, pass->objects[pass->search_list[i]]);
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
      Warn("cannot rebind the allocator calls of an RTLD_DEEPBIND library; sampled blocks get no "
           "header from now on (not recorded)");
    }
    g_header_blackouts.fetch_add(kBlackoutForever, std::memory_order_acq_rel);
  }
}

}  // namespace clwleak
