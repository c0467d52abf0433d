// Symbolizer: turns captured return addresses into the modules and frames the file format carries,
// so that the analyzer never needs the binaries.
//
// Modules come from dl_iterate_phdr (path, load bias, span of PT_LOAD segments, GNU build id); the
// list is refreshed when an address falls outside every known module (a dlopen since). Modules that
// are unloaded stay known, so older addresses still resolve. Function, file and line come from
// Boost.Stacktrace with its libbacktrace backend (DWARF), looked up at address - 1 so that a return
// address maps to the line of its call.
//
// Runs in the writer thread only (it allocates freely: the writer thread is never sampled).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace clwleak {

struct ModuleInfo {
  uint32_t id = 0;           // 1, 2, ...; 0 means unknown
  std::string path;
  std::string build_id;      // lower-case hex
  uintptr_t load_address = 0;
  uintptr_t begin = 0;       // lowest PT_LOAD address
  uintptr_t end = 0;         // highest PT_LOAD end
  bool emitted = false;      // written to the current file
};

struct SymbolizedFrame {
  std::string function;
  std::string file;
  uint32_t line = 0;
};

class Symbolizer {
 public:
  // The module holding `address`, or nullptr.
  ModuleInfo* FindModule(uintptr_t address);
  // Function, file and line of a return address; looked up once per address and remembered, so a
  // forked child (which inherits the cache) rarely needs to load debug information again.
  const SymbolizedFrame& Symbolize(uintptr_t address);
  // Marks every module as not yet written (a forked child starts a new file).
  void ForgetEmitted();

 private:
  void Refresh();
  std::vector<ModuleInfo> modules_;
  std::unordered_map<uintptr_t, SymbolizedFrame> symbols_;
};

}  // namespace clwleak
