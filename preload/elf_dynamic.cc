// Reading loaded objects' dynamic sections in place; see elf_dynamic.h.
#include "elf_dynamic.h"

#include <elf.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base.h"

namespace clwleak {
namespace {

uint32_t GnuHash(const char* name) {
  uint32_t hash = 5381;
  for (const unsigned char* c = reinterpret_cast<const unsigned char*>(name); *c != 0; ++c) {
    hash = hash * 33 + *c;
  }
  return hash;
}

uint32_t SysvHash(const char* name) {
  uint32_t hash = 0;
  for (const unsigned char* c = reinterpret_cast<const unsigned char*>(name); *c != 0; ++c) {
    hash = (hash << 4) + *c;
    const uint32_t high = hash & 0xf0000000u;
    if (high != 0) hash ^= high >> 24;
    hash &= ~high;
  }
  return hash;
}

}  // namespace

LoadedObject LoadedObjectOf(const dl_phdr_info& info) {
  LoadedObject object;
  object.base = info.dlpi_addr;
  object.phdrs = info.dlpi_phdr;
  object.phnum = info.dlpi_phnum;
  object.name = info.dlpi_name != nullptr ? info.dlpi_name : "";
  return object;
}

bool ElfDynamic::Read(const LoadedObject& object) {
#if !defined(__x86_64__)
  (void)object;
  return false;
#else
  *this = ElfDynamic();
  base_ = object.base;
  phdrs_ = object.phdrs;
  phnum_ = object.phnum;
  for (uint16_t i = 0; i < phnum_; ++i) {
    const ElfW(Phdr)& segment = phdrs_[i];
    if (segment.p_type == PT_DYNAMIC) {
      dynamic_ = reinterpret_cast<const ElfW(Dyn)*>(base_ + segment.p_vaddr);
    } else if (segment.p_type == PT_GNU_RELRO) {
      relro_begin_ = base_ + segment.p_vaddr;
      relro_end_ = relro_begin_ + segment.p_memsz;
    }
  }
  if (dynamic_ == nullptr) return false;
  // ld.so adds the load bias to the address entries of a writable dynamic section and leaves a
  // read-only one (the vDSO's) as linked: an entry below the bias has not been relocated.
  auto address = [this](ElfW(Addr) value) { return value < base_ ? value + base_ : value; };
  const ElfW(Rela)* rela = nullptr;
  const ElfW(Rela)* jmprel = nullptr;
  size_t rela_size = 0, jmprel_size = 0, soname_offset = SIZE_MAX;
  ElfW(Sxword) plt_kind = DT_RELA;
  for (const ElfW(Dyn)* entry = dynamic_; entry->d_tag != DT_NULL; ++entry) {
    switch (entry->d_tag) {
      case DT_SYMTAB:
        symbols_ = reinterpret_cast<const ElfW(Sym)*>(address(entry->d_un.d_ptr));
        break;
      case DT_STRTAB:
        strings_ = reinterpret_cast<const char*>(address(entry->d_un.d_ptr));
        break;
      case DT_GNU_HASH:
        gnu_hash_ = reinterpret_cast<const uint32_t*>(address(entry->d_un.d_ptr));
        break;
      case DT_HASH:
        sysv_hash_ = reinterpret_cast<const uint32_t*>(address(entry->d_un.d_ptr));
        break;
      case DT_VERSYM:
        versions_ = reinterpret_cast<const ElfW(Versym)*>(address(entry->d_un.d_ptr));
        break;
      case DT_RELA:
        rela = reinterpret_cast<const ElfW(Rela)*>(address(entry->d_un.d_ptr));
        break;
      case DT_RELASZ:
        rela_size = entry->d_un.d_val;
        break;
      case DT_JMPREL:
        jmprel = reinterpret_cast<const ElfW(Rela)*>(address(entry->d_un.d_ptr));
        break;
      case DT_PLTRELSZ:
        jmprel_size = entry->d_un.d_val;
        break;
      case DT_PLTREL:
        plt_kind = static_cast<ElfW(Sxword)>(entry->d_un.d_val);
        break;
      case DT_SONAME:
        soname_offset = entry->d_un.d_val;
        break;
      default:
        break;
    }
  }
  if (symbols_ == nullptr || strings_ == nullptr) return false;
  if (soname_offset != SIZE_MAX) soname_ = strings_ + soname_offset;
  if (rela != nullptr) {
    relocations_ = rela;
    relocation_count_ = rela_size / sizeof(ElfW(Rela));
  }
  if (jmprel != nullptr && plt_kind == DT_RELA) {
    plt_relocations_ = jmprel;
    plt_relocation_count_ = jmprel_size / sizeof(ElfW(Rela));
  }
  return true;
#endif
}

bool ElfDynamic::Contains(uintptr_t address) const {
  for (uint16_t i = 0; i < phnum_; ++i) {
    const ElfW(Phdr)& segment = phdrs_[i];
    if (segment.p_type != PT_LOAD) continue;
    const uintptr_t begin = base_ + segment.p_vaddr;
    if (address >= begin && address < begin + segment.p_memsz) return true;
  }
  return false;
}

void LoadedExtent(const LoadedObject& object, uintptr_t* begin, uintptr_t* end) {
  *begin = UINTPTR_MAX;
  *end = 0;
  for (uint16_t i = 0; i < object.phnum; ++i) {
    const ElfW(Phdr)& segment = object.phdrs[i];
    if (segment.p_type != PT_LOAD) continue;
    const uintptr_t start = object.base + segment.p_vaddr;
    if (start < *begin) *begin = start;
    if (start + segment.p_memsz > *end) *end = start + segment.p_memsz;
  }
}

void ElfDynamic::Extent(uintptr_t* begin, uintptr_t* end) const {
  LoadedObject object;
  object.base = base_;
  object.phdrs = phdrs_;
  object.phnum = phnum_;
  LoadedExtent(object, begin, end);
}

bool ElfDynamic::IsSymbolSlot(uint32_t type) {
#if defined(__x86_64__)
  return type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT || type == R_X86_64_64;
#else
  (void)type;
  return false;
#endif
}

bool ElfDynamic::DefinesUsably(uint32_t index, const char* name) const {
  const ElfW(Sym)& symbol = symbols_[index];
  if (symbol.st_shndx == SHN_UNDEF || symbol.st_value == 0) return false;
  const unsigned type = ELF64_ST_TYPE(symbol.st_info);
  if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) return false;  // no IFUNC
  const unsigned binding = ELF64_ST_BIND(symbol.st_info);
  if (binding != STB_GLOBAL && binding != STB_WEAK) return false;
  // A hidden version (name@VERSION, not @@) is an old ABI kept for old binaries, not the default.
  if (versions_ != nullptr && (versions_[index] & 0x8000) != 0) return false;
  return SameString(strings_ + symbol.st_name, name);
}

uintptr_t ElfDynamic::FindWithGnuHash(const char* name) const {
  const uint32_t bucket_count = gnu_hash_[0];
  const uint32_t first_symbol = gnu_hash_[1];
  const uint32_t bloom_words = gnu_hash_[2];
  const uint32_t bloom_shift = gnu_hash_[3];
  if (bucket_count == 0 || bloom_words == 0) return 0;
  const ElfW(Addr)* bloom = reinterpret_cast<const ElfW(Addr)*>(gnu_hash_ + 4);
  const uint32_t* buckets = reinterpret_cast<const uint32_t*>(bloom + bloom_words);
  const uint32_t* chain = buckets + bucket_count;
  const uint32_t hash = GnuHash(name);
  constexpr uint32_t kBits = sizeof(ElfW(Addr)) * 8;
  const ElfW(Addr) word = bloom[(hash / kBits) % bloom_words];
  const ElfW(Addr) mask =
      (ElfW(Addr){1} << (hash % kBits)) | (ElfW(Addr){1} << ((hash >> bloom_shift) % kBits));
  if ((word & mask) != mask) return 0;
  uint32_t index = buckets[hash % bucket_count];
  if (index < first_symbol) return 0;
  for (;; ++index) {
    const uint32_t entry = chain[index - first_symbol];
    if ((entry | 1) == (hash | 1) && DefinesUsably(index, name)) {
      return base_ + symbols_[index].st_value;
    }
    if ((entry & 1) != 0) return 0;
  }
}

uintptr_t ElfDynamic::FindWithSysvHash(const char* name) const {
  const uint32_t bucket_count = sysv_hash_[0];
  if (bucket_count == 0) return 0;
  const uint32_t* buckets = sysv_hash_ + 2;
  const uint32_t* chain = buckets + bucket_count;
  for (uint32_t index = buckets[SysvHash(name) % bucket_count]; index != 0; index = chain[index]) {
    if (DefinesUsably(index, name)) return base_ + symbols_[index].st_value;
  }
  return 0;
}

uintptr_t ElfDynamic::FindDefinition(const char* name) const {
  if (gnu_hash_ != nullptr) return FindWithGnuHash(name);
  if (sysv_hash_ != nullptr) return FindWithSysvHash(name);
  return 0;
}

namespace {

struct NextDefinitionSearch {
  uintptr_t self;
  const char* name;
  bool after_self_only;
  bool passed_self = false;
  uintptr_t found = 0;
};

int SearchForDefinition(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<NextDefinitionSearch*>(data);
  ElfDynamic object;
  if (!object.Read(LoadedObjectOf(*info))) return 0;
  if (object.Contains(search->self)) {
    search->passed_self = true;
    return 0;
  }
  if (search->after_self_only && !search->passed_self) return 0;
  search->found = object.FindDefinition(search->name);
  return search->found != 0 ? 1 : 0;
}

}  // namespace

void* FindNextDefinition(const void* self, const char* name) {
  NextDefinitionSearch search{reinterpret_cast<uintptr_t>(self), name, true};
  dl_iterate_phdr(SearchForDefinition, &search);
  if (search.found == 0) {
    // Loaded after what defines it (dlopened, or linked after libc): RTLD_NEXT then searches the
    // object's own dependencies; the first definition other than ours is that one.
    search.after_self_only = false;
    dl_iterate_phdr(SearchForDefinition, &search);
  }
  return reinterpret_cast<void*>(search.found);
}

bool WriteSymbolSlot(const ElfDynamic& object, uintptr_t* slot, uintptr_t value) {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t address = reinterpret_cast<uintptr_t>(slot);
  const uintptr_t slot_page = address & ~(page - 1);
  const bool read_only = object.InRelro(address) && slot_page < (object.relro_end() & ~(page - 1));
  if (read_only &&
      mprotect(reinterpret_cast<void*>(slot_page), page, PROT_READ | PROT_WRITE) != 0) {
    return false;
  }
  __atomic_store_n(slot, value, __ATOMIC_RELAXED);
  if (read_only) mprotect(reinterpret_cast<void*>(slot_page), page, PROT_READ);
  return true;
}

}  // namespace clwleak
