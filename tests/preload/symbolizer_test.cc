// The symbolizer on real addresses of this process: its own functions (plain and inlined), a shared
// library with and without DWARF, libc, addresses in no file, a forked child, and the descriptors
// it leaves (none).
#include <dirent.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "symbolizer.h"

namespace symbolized {
namespace with_dwarf {
uintptr_t CallSiteInLibrary(int* line);  // libsymbolized.so
}  // namespace with_dwarf
}  // namespace symbolized

namespace clwleak_symbolizer_test {

__attribute__((noinline)) uintptr_t ReturnAddress() {
  uintptr_t address = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  __asm__ volatile("" : "+r"(address));
  return address;
}

// A return address inside this function, and the line of its call.
__attribute__((noinline)) uintptr_t CallSite(int* line) {
  *line = __LINE__ + 1;
  uintptr_t address = ReturnAddress();
  __asm__ volatile("" : "+r"(address));  // no tail call: the call returns here
  return address;
}

__attribute__((always_inline)) inline uintptr_t InlinedCallSite() {
  uintptr_t address = ReturnAddress();
  __asm__ volatile("" : "+r"(address));
  return address;
}

// A return address inside code inlined into this function, and the line of the inlined call.
__attribute__((noinline)) uintptr_t CallsInlined(int* line) {
  *line = __LINE__ + 1;
  uintptr_t address = InlinedCallSite();
  __asm__ volatile("" : "+r"(address));
  return address;
}

}  // namespace clwleak_symbolizer_test

namespace clwleak {
namespace {

// Descriptor number -> what it names.
std::map<int, std::string> OpenDescriptors() {
  std::map<int, std::string> descriptors;
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return descriptors;
  const int own = dirfd(directory);
  while (dirent* entry = readdir(directory)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = atoi(entry->d_name);
    if (fd == own) continue;
    char target[4096] = {};
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    if (readlink(link.c_str(), target, sizeof(target) - 1) < 0) continue;
    descriptors[fd] = target;
  }
  closedir(directory);
  return descriptors;
}

uintptr_t LibcMalloc() {
  // libc's own malloc, not an interposer's (a sanitizer runtime's) found by symbol search.
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  if (libc == nullptr) return 0;
  const uintptr_t address = reinterpret_cast<uintptr_t>(dlsym(libc, "malloc"));
  dlclose(libc);
  return address;
}

// Symbolizes the return address `call_site` gives and expects `function`, this file and the line
// `call_site` reported.
uintptr_t ExpectFrameInThisFile(Symbolizer* symbolizer, uintptr_t (*call_site)(int*),
                                const char* function) {
  int line = 0;
  const uintptr_t address = call_site(&line);
  const SymbolizedFrame& frame = symbolizer->Symbolize(address);
  EXPECT_EQ(frame.function, function);
  EXPECT_EQ(frame.file, __FILE__);
  EXPECT_EQ(frame.line, static_cast<uint32_t>(line));
  return address;
}

TEST(Symbolizer, NamesAFunctionItsFileAndTheLineOfTheCall) {
  Symbolizer symbolizer;
  const uintptr_t address = ExpectFrameInThisFile(&symbolizer, clwleak_symbolizer_test::CallSite,
                                                  "clwleak_symbolizer_test::CallSite(int*)");
  ModuleInfo* module = symbolizer.FindModule(address);
  ASSERT_NE(module, nullptr);
  EXPECT_FALSE(module->build_id.empty());
}

// Code inlined into a function is that function's: the frame names the function whose machine code
// it is, at the line of the inlined call, as a std:: template inlined into the caller that asked
// for the memory must leave the caller named.
TEST(Symbolizer, NamesTheFunctionThatCodeIsInlinedInto) {
  Symbolizer symbolizer;
  ExpectFrameInThisFile(&symbolizer, clwleak_symbolizer_test::CallsInlined,
                        "clwleak_symbolizer_test::CallsInlined(int*)");
}

TEST(Symbolizer, NamesAFunctionInASharedLibraryWithDwarf) {
  Symbolizer symbolizer;
  int line = 0;
  const uintptr_t address = symbolized::with_dwarf::CallSiteInLibrary(&line);
  const SymbolizedFrame& frame = symbolizer.Symbolize(address);
  EXPECT_EQ(frame.function, "symbolized::with_dwarf::CallSiteInLibrary(int*)");
  EXPECT_NE(frame.file.find("/libsymbolized.cc"), std::string::npos) << frame.file;
  EXPECT_EQ(frame.line, static_cast<uint32_t>(line));
  ModuleInfo* module = symbolizer.FindModule(address);
  ASSERT_NE(module, nullptr);
  EXPECT_NE(module->path.find("libsymbolized"), std::string::npos) << module->path;
}

TEST(Symbolizer, NamesAFunctionFromElfSymbolsAloneAlsoAfterItsLibraryIsUnloaded) {
  Symbolizer symbolizer;
  void* library = dlopen(SYMBOLS_ONLY_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  using CallSite = uintptr_t (*)(int*);
  auto call_site = reinterpret_cast<CallSite>(
      dlsym(library, "_ZN10symbolized13without_dwarf17CallSiteInLibraryEPi"));
  ASSERT_NE(call_site, nullptr) << dlerror();
  int line = 0;
  const uintptr_t address = call_site(&line);
  const SymbolizedFrame& frame = symbolizer.Symbolize(address);
  EXPECT_EQ(frame.function, "symbolized::without_dwarf::CallSiteInLibrary(int*)");
  EXPECT_EQ(frame.file, "");
  EXPECT_EQ(frame.line, 0u);

  // The symbolizer keeps its own mapping of the file: an address first seen after dlclose (a frame
  // captured earlier) is still named, and nothing reads the unmapped range.
  const uintptr_t entry = reinterpret_cast<uintptr_t>(call_site);
  ASSERT_EQ(dlclose(library), 0);
  EXPECT_EQ(symbolizer.Symbolize(entry + 1).function,
            "symbolized::without_dwarf::CallSiteInLibrary(int*)");
}

// A stripped library whose function symbols come as MiniDebugInfo (Fedora's packages): libdw reads
// that table (the symbol table's own reading leaves such a file to it), and an internal function,
// absent from .dynsym, is named.
TEST(Symbolizer, NamesAnInternalFunctionFromMiniDebugInfo) {
  // The library is made with xz at build time; scripts/test installs it (scripts/deps.sh).
  if (MINI_DEBUGINFO_LIBRARY[0] == '\0') {
    GTEST_SKIP() << "xz was not found when the build was configured (Debian package xz-utils)";
  }
  void* library = dlopen(MINI_DEBUGINFO_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  auto entry = reinterpret_cast<uintptr_t (*)()>(dlsym(library, "mini_debuginfo_entry"));
  ASSERT_NE(entry, nullptr) << dlerror();
  ASSERT_EQ(dlsym(library, "mini_internal_call_site"), nullptr);  // not in .dynsym
  Symbolizer symbolizer;
  EXPECT_EQ(symbolizer.Symbolize(entry()).function, "mini_internal_call_site");
  EXPECT_EQ(symbolizer.Symbolize(reinterpret_cast<uintptr_t>(entry) + 1).function,
            "mini_debuginfo_entry");
  dlclose(library);
}

TEST(Symbolizer, NamesLibcMalloc) {
  Symbolizer symbolizer;
  const uintptr_t malloc_address = LibcMalloc();
  ASSERT_NE(malloc_address, 0u);
  // A "return address" one byte past malloc's entry: the lookup is at malloc's first instruction.
  const SymbolizedFrame& frame = symbolizer.Symbolize(malloc_address + 1);
  EXPECT_NE(frame.function.find("malloc"), std::string::npos) << frame.function;
  ModuleInfo* module = symbolizer.FindModule(malloc_address);
  ASSERT_NE(module, nullptr);
  EXPECT_NE(module->path.find("libc.so"), std::string::npos) << module->path;
}

// libc exports its allocator under several names at one address (realloc and __libc_realloc, ...):
// the public one is taken, inside the function as at its entry, and every lookup agrees with dladdr
// on which function holds the address.
TEST(Symbolizer, NamesLibcFunctionsByTheirPublicAlias) {
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libc, nullptr);
  Symbolizer symbolizer;
  for (const char* name : {"malloc", "free", "calloc", "realloc", "posix_memalign", "getcwd"}) {
    const uintptr_t entry = reinterpret_cast<uintptr_t>(dlsym(libc, name));
    ASSERT_NE(entry, 0u) << name;
    for (uintptr_t offset : {uintptr_t{1}, uintptr_t{9}}) {
      const uintptr_t address = entry + offset;  // looked up at address - 1
      Dl_info info;
      ASSERT_NE(dladdr(reinterpret_cast<void*>(address - 1), &info), 0) << name;
      ASSERT_EQ(reinterpret_cast<uintptr_t>(info.dli_saddr), entry) << name;  // still inside it
      EXPECT_EQ(symbolizer.Symbolize(address).function, name) << "+" << offset;
    }
  }
  dlclose(libc);
}

TEST(Symbolizer, AddressesInNoFileGiveEmptyFrames) {
  Symbolizer symbolizer;
  for (uintptr_t address : {uintptr_t{0}, uintptr_t{1}, uintptr_t{0x10}, ~uintptr_t{0}}) {
    const SymbolizedFrame& frame = symbolizer.Symbolize(address);
    EXPECT_EQ(frame.function, "") << address;
    EXPECT_EQ(frame.file, "") << address;
    EXPECT_EQ(frame.line, 0u) << address;
  }
  // Generated code: executable memory that belongs to no module.
  void* code =
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(code, MAP_FAILED);
  EXPECT_EQ(symbolizer.FindModule(reinterpret_cast<uintptr_t>(code) + 100), nullptr);
  EXPECT_EQ(symbolizer.Symbolize(reinterpret_cast<uintptr_t>(code) + 100).function, "");
  munmap(code, 4096);
  // The vdso is a module without a file: found, and nothing breaks whatever it is named.
  if (const uintptr_t vdso = getauxval(AT_SYSINFO_EHDR)) {
    EXPECT_NE(symbolizer.FindModule(vdso + 0x800), nullptr);
    symbolizer.Symbolize(vdso + 0x800);
  }
}

TEST(Symbolizer, LeavesNoDescriptorOpen) {
  const std::map<int, std::string> before = OpenDescriptors();
  ASSERT_FALSE(before.empty());
  {
    Symbolizer symbolizer;
    int line = 0;
    EXPECT_FALSE(symbolizer.Symbolize(clwleak_symbolizer_test::CallSite(&line)).function.empty());
    EXPECT_FALSE(
        symbolizer.Symbolize(symbolized::with_dwarf::CallSiteInLibrary(&line)).function.empty());
    EXPECT_FALSE(symbolizer.Symbolize(LibcMalloc() + 1).function.empty());
    EXPECT_EQ(OpenDescriptors(), before);  // while the symbolizer and its mappings live
  }
  EXPECT_EQ(OpenDescriptors(), before);
}

TEST(Symbolizer, WorksInAForkedChild) {
  Symbolizer symbolizer;
  int line = 0;
  ASSERT_EQ(symbolizer.Symbolize(clwleak_symbolizer_test::CallSite(&line)).function,
            "clwleak_symbolizer_test::CallSite(int*)");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Inherited state, and addresses not looked up before the fork, in modules already read and
    // not yet read.
    int inlined_line = 0, library_line = 0;
    const SymbolizedFrame inlined =
        symbolizer.Symbolize(clwleak_symbolizer_test::CallsInlined(&inlined_line));
    const SymbolizedFrame library =
        symbolizer.Symbolize(symbolized::with_dwarf::CallSiteInLibrary(&library_line));
    const bool right = inlined.function == "clwleak_symbolizer_test::CallsInlined(int*)" &&
                       inlined.line == static_cast<uint32_t>(inlined_line) &&
                       library.function == "symbolized::with_dwarf::CallSiteInLibrary(int*)" &&
                       library.line == static_cast<uint32_t>(library_line);
    _exit(right ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace clwleak
