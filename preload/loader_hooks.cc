// The exported dynamic-loader functions: dlsym, dlvsym, dlopen and dlmopen (dlclose is in
// runtime.cc). They exist so that no binding a program can make reaches glibc's free, realloc or
// malloc_usable_size with a sampled block (hooked_symbols.h):
//  - dlsym/dlvsym of a hooked name that would return glibc's definition returns ours (for
//    example dlsym(RTLD_NEXT, "free") from a library loaded after the preload);
//  - dlopen/dlmopen with RTLD_DEEPBIND (in inline mode) loads the object, then rebinds its calls
//    of the hooked names from glibc's to ours (allocator_rebinding.h).
// Everything else is forwarded untouched.
//
// These functions depend on who calls them: glibc reads the return address to find the calling
// object (RTLD_NEXT is "after the caller", dlopen searches the caller's RPATH/RUNPATH and expands
// $ORIGIN from it). So each is a few instructions of assembly that asks a C++ hook what to do,
// with the caller's return address, and then either returns the hook's answer or jumps to the real
// function with the caller's return address still on the stack: a forwarded call is exactly the
// call the program made. Only a RTLD_DEEPBIND load is made from here; dlopen_path.h finds the file
// the caller's own search would have found.
//
// This file is compiled without link-time optimization: its assembly calls the hooks by name.
#include <dlfcn.h>
#include <link.h>

#include "allocator_rebinding.h"
#include "base.h"
#include "capture.h"
#include "dlopen_path.h"
#include "hooked_symbols.h"
#include "real_functions.h"

#if defined(__x86_64__)

namespace clwleak {
namespace {

// What a hook tells its assembly stub: return `value`, or (when `forward` is set) jump to it.
// Returned in rax:rdx.
struct HookAnswer {
  void* value;
  void* forward;
};

HookAnswer Forward(void* function) { return {nullptr, function}; }
HookAnswer Answer(void* value) { return {value, nullptr}; }

void EnsureLoaderOrDie() {
  if (EnsureLoaderFunctions()) return;
  Warn("no real dlsym, dlopen or _exit in any loaded object; the process cannot continue");
  __builtin_trap();
}

// Ours in place of glibc's definition of a hooked name, or null to forward the lookup.
void* Substitute(void* handle, const char* name, const char* version, void* caller) {
  if (name == nullptr || PreloadIsPassThrough()) return nullptr;
  const HookedSymbol* symbol = FindHookedSymbol(name);
  // The preload's own lookups (none go through here today) always get the real answer.
  if (symbol == nullptr || !symbol->redirectable || IsInPreload(caller)) return nullptr;
  // The same lookup made from here: RTLD_NEXT then starts after libclwleak.so, where the caller's
  // own lookup would find ours (caller loaded before the preload) or, after it, glibc's.
  BusyScope busy;
  void* found =
      version != nullptr ? g_loader.dlvsym(handle, name, version) : g_loader.dlsym(handle, name);
  if (found == nullptr) return nullptr;  // the forwarded call reports the error as the caller's
  return found == symbol->ours || InLibc(found) ? symbol->ours : nullptr;
}

// RTLD_DEEPBIND loads are made here only where blocks with headers can exist (inline mode).
bool DeepbindNeedsRebinding(const char* file, int mode) {
  return file != nullptr && (mode & RTLD_DEEPBIND) != 0 && EnsureRealFunctions() &&
         InlineBookkeeping() && !PreloadIsPassThrough();
}

// dlopen (or dlmopen into the base namespace, the same thing) of `file` with RTLD_DEEPBIND, as
// `caller` would have made it.
void* OpenWithDeepbind(const char* file, int mode, void* caller) {
  char path[kCallerPathCapacity];
  const char* target = PathForCaller(file, caller, path);
  // The object's initializers run inside dlopen with glibc's free bound, before it can be
  // rebound: no block gets a header meanwhile.
  HeaderBlackout blackout;
  void* handle = g_loader.dlopen(target, mode);
  if (handle != nullptr) RebindAllocatorCalls(handle);
  return handle;
}

}  // namespace
}  // namespace clwleak

using clwleak::HookAnswer;

extern "C" {

__attribute__((visibility("hidden"), used)) HookAnswer clwleak_dlsym_hook(void* handle,
                                                                          const char* name,
                                                                          void* caller) {
  clwleak::EnsureLoaderOrDie();
  void* ours = clwleak::Substitute(handle, name, nullptr, caller);
  return ours != nullptr ? clwleak::Answer(ours)
                         : clwleak::Forward(reinterpret_cast<void*>(clwleak::g_loader.dlsym));
}

__attribute__((visibility("hidden"), used)) HookAnswer clwleak_dlvsym_hook(void* handle,
                                                                           const char* name,
                                                                           const char* version,
                                                                           void* caller) {
  clwleak::EnsureLoaderOrDie();
  void* ours = clwleak::Substitute(handle, name, version, caller);
  return ours != nullptr ? clwleak::Answer(ours)
                         : clwleak::Forward(reinterpret_cast<void*>(clwleak::g_loader.dlvsym));
}

__attribute__((visibility("hidden"), used)) HookAnswer clwleak_dlopen_hook(const char* file,
                                                                           int mode, void* caller) {
  clwleak::EnsureLoaderOrDie();
  if (!clwleak::DeepbindNeedsRebinding(file, mode)) {
    return clwleak::Forward(reinterpret_cast<void*>(clwleak::g_loader.dlopen));
  }
  return clwleak::Answer(clwleak::OpenWithDeepbind(file, mode, caller));
}

__attribute__((visibility("hidden"), used)) HookAnswer clwleak_dlmopen_hook(long namespace_id,
                                                                            const char* file,
                                                                            int mode,
                                                                            void* caller) {
  clwleak::EnsureLoaderOrDie();
  // A new namespace has its own libc, whose free never sees our blocks: nothing to rebind.
  if (namespace_id != LM_ID_BASE || !clwleak::DeepbindNeedsRebinding(file, mode)) {
    return clwleak::Forward(reinterpret_cast<void*>(clwleak::g_loader.dlmopen));
  }
  return clwleak::Answer(clwleak::OpenWithDeepbind(file, mode, caller));
}

}  // extern "C"

// Each stub saves the argument registers, calls its hook with the caller's return address as one
// more argument, restores them and returns the hook's value or tail-jumps to the real function.
// On entry the return address is at (%rsp) and %rsp is 8 mod 16; four pushes and 8 more bytes
// align the call, and the return address is then at 40(%rsp).
// clang-format off
#define CLWLEAK_LOADER_STUB(name, hook, caller_register)                \
  ".globl " #name "\n"                                                  \
  ".type " #name ", @function\n"                                        \
  #name ":\n"                                                           \
  "  .cfi_startproc\n"                                                  \
  "  pushq %rdi\n  .cfi_adjust_cfa_offset 8\n"                          \
  "  pushq %rsi\n  .cfi_adjust_cfa_offset 8\n"                          \
  "  pushq %rdx\n  .cfi_adjust_cfa_offset 8\n"                          \
  "  pushq %rcx\n  .cfi_adjust_cfa_offset 8\n"                          \
  "  subq $8, %rsp\n  .cfi_adjust_cfa_offset 8\n"                       \
  "  movq 40(%rsp), " caller_register "\n"                              \
  "  call " #hook "\n"                                                  \
  "  movq %rdx, %r11\n"                                                 \
  "  addq $8, %rsp\n  .cfi_adjust_cfa_offset -8\n"                      \
  "  popq %rcx\n  .cfi_adjust_cfa_offset -8\n"                          \
  "  popq %rdx\n  .cfi_adjust_cfa_offset -8\n"                          \
  "  popq %rsi\n  .cfi_adjust_cfa_offset -8\n"                          \
  "  popq %rdi\n  .cfi_adjust_cfa_offset -8\n"                          \
  "  testq %r11, %r11\n"                                                \
  "  jz 1f\n"                                                           \
  "  jmp *%r11\n"                                                       \
  "1:\n"                                                                \
  "  ret\n"                                                             \
  "  .cfi_endproc\n"                                                    \
  ".size " #name ", .-" #name "\n"

asm(".text\n"
    CLWLEAK_LOADER_STUB(dlsym, clwleak_dlsym_hook, "%rdx")
    CLWLEAK_LOADER_STUB(dlvsym, clwleak_dlvsym_hook, "%rcx")
    CLWLEAK_LOADER_STUB(dlopen, clwleak_dlopen_hook, "%rdx")
    CLWLEAK_LOADER_STUB(dlmopen, clwleak_dlmopen_hook, "%rcx"));
// clang-format on

#endif  // __x86_64__
