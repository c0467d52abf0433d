// Detection of valgrind and the sanitizer runtimes; see foreign_runtime.h.
#include "foreign_runtime.h"

#include <valgrind/valgrind.h>

#include "elf_dynamic.h"

namespace clwleak {

const char* ForeignHeapRuntime() {
  // A client request: a no-op instruction sequence natively, answered by valgrind's core.
  if (RUNNING_ON_VALGRIND) return "valgrind";
  // Each runtime defines its initializer, linked into the program (clang's default) or in its
  // shared runtime (gcc's libasan.so...). Looked up in every loaded object, without dlsym.
  static const struct {
    const char* symbol;
    const char* name;
  } kSanitizers[] = {{"__asan_init", "AddressSanitizer"},
                     {"__hwasan_init", "HWAddressSanitizer"},
                     {"__tsan_init", "ThreadSanitizer"},
                     {"__msan_init", "MemorySanitizer"}};
  for (const auto& sanitizer : kSanitizers) {
    if (FindNextDefinition(reinterpret_cast<const void*>(&ForeignHeapRuntime), sanitizer.symbol)) {
      return sanitizer.name;
    }
  }
  return nullptr;
}

}  // namespace clwleak
