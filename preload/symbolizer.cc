// Module discovery and frame symbolization; see symbolizer.h.
#include "symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <new>

#include "process_info.h"

namespace clwleak {
namespace {

std::string HexOf(const unsigned char* bytes, size_t size) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < size; ++i) {
    hex += kHex[bytes[i] >> 4];
    hex += kHex[bytes[i] & 15];
  }
  return hex;
}

std::string BuildIdOf(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const char* note = reinterpret_cast<const char*>(info->dlpi_addr + segment.p_vaddr);
    const char* end = note + segment.p_memsz;
    while (note + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr)* header = reinterpret_cast<const ElfW(Nhdr)*>(note);
      const char* name = note + sizeof(ElfW(Nhdr));
      const char* descriptor = name + ((header->n_namesz + 3) & ~3u);
      const char* next = descriptor + ((header->n_descsz + 3) & ~3u);
      if (next > end) break;
      if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 &&
          memcmp(name, "GNU", 4) == 0) {
        return HexOf(reinterpret_cast<const unsigned char*>(descriptor), header->n_descsz);
      }
      note = next;
    }
  }
  return "";
}

struct RefreshContext {
  std::vector<ModuleInfo>* modules;
  const std::string* executable;
  bool out_of_memory = false;
};

int AddModuleOrThrow(dl_phdr_info* info, RefreshContext* context) {
  uintptr_t begin = UINTPTR_MAX, end = 0;
  const ElfW(Phdr)* text = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    if (text == nullptr && (segment.p_flags & PF_X) != 0) text = &segment;
    uintptr_t segment_begin = info->dlpi_addr + segment.p_vaddr;
    if (segment_begin < begin) begin = segment_begin;
    if (segment_begin + segment.p_memsz > end) end = segment_begin + segment.p_memsz;
  }
  if (end == 0) return 0;
  std::string path = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (path.empty()) path = *context->executable;  // the main program has no name here
  for (const ModuleInfo& known : *context->modules) {
    if (known.begin == begin && known.path == path) return 0;
  }
  ModuleInfo module;
  module.id = static_cast<uint32_t>(context->modules->size() + 1);
  module.path = path;
  module.build_id = BuildIdOf(info);
  module.load_address = info->dlpi_addr;
  module.begin = begin;
  module.end = end;
  if (text != nullptr) {
    module.text_begin = info->dlpi_addr + text->p_vaddr;
    module.text_size = text->p_memsz;
    module.text_file_offset = text->p_offset;
  }
  context->modules->push_back(std::move(module));
  return 0;
}

// dl_iterate_phdr's callback runs with the loader's lock held: an exception must not unwind
// through it (the lock would stay held, and the unwinder a throw runs may itself wait for that
// lock). A failed allocation stops the walk and is thrown again by Refresh, outside the lock.
int AddModule(dl_phdr_info* info, size_t, void* data) {
  auto* context = static_cast<RefreshContext*>(data);
  try {
    return AddModuleOrThrow(info, context);
  } catch (...) {
    context->out_of_memory = true;
    return 1;
  }
}

// --- Files, as libdw reads them ------------------------------------------------------------

// Maps the ELF file at `path` and closes its descriptor before returning: ELF_C_READ_MMAP maps the
// whole file read-only, and ELF_C_FDREAD (for a mapped file the same as ELF_C_FDDONE; otherwise it
// reads the file into memory first) makes libelf forget the descriptor, so nothing reads through it
// later. nullptr when the file cannot be opened or is not an ELF file (of a program or library when
// `loadable`).
Elf* MapElf(const std::string& path, bool loadable = true) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  const bool detached = elf != nullptr && elf_cntl(elf, ELF_C_FDREAD) == 0;
  close(fd);
  GElf_Ehdr header;
  if (!detached || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &header) == nullptr ||
      (loadable && header.e_type != ET_DYN && header.e_type != ET_EXEC)) {
    elf_end(elf);  // accepts nullptr
    return nullptr;
  }
  return elf;
}

std::string ElfBuildId(Elf* elf) {
  const void* bytes = nullptr;
  const ssize_t size = dwelf_elf_gnu_build_id(elf, &bytes);
  return size > 0 ? HexOf(static_cast<const unsigned char*>(bytes), static_cast<size_t>(size)) : "";
}

// Whether `elf` is the build `build_id` names: a file replaced on disk since it was loaded, or a
// debug file of another build, is not. A module's own file without a build id on either side is
// trusted by its path, as the loader did (`by_path`); a debug file never is.
bool SameBuild(Elf* elf, const std::string& build_id, bool by_path = false) {
  const std::string file_build_id = ElfBuildId(elf);
  if (by_path && (file_build_id.empty() || build_id.empty())) return true;
  return !build_id.empty() && file_build_id == build_id;
}

std::string BuildIdPath(const std::string& build_id) {
  return "/usr/lib/debug/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug";
}

bool HasSection(Elf* elf, const char* wanted) {
  size_t names = 0;
  if (elf_getshdrstrndx(elf, &names) != 0) return false;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr;
       section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr || header.sh_type == SHT_NOBITS) continue;
    const char* name = elf_strptr(elf, names, header.sh_name);
    if (name != nullptr && strcmp(name, wanted) == 0) return true;
  }
  return false;
}

bool HasDwarf(Elf* elf) {
  return HasSection(elf, ".debug_info") || HasSection(elf, ".zdebug_info");
}

// The link-time address libdw takes as the module's start: the first PT_LOAD's p_vaddr rounded
// down to its alignment (libdw computes the load bias as reported start minus this). false when
// the file has no PT_LOAD.
bool FirstLoadAddress(Elf* elf, uintptr_t* address) {
  size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return false;
  for (size_t i = 0; i < count; ++i) {
    GElf_Phdr segment;
    if (gelf_getphdr(elf, static_cast<int>(i), &segment) == nullptr) return false;
    if (segment.p_type == PT_LOAD) {
      *address = segment.p_vaddr & -segment.p_align;
      return true;
    }
  }
  return false;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

// The separate debug file of a module whose own file has no DWARF (a stripped library), for its
// full symbol table: by build id under /usr/lib/debug/.build-id, then by the .gnu_debuglink name
// next to the file, in its .debug/ and under /usr/lib/debug, as gdb looks. Only a file with the
// module's build id, a .symtab and program headers is taken: it then stands in for the module's
// file (the same segments, and the symbols). Without a build id no debug file is matched (checking
// a debuglink's CRC would read the whole file).
Elf* FindDebugFile(const ModuleInfo& module, Elf* module_file) {
  if (module.build_id.size() <= 2) return nullptr;
  std::vector<std::string> candidates = {BuildIdPath(module.build_id)};
  GElf_Word crc = 0;
  const char* link = module_file != nullptr ? dwelf_elf_gnu_debuglink(module_file, &crc) : nullptr;
  if (link != nullptr && strchr(link, '/') == nullptr) {
    const std::string directory = DirectoryOf(module.path);
    candidates.push_back(directory + "/" + link);
    candidates.push_back(directory + "/.debug/" + link);
    candidates.push_back("/usr/lib/debug" + directory + "/" + link);
  }
  for (const std::string& candidate : candidates) {
    if (candidate == module.path) continue;
    Elf* debug = MapElf(candidate);
    if (debug == nullptr) continue;
    uintptr_t first_load;
    if (SameBuild(debug, module.build_id) && HasSection(debug, ".symtab") &&
        FirstLoadAddress(debug, &first_load)) {
      return debug;
    }
    elf_end(debug);
  }
  return nullptr;
}

// The file libdw reads for `module`, and whether its DWARF is to be read: the module's own file
// when that has DWARF; else the separate debug file, for its symbols; else the module's own file,
// for .symtab or .dynsym. nullptr when no readable file matches (the vdso; a file deleted or
// replaced since it was loaded, with no debug file).
Elf* OpenSymbolFile(const ModuleInfo& module, bool* read_dwarf, std::string* path) {
  // Every loaded file's name has a slash (the loader's search result, dlopen's argument, or
  // /proc/self/exe's target); the vdso's ("linux-vdso.so.1") has none and is no file.
  const bool has_file = module.path.find('/') != std::string::npos;
  Elf* module_file = has_file ? MapElf(module.path) : nullptr;
  if (module_file != nullptr && !SameBuild(module_file, module.build_id, /*by_path=*/true)) {
    elf_end(module_file);
    module_file = nullptr;
  }
  *read_dwarf = module_file != nullptr && HasDwarf(module_file);
  *path = module.path;
  if (module_file == nullptr || (!*read_dwarf && !HasSection(module_file, ".symtab"))) {
    if (Elf* debug = FindDebugFile(module, module_file)) {
      elf_end(module_file);  // accepts nullptr
      return debug;
    }
  }
  return module_file;
}

// --- libdw's callbacks ----------------------------------------------------------------------

// Hands libdw the file mapped by DebugModuleOf (left in the module's user data): no descriptor, and
// no file name for libdw to open itself.
int HandOverElf(Dwfl_Module*, void** user_data, const char*, Dwarf_Addr, char**, Elf** elf) {
  *elf = static_cast<Elf*>(*user_data);
  *user_data = nullptr;
  return -1;
}

// Separate debug files are chosen before a module is reported (OpenSymbolFile), so libdw never
// looks for one itself: its own lookup would keep a descriptor open.
int NoDebugFile(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word,
                char**) {
  return -1;
}

const Dwfl_Callbacks kCallbacks = {HandOverElf, NoDebugFile, nullptr, nullptr};

// --- Names --------------------------------------------------------------------------------

// C++ names demangled ("ns::Class::method(int)"); C names, and anything that does not demangle, as
// they are.
std::string Demangled(const char* name) {
  if (name == nullptr) return "";
  if (strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && demangled != nullptr ? demangled : name;
  free(demangled);
  return result;
}

// An ELF symbol's name as a function name: without the version a .symtab entry may carry
// ("fopen@@GLIBC_2.2.5"), demangled. A C name loses the suffix of a compiler-made part or clone
// ("str_to_mpn.part.0.constprop.0", "abort.cold"; C names have no dot), so that it reads as the
// function's DWARF name would; a C++ name keeps it as the demangler writes it ("[clone .cold]").
std::string SymbolName(const char* symbol) {
  if (symbol == nullptr) return "";
  std::string name(symbol, strcspn(symbol, "@"));
  if (name.compare(0, 2, "_Z") == 0) return Demangled(name.c_str());
  const size_t clone = name.find('.', 1);
  if (clone != std::string::npos) name.resize(clone);
  return name;
}

// A function's linkage name, demangled, looked up through DW_AT_abstract_origin and
// DW_AT_specification; "" without one.
std::string LinkageName(Dwarf_Die* function) {
  Dwarf_Attribute attribute;
  const char* name =
      dwarf_formstring(dwarf_attr_integrate(function, DW_AT_linkage_name, &attribute));
  if (name == nullptr) {
    name = dwarf_formstring(dwarf_attr_integrate(function, DW_AT_MIPS_linkage_name, &attribute));
  }
  return name != nullptr ? Demangled(name) : "";
}

// Inline chains longer than this are cut (their outer part kept in the frame's own line).
constexpr size_t kMaxInlineDepth = 16;

// Where an inlined instance was called from, in the function it was inlined into.
void CallSite(Dwarf_Die* inlined, SymbolizedFrame* frame) {
  Dwarf_Attribute file_attribute, line_attribute;
  Dwarf_Word file_index = 0, line = 0;
  Dwarf_Die unit;
  Dwarf_Files* files = nullptr;
  size_t file_count = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &file_attribute), &file_index) != 0 ||
      dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &line_attribute), &line) != 0 ||
      line == 0 || line > UINT32_MAX || dwarf_diecu(inlined, &unit, nullptr, nullptr) == nullptr ||
      dwarf_getsrcfiles(&unit, &files, &file_count) != 0 || file_index >= file_count) {
    return;
  }
  const char* file = dwarf_filesrc(files, file_index, nullptr, nullptr);
  if (file == nullptr) return;
  frame->file = file;
  frame->line = static_cast<uint32_t>(line);
}

// The outermost inlined instance in `scope` whose code holds `pc`, looked for through the lexical
// blocks that hold it.
bool OutermostInlined(Dwarf_Die* scope, Dwarf_Addr pc, Dwarf_Die* inlined) {
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return false;
  do {
    const int tag = dwarf_tag(&child);
    if (tag == DW_TAG_inlined_subroutine) {
      if (dwarf_haspc(&child, pc) > 0) {
        *inlined = child;
        return true;
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
               tag == DW_TAG_catch_block) {
      if (dwarf_haspc(&child, pc) > 0 && OutermostInlined(&child, pc, inlined)) return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

}  // namespace

void Symbolizer::Refresh() {
  const std::string executable = ExecutablePath();
  RefreshContext context{&modules_, &executable};
  dl_iterate_phdr(AddModule, &context);
  if (context.out_of_memory) throw std::bad_alloc();
}

ModuleInfo* Symbolizer::FindModule(uintptr_t address) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    // Newest first: an unloaded module's range may since have been reused by a newer one.
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
      if (address >= it->begin && address < it->end) return &*it;
    }
    if (attempt == 0) Refresh();
  }
  return nullptr;
}

Symbolizer::~Symbolizer() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);  // unmaps the modules' files
  for (SupplementaryFile& file : supplementary_files_) {
    dwarf_end(file.dwarf);
    elf_end(file.elf);
  }
}

Symbolizer::DebugModule& Symbolizer::DebugModuleOf(const ModuleInfo& module) {
  if (debug_modules_.size() < modules_.size()) debug_modules_.resize(modules_.size());
  DebugModule& debug_module = debug_modules_[module.id - 1];
  if (debug_module.reported) return debug_module;
  debug_module.reported = true;

  if (dwfl_ == nullptr) {
    elf_version(EV_CURRENT);  // before the first elf_begin
    dwfl_ = dwfl_begin(&kCallbacks);
    if (dwfl_ == nullptr) return debug_module;
  }
  bool read_dwarf = false;
  std::string symbol_file;
  Elf* elf = OpenSymbolFile(module, &read_dwarf, &symbol_file);
  uintptr_t first_load = 0;
  if (elf == nullptr || !FirstLoadAddress(elf, &first_load) ||
      module.load_address + first_load >= module.end) {
    elf_end(elf);
    return debug_module;
  }
  // Reported with the module's own bias: libdw's bias is start - first_load = load_address.
  dwfl_report_begin_add(dwfl_);
  Dwfl_Module* dwfl_module =
      dwfl_report_module(dwfl_, module.path.c_str(), module.load_address + first_load, module.end);
  dwfl_report_end(dwfl_, nullptr, nullptr);
  void** user_data = nullptr;
  if (dwfl_module == nullptr ||
      dwfl_module_info(dwfl_module, &user_data, nullptr, nullptr, nullptr, nullptr, nullptr,
                       nullptr) == nullptr ||
      *user_data != nullptr) {
    // No memory, or (never expected: modules are unique by path and start) a module libdw already
    // had: it keeps its own file.
    elf_end(elf);
    return debug_module;
  }
  *user_data = elf;
  // libdw takes the file now (HandOverElf) and frees it with the module, or at once on failure.
  Dwarf_Addr bias = 0;
  if (dwfl_module_getelf(dwfl_module, &bias) == nullptr) return debug_module;
  if (read_dwarf) AttachSupplementaryFile(dwfl_module, symbol_file);
  debug_module.dwfl_module = dwfl_module;
  debug_module.read_dwarf = read_dwarf;
  return debug_module;
}

void Symbolizer::AttachSupplementaryFile(Dwfl_Module* dwfl_module, const std::string& symbol_file) {
  // DWARF compressed by dwz refers to a supplementary file (.gnu_debugaltlink). libdw would open it
  // itself at the first reference and keep its descriptor; it is opened here instead, like the
  // other files, and handed over with dwarf_setalt (libdw then leaves it to us to free).
  Dwarf_Addr bias = 0;
  Dwarf* dwarf = dwfl_module_getdwarf(dwfl_module, &bias);
  const char* name = nullptr;
  const void* id = nullptr;
  const ssize_t id_size = dwarf != nullptr ? dwelf_dwarf_gnu_debugaltlink(dwarf, &name, &id) : -1;
  if (id_size <= 0 || name == nullptr) return;
  const std::string build_id =
      HexOf(static_cast<const unsigned char*>(id), static_cast<size_t>(id_size));
  for (const SupplementaryFile& file : supplementary_files_) {
    if (file.build_id == build_id) {
      dwarf_setalt(dwarf, file.dwarf);
      return;
    }
  }
  std::vector<std::string> candidates;
  if (build_id.size() > 2) candidates.push_back(BuildIdPath(build_id));
  if (name[0] == '/') {
    candidates.push_back(name);
  } else {
    candidates.push_back(DirectoryOf(symbol_file) + "/" + name);
  }
  for (const std::string& candidate : candidates) {
    Elf* elf = MapElf(candidate, /*loadable=*/false);
    if (elf == nullptr) continue;
    Dwarf* supplementary =
        SameBuild(elf, build_id) ? dwarf_begin_elf(elf, DWARF_C_READ, nullptr) : nullptr;
    if (supplementary == nullptr) {
      elf_end(elf);
      continue;
    }
    supplementary_files_.push_back({build_id, elf, supplementary});
    dwarf_setalt(dwarf, supplementary);
    return;
  }
}

std::string Symbolizer::ElfSymbolAt(DebugModule* module, uint64_t pc) {
  return SymbolName(module->symbols.NameAt(module->dwfl_module, pc));
}

// The frame DWARF gives `pc`: the function whose machine code holds it and, when `pc` is in code
// inlined into that function, the line of the outermost inlined call in it (else the line table's,
// left to the caller). The function the code is in, not the inlined one, as the analyzer
// attributes a site to the function that asked for the memory, not to the std:: template inlined
// into it. Its linkage name, demangled; for a function without one (GCC gives none to a static C++
// function) the ELF symbol at `pc`, mangled when it is C++; else DW_AT_name. Nothing, and false,
// when no compilation unit's code holds `pc`: the line table has nothing to say about it either.
bool Symbolizer::DwarfFrameAt(DebugModule* module, uint64_t pc, SymbolizedFrame* frame) {
  Dwarf_Addr bias = 0;
  Dwarf_Die* unit = dwfl_module_addrdie(module->dwfl_module, pc, &bias);
  Dwarf* dwarf = unit != nullptr ? dwfl_module_getdwarf(module->dwfl_module, &bias) : nullptr;
  // libdw's lookup by .debug_aranges counts the gaps between the pieces of a unit's code as the
  // unit's (_start lies between main, in .text.startup, and the rest of main's unit), and the
  // unit's line table would then give the row that ends the piece before: some other line.
  if (dwarf == nullptr || dwarf_haspc(unit, pc - bias) <= 0) return false;
  auto [entry, inserted] = module->functions.try_emplace(dwarf_dieoffset(unit));
  std::vector<FunctionRange>& functions = entry->second;
  if (inserted) {
    // Every defining subprogram of the unit, through namespaces and classes (concrete out-of-line
    // instances have code ranges; abstract ones have none).
    auto add_ranges = [](Dwarf_Die* function, void* data) {
      auto* ranges = static_cast<std::vector<FunctionRange>*>(data);
      Dwarf_Addr base = 0, low = 0, high = 0;
      for (ptrdiff_t offset = 0;
           (offset = dwarf_ranges(function, offset, &base, &low, &high)) > 0;) {
        if (low < high) ranges->push_back({low, high, dwarf_dieoffset(function)});
      }
      return static_cast<int>(DWARF_CB_OK);
    };
    dwarf_getfuncs(unit, add_ranges, &functions, 0);
    std::sort(functions.begin(), functions.end(),
              [](const FunctionRange& a, const FunctionRange& b) { return a.low < b.low; });
  }
  const Dwarf_Addr unit_pc = pc - bias;
  auto after = std::upper_bound(
      functions.begin(), functions.end(), unit_pc,
      [](Dwarf_Addr value, const FunctionRange& range) { return value < range.low; });
  Dwarf_Die function;
  if (after == functions.begin() || unit_pc >= std::prev(after)->high ||
      dwarf_offdie(dwarf, std::prev(after)->die_offset, &function) == nullptr ||
      dwarf_haspc(&function, unit_pc) <= 0) {
    return true;
  }
  frame->function = LinkageName(&function);
  if (frame->function.empty()) frame->function = ElfSymbolAt(module, pc);
  if (frame->function.empty()) {
    const char* name = dwarf_diename(&function);
    if (name != nullptr) frame->function = name;
  }
  Dwarf_Die inlined;
  if (OutermostInlined(&function, unit_pc, &inlined)) {
    CallSite(&inlined, frame);
    // The rest of the inline chain, outermost first: each instance holding pc inside the last.
    std::vector<Dwarf_Die> chain{inlined};
    Dwarf_Die inner;
    while (chain.size() < kMaxInlineDepth && OutermostInlined(&chain.back(), unit_pc, &inner)) {
      chain.push_back(inner);
    }
    // Innermost first; each line is where that function calls the next inner one (the innermost's
    // own line comes from the line table, in Symbolize).
    for (size_t i = chain.size(); i-- > 0;) {
      InlinedFrame entry;
      entry.function = LinkageName(&chain[i]);
      if (entry.function.empty()) {
        Dwarf_Attribute attribute;
        const char* name = dwarf_formstring(dwarf_attr_integrate(&chain[i], DW_AT_name, &attribute));
        if (name != nullptr) entry.function = name;
      }
      if (i + 1 < chain.size()) {
        SymbolizedFrame site;
        CallSite(&chain[i + 1], &site);
        entry.file = site.file;
        entry.line = site.line;
      }
      frame->inlined.push_back(std::move(entry));
    }
  }
  return true;
}

const SymbolizedFrame& Symbolizer::Symbolize(uintptr_t address) {
  auto found = symbols_.find(address);
  if (found != symbols_.end()) return found->second;
  SymbolizedFrame frame;
  const ModuleInfo* module = FindModule(address);
  DebugModule* debug_module = module != nullptr ? &DebugModuleOf(*module) : nullptr;
  if (debug_module != nullptr && debug_module->dwfl_module != nullptr && address > 0) {
    Dwfl_Module* dwfl_module = debug_module->dwfl_module;
    const Dwarf_Addr pc = address - 1;  // inside the call instruction, not after it
    const bool in_dwarf = debug_module->read_dwarf && DwarfFrameAt(debug_module, pc, &frame);
    if (frame.function.empty()) frame.function = ElfSymbolAt(debug_module, pc);
    // The address's own line: the frame's, or the innermost inlined function's when code was
    // inlined here (the frame then has the line of the outermost inlined call).
    std::string* own_file = frame.inlined.empty() ? &frame.file : &frame.inlined.front().file;
    uint32_t* own_line = frame.inlined.empty() ? &frame.line : &frame.inlined.front().line;
    Dwfl_Line* line =
        in_dwarf && *own_line == 0 ? dwfl_module_getsrc(dwfl_module, pc) : nullptr;
    if (line != nullptr) {
      int number = 0;
      const char* file = dwfl_lineinfo(line, nullptr, &number, nullptr, nullptr, nullptr);
      if (file != nullptr && number > 0) {
        *own_file = file;
        *own_line = static_cast<uint32_t>(number);
      }
    }
  }
  return symbols_.emplace(address, std::move(frame)).first->second;
}

void Symbolizer::ForgetEmitted() {
  for (ModuleInfo& module : modules_) module.emitted = false;
}

}  // namespace clwleak
