// Module discovery and frame symbolization; see symbolizer.h.
#include "symbolizer.h"

#include <link.h>
#include <string.h>

#include <boost/stacktrace/frame.hpp>

#include "process_info.h"

namespace clwleak {
namespace {

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
        static const char kHex[] = "0123456789abcdef";
        std::string hex;
        for (uint32_t b = 0; b < header->n_descsz; ++b) {
          unsigned char byte = static_cast<unsigned char>(descriptor[b]);
          hex += kHex[byte >> 4];
          hex += kHex[byte & 15];
        }
        return hex;
      }
      note = next;
    }
  }
  return "";
}

struct RefreshContext {
  std::vector<ModuleInfo>* modules;
  const std::string* executable;
};

int AddModule(dl_phdr_info* info, size_t, void* data) {
  auto* context = static_cast<RefreshContext*>(data);
  uintptr_t begin = UINTPTR_MAX, end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
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
  context->modules->push_back(std::move(module));
  return 0;
}

}  // namespace

void Symbolizer::Refresh() {
  const std::string executable = ExecutablePath();
  RefreshContext context{&modules_, &executable};
  dl_iterate_phdr(AddModule, &context);
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

const SymbolizedFrame& Symbolizer::Symbolize(uintptr_t address) {
  auto [it, inserted] = symbols_.try_emplace(address);
  SymbolizedFrame& result = it->second;
  if (!inserted) return result;
  try {
    boost::stacktrace::frame frame(reinterpret_cast<void*>(address - 1));
    result.function = frame.name();
    result.file = frame.source_file();
    result.line = static_cast<uint32_t>(frame.source_line());
  } catch (...) {
    // Symbolization is best effort: an unnamed frame still carries its module and offset.
  }
  return result;
}

void Symbolizer::ForgetEmitted() {
  for (ModuleInfo& module : modules_) module.emitted = false;
}

}  // namespace clwleak
