// libmini_debuginfo.so: a library shipped the way Fedora ships its packages. Its build strips it of
// .symtab and adds the function symbols back as MiniDebugInfo (.gnu_debugdata: an xz-compressed
// ELF file holding a .symtab), so that its internal functions, absent from .dynsym, have names.
#include <stdint.h>

extern "C" __attribute__((noinline, visibility("hidden"))) uintptr_t mini_return_address() {
  uintptr_t address = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  __asm__ volatile("" : "+r"(address));
  return address;
}

// Internal: named only by MiniDebugInfo. A return address inside this function.
extern "C" __attribute__((noinline, visibility("hidden"))) uintptr_t mini_internal_call_site() {
  uintptr_t address = mini_return_address();
  __asm__ volatile("" : "+r"(address));  // no tail call: the call returns here
  return address;
}

extern "C" __attribute__((noinline, visibility("default"))) uintptr_t mini_debuginfo_entry() {
  uintptr_t address = mini_internal_call_site();
  __asm__ volatile("" : "+r"(address));
  return address;
}
