// ElfDynamic and LoadedObjects, on this test's own process: symbols found in place agree with the
// dynamic loader's answers, relocation slots are named and hold what ld.so bound, and the DT_NEEDED
// closure of the program is its search list.
#include "elf_dynamic.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "loaded_objects.h"

namespace clwleak {
namespace {

int AnchorInThisProgram() { return 1; }

// The object whose segments hold `address`.
ElfDynamic ObjectAt(const void* address) {
  struct Search {
    uintptr_t address;
    ElfDynamic found;
    bool ok = false;
  } search{reinterpret_cast<uintptr_t>(address), {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        ElfDynamic object;
        if (!object.Read(LoadedObjectOf(*info)) || !object.Contains(search->address)) return 0;
        search->found = object;
        search->ok = true;
        return 1;
      },
      &search);
  EXPECT_TRUE(search.ok);
  return search.found;
}

TEST(ElfDynamic, NextDefinitionIsWhatRtldNextFinds) {
  const void* self = reinterpret_cast<const void*>(&AnchorInThisProgram);
  for (const char* name : {"getpid", "dlsym", "_exit", "pthread_key_create"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(FindNextDefinition(self, name), dlsym(RTLD_NEXT, name));
  }
  EXPECT_EQ(FindNextDefinition(self, "no_such_function_anywhere"), nullptr);
}

TEST(ElfDynamic, DefinitionsMatchTheLoadersForTheSameObject) {
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  ASSERT_NE(libc, nullptr);
  const ElfDynamic object = ObjectAt(dlsym(libc, "getpid"));
  EXPECT_STREQ(object.soname(), "libc.so.6");
  for (const char* name : {"malloc", "free", "__libc_free", "dlopen", "_exit"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(reinterpret_cast<void*>(object.FindDefinition(name)), dlsym(libc, name));
  }
  // cfree exists only as an old version (cfree@GLIBC_2.2.5): not a default definition.
  EXPECT_EQ(object.FindDefinition("cfree"), 0u);
  dlclose(libc);
}

TEST(ElfDynamic, SymbolSlotsHoldWhatTheLoaderBound) {
  ASSERT_GT(getpid(), 0);  // binds this program's slot for getpid, if lazily bound
  const ElfDynamic self = ObjectAt(reinterpret_cast<const void*>(&AnchorInThisProgram));
  int getpid_slots = 0;
  self.ForEachSymbolSlot([&](uintptr_t* slot, const char* name, int64_t addend) {
    if (std::string(name) != "getpid") return;
    ++getpid_slots;
    EXPECT_EQ(*slot - static_cast<uintptr_t>(addend),
              reinterpret_cast<uintptr_t>(dlsym(RTLD_DEFAULT, "getpid")));
  });
  EXPECT_GE(getpid_slots, 1);
}

TEST(LoadedObjects, TheProgramsClosureHoldsLibcOnceAndInTheBaseNamespace) {
  std::vector<LoadedObjectEntry> storage(512);
  LoadedObjects objects(storage.data(), storage.size());
  ASSERT_TRUE(objects.Collect());
  const size_t self = objects.IndexContaining(reinterpret_cast<uintptr_t>(&AnchorInThisProgram));
  ASSERT_NE(self, SIZE_MAX);
  EXPECT_TRUE(objects[self].base_namespace);
  std::vector<size_t> order(storage.size());
  size_t count = 0;
  objects[self].marks |= 1;
  order[count++] = self;
  objects.ExtendByNeeds(order.data(), &count, order.size(), 1);
  int libc = 0;
  for (size_t i = 0; i < count; ++i) {
    const char* soname = objects[order[i]].elf.soname();
    libc += soname != nullptr && std::string(soname) == "libc.so.6";
  }
  EXPECT_EQ(libc, 1);
  EXPECT_EQ(order[0], self);
}

}  // namespace
}  // namespace clwleak
