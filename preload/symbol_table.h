// SymbolTable: which function symbol of a module's ELF symbol table holds an address, for frames
// without DWARF (system libraries, stripped programs) and functions DWARF leaves unnamed.
//
// The table is the one libdw takes for the module (.symtab, else .dynsym), read in place from the
// mapped file. Symbols at one address are aliases of one function and the most public-looking name
// wins (see BetterAlias in symbol_table.cc), so that every lookup names a function the same way.
//
// A process usually has a handful of frames in each system library (libc's start-up, operator
// new), so the first lookups in a module each scan the table once and keep only what a lookup needs;
// a module that keeps being asked is then indexed (sorted by address, binary search). Both give the
// same answer for every address: the scan keeps exactly the entries the indexed lookup walks.
//
// Not thread-safe: used by the Symbolizer, in the writer thread only.
#pragma once

#include <cstdint>
#include <vector>

struct Dwfl_Module;  // elfutils/libdwfl.h

namespace clwleak {

class SymbolTable {
 public:
  // Scans before the table is indexed. A scan costs a fifth to a sixteenth of indexing, which
  // sorts (warm, measured: libc's .dynsym 27 against 131 us, libstdc++'s 24 against 385 us, libc's
  // separate .symtab 82 against 676 us).
  static constexpr int kScansBeforeIndex = 8;
  // How many entries below an address a lookup looks through for a symbol whose size reaches it.
  static constexpr int kEnclosingLookBack = 8;

  explicit SymbolTable(int scans_before_index = kScansBeforeIndex)
      : scans_left_(scans_before_index) {}

  // The raw (mangled, versioned) name of the function symbol of `module` that holds `pc`, an
  // address in the process; nullptr when none does. The name points into the module's mapped file,
  // which lives as long as libdw's module.
  const char* NameAt(Dwfl_Module* module, uint64_t pc);

  // Whether lookups now use the index (after kScansBeforeIndex scans, or at once when the file's
  // table is left to libdw).
  bool indexed() const { return indexed_; }

  // A function symbol; `name` points into the mapped file.
  struct Entry {
    uint64_t address = 0;      // in the process
    uint64_t size = 0;
    uint64_t section_end = 0;  // for a sizeless symbol: where its section ends, in the process
    const char* name = nullptr;
  };

 private:
  // One pass over the file's table keeping the entries at or below `pc` that a lookup in the index
  // would walk, nearest first, in `nearest` (kEnclosingLookBack of them at most), and their number
  // in `count`. false when the file's table is not read in place (libdw's reading is left to the
  // index).
  static bool Scan(Dwfl_Module* module, uint64_t pc, Entry* nearest, int* count);
  void Index(Dwfl_Module* module);

  int scans_left_;
  bool indexed_ = false;
  std::vector<Entry> entries_;  // sorted by address; one sized and one sizeless name per address
};

}  // namespace clwleak
