// ElfDynamic: a loaded object's dynamic symbols, needed libraries and symbol relocations, read in
// place from the memory the loader mapped. No file access, no allocation, no dl* call and no lock:
// used inside malloc (before anything else is known), and while the loader's object list is held
// locked by dl_iterate_phdr (allocator_rebinding.cc), where calling back into the loader could
// deadlock.
//
// x86-64 only (Elf64_Rela, R_X86_64_*); on other targets Read() returns false.
//
// Thread-safety: read-only over memory the caller keeps mapped (an object it holds a handle to, or
// one listed while dl_iterate_phdr runs).
#pragma once

#include <link.h>

#include <cstddef>
#include <cstdint>

namespace clwleak {

// One loaded object, as dl_iterate_phdr describes it.
struct LoadedObject {
  uintptr_t base = 0;  // l_addr: what the object's virtual addresses are offset by
  const ElfW(Phdr) * phdrs = nullptr;
  uint16_t phnum = 0;
  const char* name = "";
};

LoadedObject LoadedObjectOf(const dl_phdr_info& info);

// The lowest and highest address of the object's loaded (PT_LOAD) segments; UINTPTR_MAX and 0
// when it has none.
void LoadedExtent(const LoadedObject& object, uintptr_t* begin, uintptr_t* end);

class ElfDynamic {
 public:
  // False when the object has no usable dynamic section (the vDSO, a static executable's).
  bool Read(const LoadedObject& object);

  const ElfW(Dyn) * dynamic() const { return dynamic_; }
  uintptr_t base() const { return base_; }
  // The object's DT_SONAME, or null.
  const char* soname() const { return soname_; }
  // Whether `address` lies in one of the object's loaded segments.
  bool Contains(uintptr_t address) const;
  // The lowest and highest address of its loaded segments.
  void Extent(uintptr_t* begin, uintptr_t* end) const;
  // Whether `address` lies in the PT_GNU_RELRO range, which the loader made read-only.
  bool InRelro(uintptr_t address) const { return address >= relro_begin_ && address < relro_end_; }
  uintptr_t relro_end() const { return relro_end_; }

  // The address of the object's own default-version definition of `name` (a function or object,
  // not an indirect function), or 0 when it defines none.
  uintptr_t FindDefinition(const char* name) const;

  // Calls visit(const char* needed_name) for each DT_NEEDED entry, in order.
  template <typename Visit>
  void ForEachNeeded(Visit visit) const {
    if (strings_ == nullptr) return;
    for (const ElfW(Dyn)* entry = dynamic_; entry->d_tag != DT_NULL; ++entry) {
      if (entry->d_tag == DT_NEEDED) visit(strings_ + entry->d_un.d_val);
    }
  }

  // Calls visit(uintptr_t* slot, const char* symbol_name, int64_t addend) for every relocation
  // that stores a symbol's address in a word: JUMP_SLOT and GLOB_DAT (the GOT) and 64 (data).
  template <typename Visit>
  void ForEachSymbolSlot(Visit visit) const {
    VisitRelocations(plt_relocations_, plt_relocation_count_, visit);
    VisitRelocations(relocations_, relocation_count_, visit);
  }

 private:
  template <typename Visit>
  void VisitRelocations(const ElfW(Rela) * table, size_t count, Visit& visit) const {
    for (size_t i = 0; i < count; ++i) {
      const ElfW(Rela)& relocation = table[i];
      const uint32_t symbol = ELF64_R_SYM(relocation.r_info);
      if (symbol == 0 || !IsSymbolSlot(ELF64_R_TYPE(relocation.r_info))) continue;
      visit(reinterpret_cast<uintptr_t*>(base_ + relocation.r_offset),
            strings_ + symbols_[symbol].st_name, static_cast<int64_t>(relocation.r_addend));
    }
  }
  static bool IsSymbolSlot(uint32_t type);
  bool DefinesUsably(uint32_t index, const char* name) const;
  uintptr_t FindWithGnuHash(const char* name) const;
  uintptr_t FindWithSysvHash(const char* name) const;

  uintptr_t base_ = 0;
  const ElfW(Dyn) * dynamic_ = nullptr;
  const ElfW(Phdr) * phdrs_ = nullptr;
  uint16_t phnum_ = 0;
  const ElfW(Sym) * symbols_ = nullptr;
  const char* strings_ = nullptr;
  const char* soname_ = nullptr;
  const uint32_t* gnu_hash_ = nullptr;
  const uint32_t* sysv_hash_ = nullptr;
  const ElfW(Versym) * versions_ = nullptr;
  const ElfW(Rela) * relocations_ = nullptr;
  size_t relocation_count_ = 0;
  const ElfW(Rela) * plt_relocations_ = nullptr;
  size_t plt_relocation_count_ = 0;
  uintptr_t relro_begin_ = 0;
  uintptr_t relro_end_ = 0;
};

// Stores `value` in `slot`, a word of `object` (a GOT entry). ld.so made the whole pages of
// PT_GNU_RELRO read-only (a last partial page shares its page with writable data and stays
// writable): such a page is made writable for the store and read-only again. False when it cannot
// be made writable.
bool WriteSymbolSlot(const ElfDynamic& object, uintptr_t* slot, uintptr_t value);

// What dlsym(RTLD_NEXT, name) would return to code in the object holding `self`: the first
// default-version definition of `name` in an object loaded after it, in load order (or, when none
// is, in any object but that one: libc was loaded first when the object was dlopened or linked
// after it). Null when none. Needs no dlsym, so libclwleak.so finds the real dlsym (and dlopen,
// _exit...) with it although its own exported dlsym comes first in every lookup.
void* FindNextDefinition(const void* self, const char* name);

}  // namespace clwleak
