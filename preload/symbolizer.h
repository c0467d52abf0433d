// Symbolizer: turns captured return addresses into the modules and frames the file format carries,
// so that the analyzer never needs the binaries.
//
// Modules come from dl_iterate_phdr (path, load bias, span of PT_LOAD segments, GNU build id); the
// list is refreshed when an address falls outside every known module (a dlopen since). Modules that
// are unloaded stay known, so older addresses still resolve. Function, file and line come from
// elfutils' libdw (Dwfl), looked up at address - 1 so that a return address maps to the line of its
// call: from DWARF, the function whose machine code holds the address (its demangled linkage name;
// code inlined into a function is that function's, at the line of the outermost inlined call, so
// that a std:: template inlined into the caller does not hide the caller); the ELF symbol (.symtab
// or .dynsym) when there is no DWARF.
//
// libdw reads lazily, which is why it is used: a module's file is mapped when a frame first falls
// in it, and only the compilation unit holding the address is read (its functions, indexed once,
// and its line table), plus every unit's header to index .debug_aranges. The DWARF of separate
// debug files (/usr/lib/debug/.build-id/xx/rest.debug, .gnu_debuglink) is not read: it is stored
// compressed, and libdw decompresses all of it at the first lookup (libc6-dbg's libc: +17 MiB of
// RSS and ~130 ms, more than the whole memory budget of the preload); from such a file only the
// full symbol table is taken, which names libc's internal functions that .dynsym does not. Every
// file is mapped and its descriptor closed at once: no descriptor stays open in the host, and a
// forked child inherits the mappings with the rest of the state.
//
// Runs in the writer thread only (it allocates freely: the writer thread is never sampled).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbol_table.h"

// libdw's handles (elfutils/libdwfl.h, libdw.h, libelf.h), used only in symbolizer.cc.
struct Dwfl;
struct Dwfl_Module;
struct Dwarf;
struct Elf;

namespace clwleak {

struct ModuleInfo {
  uint32_t id = 0;           // 1, 2, ...; 0 means unknown
  std::string path;
  std::string build_id;      // lower-case hex
  uintptr_t load_address = 0;
  uintptr_t begin = 0;       // lowest PT_LOAD address
  uintptr_t end = 0;         // highest PT_LOAD end
  // The first executable PT_LOAD: its address, size in memory and offset in the file (0 size:
  // none found).
  uintptr_t text_begin = 0;
  uintptr_t text_size = 0;
  uint64_t text_file_offset = 0;
  bool emitted = false;      // written to the current file
};

struct InlinedFrame {
  std::string function;
  std::string file;
  uint32_t line = 0;
};

struct SymbolizedFrame {
  std::string function;
  std::string file;
  uint32_t line = 0;
  // Functions inlined at the address, innermost first (proto Frame.inlined_*); see DwarfFrameAt.
  std::vector<InlinedFrame> inlined;
};

class Symbolizer {
 public:
  Symbolizer() = default;
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // The module holding `address`, or nullptr.
  ModuleInfo* FindModule(uintptr_t address);
  // Function, file and line of a return address; looked up once per address and remembered, so a
  // forked child (which inherits the cache) rarely needs to load debug information again.
  const SymbolizedFrame& Symbolize(uintptr_t address);
  // Marks every module as not yet written (a forked child starts a new file).
  void ForgetEmitted();

 private:
  // A function's code range in a compilation unit (link-time addresses), and its DIE's offset.
  struct FunctionRange {
    uint64_t low = 0;
    uint64_t high = 0;
    uint64_t die_offset = 0;
  };
  // A module as libdw sees it, reported to dwfl_ when a frame first falls in the module.
  struct DebugModule {
    bool reported = false;
    Dwfl_Module* dwfl_module = nullptr;  // nullptr: no readable file matches the module
    bool read_dwarf = false;             // its own file has DWARF (a debug file gives symbols)
    // The functions of each compilation unit a frame fell in, sorted by address, by the unit's
    // offset: made once per unit, so that a lookup does not walk the unit's DIEs.
    std::unordered_map<uint64_t, std::vector<FunctionRange>> functions;
    // Its ELF function symbols, read at the first frame DWARF does not name.
    SymbolTable symbols;
  };
  // A supplementary DWARF file (dwz's .gnu_debugaltlink) that we opened; libdw does not own it.
  struct SupplementaryFile {
    std::string build_id;
    Elf* elf = nullptr;
    Dwarf* dwarf = nullptr;
  };

  void Refresh();
  DebugModule& DebugModuleOf(const ModuleInfo& module);
  static bool DwarfFrameAt(DebugModule* module, uint64_t pc, SymbolizedFrame* frame);
  // The demangled name of the function symbol holding `pc` (see SymbolName), or "".
  static std::string ElfSymbolAt(DebugModule* module, uint64_t pc);
  void AttachSupplementaryFile(Dwfl_Module* dwfl_module, const std::string& symbol_file);

  std::vector<ModuleInfo> modules_;
  std::vector<DebugModule> debug_modules_;  // by module id - 1
  std::unordered_map<uintptr_t, SymbolizedFrame> symbols_;
  Dwfl* dwfl_ = nullptr;  // created at the first symbolization
  std::vector<SupplementaryFile> supplementary_files_;
};

}  // namespace clwleak
