// SymbolTable on the modules of this process: a lookup by scanning the table gives the same name as
// a lookup in the index, at every address of the code of this program (.symtab), libc and
// libstdc++ (.dynsym); the first lookups scan, later ones use the index.
#include "symbol_table.h"

#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <gtest/gtest.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

// A function of this program with a plain C name.
extern "C" __attribute__((noinline)) int clwleak_symbol_table_test_function(int value) {
  __asm__ volatile("" : "+r"(value));
  return value + 1;
}

namespace clwleak {
namespace {

// No separate debug files: each module's table is that of its own file, as in the Symbolizer.
int NoDebugFile(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word,
                char**) {
  return -1;
}

const Dwfl_Callbacks kCallbacks = {dwfl_linux_proc_find_elf, NoDebugFile, nullptr, nullptr};

struct CodeRange {
  std::string path;
  uintptr_t begin = 0;
  uintptr_t end = 0;
};

int AddCodeRanges(dl_phdr_info* info, size_t, void* data) {
  auto* ranges = static_cast<std::vector<CodeRange>*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X) != 0) {
      const uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
      ranges->push_back({info->dlpi_name != nullptr ? info->dlpi_name : "", begin,
                         begin + segment.p_memsz});
    }
  }
  return 0;
}

class SymbolTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dwfl_ = dwfl_begin(&kCallbacks);
    ASSERT_NE(dwfl_, nullptr);
    ASSERT_EQ(dwfl_linux_proc_report(dwfl_, getpid()), 0);
    ASSERT_EQ(dwfl_report_end(dwfl_, nullptr, nullptr), 0);
    dl_iterate_phdr(AddCodeRanges, &ranges_);
  }
  void TearDown() override { dwfl_end(dwfl_); }

  // The code of the module holding `address`.
  CodeRange RangeOf(uintptr_t address) {
    for (const CodeRange& range : ranges_) {
      if (address >= range.begin && address < range.end) return range;
    }
    ADD_FAILURE() << "no code range holds " << address;
    return {};
  }

  Dwfl* dwfl_ = nullptr;
  std::vector<CodeRange> ranges_;
};

const char* NameOrEmpty(const char* name) { return name != nullptr ? name : ""; }

// Every `step` bytes of the module's code (and each function entry and the byte before it, where a
// symbol starts and the previous one may or may not reach), by scanning and in the index.
void ExpectScanAndIndexAgree(Dwfl_Module* module, const CodeRange& range, uintptr_t step,
                             const std::vector<uintptr_t>& entries) {
  SymbolTable scanned(/*scans_before_index=*/1 << 30);
  SymbolTable indexed(/*scans_before_index=*/0);
  std::vector<uintptr_t> addresses;
  for (uintptr_t pc = range.begin; pc < range.end; pc += step) addresses.push_back(pc);
  for (uintptr_t entry : entries) {
    addresses.push_back(entry);
    addresses.push_back(entry - 1);
  }
  int named = 0;
  for (uintptr_t pc : addresses) {
    const std::string by_scan = NameOrEmpty(scanned.NameAt(module, pc));
    const std::string by_index = NameOrEmpty(indexed.NameAt(module, pc));
    ASSERT_EQ(by_scan, by_index) << range.path << " + " << std::hex << pc - range.begin;
    named += !by_scan.empty();
  }
  EXPECT_FALSE(scanned.indexed());
  EXPECT_TRUE(indexed.indexed());
  // Not a table of nothing: a good part of the code is named even where only exported functions
  // are (libc's .dynsym names about a third of its code).
  EXPECT_GT(named, static_cast<int>(addresses.size()) / 5) << range.path;
}

// The library's own definition, not an interposer's (a sanitizer runtime's).
uintptr_t LibraryFunction(const char* library, const char* name) {
  void* handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
  const uintptr_t address = handle != nullptr ? reinterpret_cast<uintptr_t>(dlsym(handle, name)) : 0;
  if (handle != nullptr) dlclose(handle);
  return address;
}

uintptr_t LibcFunction(const char* name) { return LibraryFunction("libc.so.6", name); }

TEST_F(SymbolTableTest, ScanAndIndexAgreeOnThisProgramFromItsSymtab) {
  const uintptr_t here = reinterpret_cast<uintptr_t>(&clwleak_symbol_table_test_function);
  Dwfl_Module* module = dwfl_addrmodule(dwfl_, here);
  ASSERT_NE(module, nullptr);
  ExpectScanAndIndexAgree(module, RangeOf(here), 23, {here});
  SymbolTable table;
  EXPECT_STREQ(table.NameAt(module, here + 1), "clwleak_symbol_table_test_function");
}

TEST_F(SymbolTableTest, ScanAndIndexAgreeOnLibcAndNameItsPublicAliases) {
  std::vector<uintptr_t> entries;
  for (const char* name : {"malloc", "free", "calloc", "realloc", "posix_memalign", "getcwd"}) {
    entries.push_back(LibcFunction(name));
    ASSERT_NE(entries.back(), 0u) << name;
  }
  Dwfl_Module* module = dwfl_addrmodule(dwfl_, entries[0]);
  ASSERT_NE(module, nullptr);
  ExpectScanAndIndexAgree(module, RangeOf(entries[0]), 61, entries);
  // By scanning as in the index: the public alias (calloc, not __libc_calloc).
  SymbolTable table;
  EXPECT_STREQ(table.NameAt(module, entries[2] + 8), "calloc");
  EXPECT_STREQ(table.NameAt(module, entries[3]), "realloc");
}

TEST_F(SymbolTableTest, ScanAndIndexAgreeOnLibstdcxxFromItsDynsym) {
  const uintptr_t entry = LibraryFunction("libstdc++.so.6", "_Znwm");  // operator new(size_t)
  ASSERT_NE(entry, 0u);
  Dwfl_Module* module = dwfl_addrmodule(dwfl_, entry);
  ASSERT_NE(module, nullptr);
  const CodeRange range = RangeOf(entry);
  ASSERT_NE(range.path.find("libstdc++"), std::string::npos) << range.path;
  ExpectScanAndIndexAgree(module, range, 97, {entry});
}

TEST_F(SymbolTableTest, TheFirstLookupsScanAndLaterOnesUseTheIndex) {
  const uintptr_t malloc_entry = LibcFunction("malloc");
  Dwfl_Module* module = dwfl_addrmodule(dwfl_, malloc_entry);
  ASSERT_NE(module, nullptr);
  SymbolTable table;
  for (int lookup = 0; lookup < SymbolTable::kScansBeforeIndex; ++lookup) {
    EXPECT_STREQ(table.NameAt(module, malloc_entry + lookup), "malloc");
    EXPECT_FALSE(table.indexed()) << "lookup " << lookup;
  }
  EXPECT_STREQ(table.NameAt(module, malloc_entry), "malloc");
  EXPECT_TRUE(table.indexed());
}

}  // namespace
}  // namespace clwleak
