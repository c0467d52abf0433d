// Attribution of stacks to modules and cross-file stack identity; see attribution.h.
#include "attribution.h"

#include <cstdio>

#include "memory_kinds.h"

namespace clwleak::analysis {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The qualified name of a demangled function, without a leading return type:
// "void std::vector<int>::push_back(int const&)" -> "std::vector<int>::push_back".
std::string_view QualifiedName(std::string_view function) {
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < function.size(); ++i) {
    const char c = function[i];
    if (c == '<') ++depth;
    if (c == '>') --depth;
    if (c == '(' && depth == 0) return function.substr(start, i - start);
    if (c == ' ' && depth == 0) start = i + 1;
  }
  return function.substr(start);
}

}  // namespace

bool IsStandardLibraryFunction(std::string_view function) {
  if (StartsWith(function, "operator new") || StartsWith(function, "operator delete")) return true;
  const std::string_view name = QualifiedName(function);
  return StartsWith(name, "std::") || StartsWith(name, "__gnu_cxx::");
}

std::string ModuleBasename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool IsRuntimeModule(std::string_view module_path) {
  const std::string name = ModuleBasename(module_path);
  static constexpr std::string_view kRuntimePrefixes[] = {
      "libc.so",      "libc-",        "libm.so",      "libm-",        "libpthread.so",
      "libdl.so",     "librt.so",     "ld-linux",     "ld.so",        "ld-2.",
      "libstdc++.so", "libgcc_s.so",  "libclwleak",   "libjemalloc.so", "libtcmalloc",
      "libmimalloc.so"};
  for (std::string_view prefix : kRuntimePrefixes) {
    if (StartsWith(name, prefix)) return true;
  }
  return false;
}

Attribution Attribute(const ProfileState& state, uint32_t stack_id) {
  Attribution result;
  result.module = "[unknown]";
  const auto frames = state.FramesOf(stack_id);
  if (frames.empty()) return result;
  int innermost_with_module = -1;
  for (size_t i = 0; i < frames.size(); ++i) {
    const proto::Module* module = state.ModuleOf(*frames[i]);
    if (module == nullptr || module->path().empty()) continue;
    if (innermost_with_module < 0) innermost_with_module = static_cast<int>(i);
    if (!IsRuntimeModule(module->path())) {
      result.module = ModuleBasename(module->path());
      result.site_frame = static_cast<int>(i);
      // Standard-library templates compiled into the module (std::string, std::vector, ...) are
      // not the code that wants the memory: name the site after their caller in the same module.
      for (size_t j = i; j + 1 < frames.size() && IsStandardLibraryFunction(frames[j]->function());
           ++j) {
        const proto::Module* next = state.ModuleOf(*frames[j + 1]);
        if (next == nullptr || next->path() != module->path()) break;
        result.site_frame = static_cast<int>(j + 1);
      }
      return result;
    }
  }
  if (innermost_with_module >= 0) {
    result.site_frame = innermost_with_module;
    result.module = ModuleBasename(state.ModuleOf(*frames[innermost_with_module])->path());
  } else {
    result.site_frame = 0;
  }
  return result;
}

std::string StackKey(const ProfileState& state, uint32_t stack_id) {
  std::string key;
  auto stack = state.stacks.find(stack_id);
  if (stack != state.stacks.end() && stack->second.kind() != proto::HEAP) {
    key = KindName(stack->second.kind()) + ":";
  }
  for (const proto::Frame* frame : state.FramesOf(stack_id)) {
    const proto::Module* module = state.ModuleOf(*frame);
    key += module != nullptr ? ModuleBasename(module->path()) : std::string("?");
    key += '!';
    if (!frame->function().empty()) {
      key += frame->function();
      key += '@';
      key += frame->file();
      key += ':';
      key += std::to_string(frame->line());
    } else {
      char offset[32];
      std::snprintf(offset, sizeof offset, "+0x%llx",
                    static_cast<unsigned long long>(frame->module_offset()));
      key += offset;
    }
    key += ';';
  }
  if (key.empty() || key == "mmap:") key += "#" + std::to_string(stack_id);  // no frames
  return key;
}

}  // namespace clwleak::analysis
