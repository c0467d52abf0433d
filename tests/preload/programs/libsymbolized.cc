// libsymbolized.so: a shared library whose call sites the symbolizer test names, built twice: with
// DWARF (symbolized::with_dwarf) and without (symbolized::without_dwarf, only its ELF symbols).
#include <stdint.h>

#ifdef SYMBOLIZED_WITHOUT_DWARF
#define SYMBOLIZED_NAMESPACE without_dwarf
#else
#define SYMBOLIZED_NAMESPACE with_dwarf
#endif

namespace symbolized {
namespace SYMBOLIZED_NAMESPACE {

__attribute__((noinline)) uintptr_t ReturnAddress() {
  uintptr_t address = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  __asm__ volatile("" : "+r"(address));
  return address;
}

// A return address inside this function, and the line of its call.
__attribute__((noinline, visibility("default"))) uintptr_t CallSiteInLibrary(int* line) {
  *line = __LINE__ + 1;
  uintptr_t address = ReturnAddress();
  __asm__ volatile("" : "+r"(address));  // no tail call: the call returns here
  return address;
}

}  // namespace SYMBOLIZED_NAMESPACE
}  // namespace symbolized
