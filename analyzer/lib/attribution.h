// Attribution of an allocation stack to the code responsible for it: the first frame (innermost
// first) whose module is not the allocator or the language runtime, and that frame's module.
// Also the identity of a stack across processes (symbolized frames, not ids or addresses), used
// to aggregate a fleet's files. Called by analysis.cc; pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "snapshot_reader.h"

namespace clwleak::analysis {

// "/usr/lib/x86_64-linux-gnu/libc.so.6" -> "libc.so.6".
std::string ModuleBasename(std::string_view path);

// True for modules whose frames are the allocator or the runtime rather than the code that wants
// the memory: glibc (libc, libm, libpthread, libdl, librt), the dynamic loader (ld-linux*, ld.so),
// libstdc++, libgcc_s, libclwleak itself, and preloadable allocators (jemalloc, tcmalloc,
// mimalloc).
bool IsRuntimeModule(std::string_view module_path);

// True for demangled names in the C++ standard library (std::, __gnu_cxx::, operator new/delete),
// whatever return type precedes them.
bool IsStandardLibraryFunction(std::string_view function);

struct Attribution {
  std::string module;   // basename; "[unknown]" when no frame has a module
  int site_frame = -1;  // index into ProfileState::FramesOf(stack); -1 when the stack has no frames
};

// The first frame outside the runtime with a known module; within that module, standard-library
// template frames are skipped so the site names their caller. When every frame is runtime (memory
// the runtime allocates for itself) the innermost frame with a module is used.
Attribution Attribute(const ProfileState& state, uint32_t stack_id);

// A key equal for the same call stack in different processes of the same binaries: per frame the
// module basename and the function, file and line (or the module offset when unsymbolized).
std::string StackKey(const ProfileState& state, uint32_t stack_id);

}  // namespace clwleak::analysis
