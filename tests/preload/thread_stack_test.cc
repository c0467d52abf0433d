// FindThreadStack (preload/thread_stack.h): the calling thread's own stack, found without
// allocating, against what pthread_getattr_np reports, and refused on an alternate signal stack.
#include "thread_stack.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <cstdint>
#include <thread>

namespace clwleak {
namespace {

struct Bounds {
  uintptr_t low = 0;
  uintptr_t high = 0;
};

Bounds FromPthread() {
  pthread_attr_t attributes;
  EXPECT_EQ(pthread_getattr_np(pthread_self(), &attributes), 0);
  void* base = nullptr;
  size_t size = 0;
  pthread_attr_getstack(&attributes, &base, &size);
  pthread_attr_destroy(&attributes);
  return {reinterpret_cast<uintptr_t>(base), reinterpret_cast<uintptr_t>(base) + size};
}

void ExpectOwnStack() {
  uintptr_t here = reinterpret_cast<uintptr_t>(&here);
  Bounds found;
  ASSERT_TRUE(FindThreadStack(here, &found.low, &found.high));
  EXPECT_LT(found.low, here);
  EXPECT_GT(found.high, here);
  // The stack glibc reports lies inside what was found (which also holds the thread's descriptor
  // and TLS above it for a thread other than the main one).
  const Bounds reported = FromPthread();
  EXPECT_LE(found.low, reported.low + 4096) << "no more than a guard page apart";
  EXPECT_GE(found.high, reported.high);
  EXPECT_LT(found.high - reported.high, uintptr_t{1} << 20);
}

TEST(ThreadStack, MainThread) { ExpectOwnStack(); }

TEST(ThreadStack, OtherThread) {
  std::thread thread(ExpectOwnStack);
  thread.join();
}

int g_found_on_alternate_stack = -1;

void OnAlternateStack(int) {
  uintptr_t here = reinterpret_cast<uintptr_t>(&here);
  uintptr_t low = 0;
  uintptr_t high = 0;
  g_found_on_alternate_stack = FindThreadStack(here, &low, &high) ? 1 : 0;
}

TEST(ThreadStack, AlternateSignalStackIsNotTheThreadsStack) {
  constexpr size_t kSize = 1 << 16;
  void* memory = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  stack_t alternate = {};
  alternate.ss_sp = memory;
  alternate.ss_size = kSize;
  stack_t previous;
  ASSERT_EQ(sigaltstack(&alternate, &previous), 0);
  struct sigaction action = {};
  struct sigaction previous_action;
  action.sa_handler = OnAlternateStack;
  action.sa_flags = SA_ONSTACK;
  ASSERT_EQ(sigaction(SIGUSR2, &action, &previous_action), 0);
  raise(SIGUSR2);
  sigaction(SIGUSR2, &previous_action, nullptr);
  sigaltstack(&previous, nullptr);
  munmap(memory, kSize);
  EXPECT_EQ(g_found_on_alternate_stack, 0);
}

}  // namespace
}  // namespace clwleak
