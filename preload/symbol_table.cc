// Function symbols of a module's ELF symbol table; see symbol_table.h.
#include "symbol_table.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <string.h>

#include <algorithm>
#include <iterator>

namespace clwleak {
namespace {

using Entry = SymbolTable::Entry;

// What the table needs of a file's sections (whether one holds code, where it ends in the
// process), looked up once per section: a table has thousands of symbols in a few dozen sections.
class CodeSections {
 public:
  struct Section {
    bool looked_up = false;
    bool executable = false;
    uint64_t end = 0;  // 0: not a section of the file
  };

  const Section& Find(Elf* elf, uint64_t bias, size_t index) {
    if (elf != elf_) {  // libdw's reading may give symbols of a second (auxiliary) file
      elf_ = elf;
      sections_.clear();
    }
    if (index >= kMaxCached) {  // reserved indexes (SHN_ABS, ...): no section
      other_ = Lookup(elf, bias, index);
      return other_;
    }
    if (index >= sections_.size()) sections_.resize(index + 1);
    Section& section = sections_[index];
    if (!section.looked_up) section = Lookup(elf, bias, index);
    return section;
  }

 private:
  static constexpr size_t kMaxCached = SHN_LORESERVE;

  static Section Lookup(Elf* elf, uint64_t bias, size_t index) {
    Section section;
    section.looked_up = true;
    GElf_Shdr header;
    if (gelf_getshdr(elf_getscn(elf, index), &header) != nullptr) {
      section.executable = (header.sh_flags & SHF_EXECINSTR) != 0;
      section.end = header.sh_addr + header.sh_size + bias;
    }
    return section;
  }

  Elf* elf_ = nullptr;
  std::vector<Section> sections_;
  Section other_;
};

// The entry a symbol gives when it names code, or false: a function, an IFUNC resolver, or an
// untyped symbol in an executable section (an assembly label: _start). Sections are looked up only
// where needed: for an untyped symbol, and for a sizeless one (it reaches to its section's end).
bool CodeEntry(const GElf_Sym& symbol, uint64_t address, size_t section, Elf* elf, uint64_t bias,
               const char* name, CodeSections* sections, Entry* entry) {
  const int type = GELF_ST_TYPE(symbol.st_info);
  if (section == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)) {
    return false;
  }
  *entry = {address, symbol.st_size, 0, name};
  if (type != STT_NOTYPE && symbol.st_size != 0) return true;
  const CodeSections::Section& code = sections->Find(elf, bias, section);
  if (type == STT_NOTYPE && !code.executable) return false;
  entry->section_end = code.end;
  return true;
}

// Calls add(symbol, address in the process, section index, name) for every named symbol of the
// file's own table, read in place: .symtab, else .dynsym, as libdw takes them. This costs a
// fraction of libdw's per-symbol lookup, and no name is read (so the string table's pages are not
// faulted in) until it is ranked or returned. false, having called nothing, for what is left to
// libdw: a file with neither table among its sections (dynamic symbols found only through the
// dynamic segment), or with MiniDebugInfo (.gnu_debugdata, a compressed .symtab libdw adds).
template <typename Add>
bool ForEachFileSymbol(Elf* elf, uint64_t bias, const Add& add) {
  size_t names = 0;
  if (elf == nullptr || elf_getshdrstrndx(elf, &names) != 0) return false;
  Elf_Scn* symtab = nullptr;
  Elf_Scn* dynsym = nullptr;
  Elf_Scn* extended_indexes = nullptr;  // SHT_SYMTAB_SHNDX: section indexes past 0xff00
  bool mini_debug_info = false;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr;
       section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) continue;
    if (header.sh_type == SHT_SYMTAB && header.sh_entsize != 0) symtab = section;
    if (header.sh_type == SHT_DYNSYM && header.sh_entsize != 0) dynsym = section;
    if (header.sh_type == SHT_SYMTAB_SHNDX) extended_indexes = section;
    const char* name = elf_strptr(elf, names, header.sh_name);
    if (name != nullptr && strcmp(name, ".gnu_debugdata") == 0) mini_debug_info = true;
  }
  Elf_Scn* table = symtab != nullptr ? symtab : (mini_debug_info ? nullptr : dynsym);
  GElf_Shdr header;
  if (table == nullptr || gelf_getshdr(table, &header) == nullptr ||
      (header.sh_flags & SHF_COMPRESSED) != 0) {
    return false;
  }
  Elf_Data* data = elf_getdata(table, nullptr);
  if (data == nullptr || data->d_buf == nullptr) return false;  // no bytes in the file (NOBITS)
  Elf_Data* indexes =
      table == symtab && extended_indexes != nullptr ? elf_getdata(extended_indexes, nullptr)
                                                     : nullptr;
  // The string table, checked once: it ends in a NUL, so every offset inside it starts a string.
  Elf_Data* strings = elf_getdata(elf_getscn(elf, header.sh_link), nullptr);
  if (strings == nullptr || strings->d_buf == nullptr || strings->d_size == 0 ||
      static_cast<const char*>(strings->d_buf)[strings->d_size - 1] != '\0') {
    return false;
  }
  const char* string_base = static_cast<const char*>(strings->d_buf);
  const size_t count = header.sh_size / header.sh_entsize;
  for (size_t i = 1; i < count; ++i) {  // entry 0 is the undefined symbol
    GElf_Sym symbol;
    GElf_Word extended = 0;
    if (gelf_getsymshndx(data, indexes, static_cast<int>(i), &symbol, &extended) == nullptr) {
      continue;
    }
    // Offset 0 is the empty name; one outside the table is a corrupt entry.
    if (symbol.st_name == 0 || symbol.st_name >= strings->d_size) continue;
    const size_t section = symbol.st_shndx == SHN_XINDEX ? extended : symbol.st_shndx;
    add(symbol, symbol.st_value + bias, section, string_base + symbol.st_name);
  }
  return true;
}

// Whether `a`'s name is to be taken before `b`'s for one function. Symbols at one address are
// aliases of one function (binding says nothing about which name is its own: calloc is a weak
// alias of __libc_calloc): the public-looking name wins: not glibc's internal "__GI_" alias, fewer
// leading underscores, then the shorter ("realloc", not "__libc_realloc"), then by spelling.
bool BetterAlias(const Entry& a, const Entry& b) {
  const bool a_internal = strncmp(a.name, "__GI_", 5) == 0;
  const bool b_internal = strncmp(b.name, "__GI_", 5) == 0;
  if (a_internal != b_internal) return b_internal;
  const size_t a_underscores = strspn(a.name, "_"), b_underscores = strspn(b.name, "_");
  if (a_underscores != b_underscores) return a_underscores < b_underscores;
  const size_t a_length = strcspn(a.name, "@"), b_length = strcspn(b.name, "@");
  if (a_length != b_length) return a_length < b_length;
  return strcmp(a.name, b.name) < 0;
}

// One entry per address and sizedness: the index keeps one sized and one sizeless name per address.
bool SameSlot(const Entry& a, const Entry& b) {
  return a.address == b.address && (a.size == 0) == (b.size == 0);
}

// The order a lookup walks entries in: down from the address, and at one address the sizeless
// entry before the sized one (the index sorts sized first and is walked backwards).
bool WalkedBefore(const Entry& a, const Entry& b) {
  if (a.address != b.address) return a.address > b.address;
  return a.size == 0 && b.size != 0;
}

// The lookup, over the entries at or below `pc` in walk order. A sized symbol holds `pc` when its
// size reaches it: the nearest below `pc`, or a few entries further down a larger function holding
// a smaller symbol placed inside it (an entry point). Failing that, a sizeless one (assembly) at the
// nearest address below `pc` holds everything up to the next symbol or the end of its section.
template <typename Walk>
const Entry* Holding(Walk nearest, Walk end, uint64_t pc) {
  if (nearest == end) return nullptr;
  const uint64_t nearest_address = nearest->address;
  const Entry* sizeless = nullptr;
  int looked = 0;
  for (Walk it = nearest; it != end && looked < SymbolTable::kEnclosingLookBack; ++it, ++looked) {
    if (it->size != 0 && pc < it->address + it->size) return &*it;
    if (it->size == 0 && it->address == nearest_address && pc < it->section_end) sizeless = &*it;
  }
  return sizeless;
}

}  // namespace

const char* SymbolTable::NameAt(Dwfl_Module* module, uint64_t pc) {
  if (!indexed_ && scans_left_ > 0) {
    --scans_left_;
    Entry nearest[kEnclosingLookBack];
    int count = 0;
    if (Scan(module, pc, nearest, &count)) {
      const Entry* entry = Holding(nearest, nearest + count, pc);
      return entry != nullptr ? entry->name : nullptr;
    }
  }
  if (!indexed_) {
    indexed_ = true;
    Index(module);
  }
  auto after = std::upper_bound(
      entries_.begin(), entries_.end(), pc,
      [](uint64_t value, const Entry& entry) { return value < entry.address; });
  const Entry* entry = Holding(std::make_reverse_iterator(after), entries_.rend(), pc);
  return entry != nullptr ? entry->name : nullptr;
}

bool SymbolTable::Scan(Dwfl_Module* module, uint64_t pc, Entry* nearest, int* count) {
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  CodeSections sections;
  *count = 0;
  return ForEachFileSymbol(elf, bias, [&](const GElf_Sym& symbol, uint64_t address,
                                          size_t section, const char* name) {
    if (address > pc) return;
    Entry entry;
    if (!CodeEntry(symbol, address, section, elf, bias, name, &sections, &entry)) return;
    // Where the entry falls in walk order among those kept; an entry walked after all of a full
    // buffer is one the lookup would not reach.
    int slot = 0;
    while (slot < *count && WalkedBefore(nearest[slot], entry)) ++slot;
    if (slot < *count && SameSlot(nearest[slot], entry)) {
      if (BetterAlias(entry, nearest[slot])) nearest[slot] = entry;
      return;
    }
    if (slot == kEnclosingLookBack) return;
    if (*count < kEnclosingLookBack) ++*count;
    for (int i = *count - 1; i > slot; --i) nearest[i] = nearest[i - 1];
    nearest[slot] = entry;
  });
}

void SymbolTable::Index(Dwfl_Module* module) {
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  CodeSections sections;
  const bool read = ForEachFileSymbol(elf, bias, [&](const GElf_Sym& symbol, uint64_t address,
                                                     size_t section, const char* name) {
    Entry entry;
    if (CodeEntry(symbol, address, section, elf, bias, name, &sections, &entry)) {
      entries_.push_back(entry);
    }
  });
  if (!read) {
    // libdw's reading: dynamic symbols through the dynamic segment, MiniDebugInfo.
    const int count = dwfl_module_getsymtab(module);
    for (int i = 1; i < count; ++i) {
      GElf_Sym symbol;
      GElf_Addr address = 0;
      GElf_Word section = 0;
      Elf* symbol_elf = nullptr;
      Dwarf_Addr symbol_bias = 0;
      const char* name = dwfl_module_getsym_info(module, i, &symbol, &address, &section,
                                                 &symbol_elf, &symbol_bias);
      Entry entry;
      if (name != nullptr && name[0] != '\0' && symbol_elf != nullptr &&
          CodeEntry(symbol, address, section, symbol_elf, symbol_bias, name, &sections, &entry)) {
        entries_.push_back(entry);
      }
    }
  }
  // By address, sized before sizeless, then the name to keep first.
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.address != b.address) return a.address < b.address;
    if ((a.size == 0) != (b.size == 0)) return a.size != 0;
    return BetterAlias(a, b);
  });
  entries_.erase(std::unique(entries_.begin(), entries_.end(), SameSlot), entries_.end());
  entries_.shrink_to_fit();
}

}  // namespace clwleak
