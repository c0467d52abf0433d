// The stack cache's account (preload/stack_cache_budget.h): fills that never pay send the cache
// dormant within a bounded spend; hits keep it active; measured unwinds wake it again.
#include "stack_cache_budget.h"

#include <gtest/gtest.h>

namespace clwleak {
namespace {

constexpr uint64_t kUnwind = 3000;  // ticks of one unwind
constexpr uint64_t kFill = 40000;   // ticks of one fill: several unwinds
constexpr uint64_t kLookup = 50;

TEST(StackCacheBudget, FillsThatNeverPaySpendAtMostTheInitialCreditAndTheExplorationShare) {
  StackCacheBudget budget;
  uint64_t fills = 0;
  constexpr uint64_t kSamples = 100000;
  for (uint64_t i = 0; i < kSamples; ++i) {
    if (budget.Active()) {
      if (budget.TimeThisLookup()) budget.NoteLookup(kLookup);
      budget.OnMiss();
    }
    budget.OnUnwind(kUnwind);
    if (budget.Active()) {
      budget.OnFill(kFill);
      ++fills;
    }
  }
  // What the cache spent beyond the unwinds themselves: a few fills' worth plus 1/16 of them.
  const double spent = static_cast<double>(fills * kFill);
  const double bound = static_cast<double>(StackCacheBudget::kInitialCredit + kFill) +
                       static_cast<double>(kSamples * kUnwind) /
                           static_cast<double>(StackCacheBudget::kExplorationShare);
  EXPECT_LE(spent, bound);
  EXPECT_GT(fills, 0u);  // it kept looking now and then
}

TEST(StackCacheBudget, HitsKeepTheCacheActive) {
  StackCacheBudget budget;
  budget.OnUnwind(kUnwind);
  budget.OnFill(kFill);
  budget.NoteLookup(kLookup);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(budget.Active() || i < 20) << i;
    budget.OnHit();
  }
  EXPECT_TRUE(budget.Active());
  EXPECT_EQ(budget.balance(), StackCacheBudget::kInitialCredit - static_cast<int64_t>(kFill) +
                                  static_cast<int64_t>(kUnwind / 16) +
                                  1000 * static_cast<int64_t>(kUnwind - kLookup));
}

TEST(StackCacheBudget, TheBalanceIsCappedBothWays) {
  StackCacheBudget budget;
  for (int i = 0; i < 100000; ++i) budget.OnHit();  // no unwind measured yet: credits nothing
  EXPECT_EQ(budget.balance(), StackCacheBudget::kInitialCredit);
  budget.OnUnwind(1u << 20);
  for (int i = 0; i < 100; ++i) budget.OnHit();
  EXPECT_EQ(budget.balance(), StackCacheBudget::kMaxCredit);
  budget.OnFill(UINT64_MAX);  // a counter that went backwards
  EXPECT_EQ(budget.balance(), 0);
  EXPECT_FALSE(budget.Active());
  for (int i = 0; i < 4; ++i) budget.OnFill(UINT64_MAX);
  EXPECT_EQ(budget.balance(), -StackCacheBudget::kMaxCredit);
}

TEST(StackCacheBudget, APreemptedUnwindDoesNotMakeHitsLookValuable) {
  StackCacheBudget budget;
  budget.OnUnwind(kUnwind);
  budget.OnUnwind(uint64_t{1} << 30);  // the thread was descheduled in the middle
  const int64_t before = budget.balance();
  budget.OnHit();
  EXPECT_EQ(budget.balance() - before, static_cast<int64_t>(kUnwind));
}

TEST(StackCacheBudget, OneLookupInSixteenIsTimed) {
  StackCacheBudget budget;
  int timed = 0;
  for (int i = 0; i < 1600; ++i) timed += budget.TimeThisLookup() ? 1 : 0;
  EXPECT_EQ(timed, 100);
}

TEST(StackCacheBudget, UnwindsWakeADormantCache) {
  StackCacheBudget budget;
  budget.OnUnwind(kUnwind);
  budget.OnFill(StackCacheBudget::kInitialCredit + kFill);
  ASSERT_FALSE(budget.Active());
  int unwinds = 0;
  while (!budget.Active()) {
    budget.OnUnwind(kUnwind);
    ++unwinds;
  }
  EXPECT_LE(unwinds, static_cast<int>(16 * kFill / kUnwind) + 2);
}

}  // namespace
}  // namespace clwleak
