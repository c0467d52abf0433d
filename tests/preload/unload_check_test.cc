// The check dlclose makes before asking for a symbolization (preload/unload_check.h): stacks whose
// frames all lie in start-up objects need none; a frame anywhere else (an object dlopen loaded)
// does, until the stacks are noted as symbolized.
#include "unload_check.h"

#include <gtest/gtest.h>

namespace clwleak {
namespace {

TEST(UnloadCheck, OnlyFramesOutsideTheStartupObjectsNeedSymbolsBeforeDlclose) {
  NoteStartupObjects();
  const uintptr_t here = reinterpret_cast<uintptr_t>(&NoteStartupObjects);
  const uintptr_t libc = reinterpret_cast<uintptr_t>(&malloc);
  const uintptr_t nowhere = 0x1000;  // as good as an object dlopen mapped after start-up
  ASSERT_TRUE(InStartupObject(here));
  ASSERT_TRUE(InStartupObject(libc));
  ASSERT_FALSE(InStartupObject(nowhere));

  StackTable stacks;
  ASSERT_TRUE(stacks.Init(1024, 64));
  uint32_t count = 0;
  EXPECT_FALSE(StacksNeedSymbolsBeforeUnload(stacks, &count));  // no stacks at all

  const uintptr_t startup_frames[] = {here, libc, here + 1};
  stacks.Intern(startup_frames, 3, AllocationKind::kHeap);
  EXPECT_FALSE(StacksNeedSymbolsBeforeUnload(stacks, &count));
  EXPECT_EQ(count, 1u);

  const uintptr_t plugin_frames[] = {nowhere, here};
  stacks.Intern(plugin_frames, 2, AllocationKind::kHeap);
  EXPECT_TRUE(StacksNeedSymbolsBeforeUnload(stacks, &count));
  EXPECT_EQ(count, 2u);
  EXPECT_TRUE(StacksNeedSymbolsBeforeUnload(stacks, &count));  // asked again until symbolized
  NoteStacksSymbolized(count);
  EXPECT_FALSE(StacksNeedSymbolsBeforeUnload(stacks, &count));

  stacks.Intern(startup_frames, 2, AllocationKind::kMmap);  // checked from where it stopped
  EXPECT_FALSE(StacksNeedSymbolsBeforeUnload(stacks, &count));
  EXPECT_EQ(count, 3u);
}

}  // namespace
}  // namespace clwleak
