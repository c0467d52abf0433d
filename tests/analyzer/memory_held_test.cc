// HeldMemoryTracker (the holders at the end, at the peak, and the final stretch) on hand-made
// snapshots, and JudgeOomCause's rules on hand-made reports: each cause where its evidence is, and
// none where it is not.
#include "memory_held.h"

#include <gtest/gtest.h>

#include "oom_cause.h"

namespace clwleak::analysis {
namespace {

proto::Snapshot MakeSnapshot(uint64_t rss, std::vector<std::pair<uint32_t, uint64_t>> stacks,
                             uint64_t largest = 0) {
  proto::Snapshot snapshot;
  snapshot.set_rss_bytes(rss);
  uint64_t heap = 0;
  for (const auto& [id, live] : stacks) {
    proto::StackStats* stats = snapshot.add_stacks();
    stats->set_stack_id(id);
    stats->set_live_bytes(live);
    stats->set_live_count(live / 100);
    stats->set_largest_allocation_bytes(largest);
    heap += live;
  }
  snapshot.set_heap_live_bytes(heap);
  return snapshot;
}

uint64_t LiveOf(const HeldState& state, uint32_t id) {
  for (const auto& [stack, counters] : state.stacks) {
    if (stack == id) return static_cast<uint64_t>(counters.live_bytes);
  }
  return 0;
}

TEST(HeldMemoryTracker, PeakEndAndFinalStretch) {
  HeldMemoryTracker tracker(2);
  tracker.Observe(MakeSnapshot(1000, {{1, 100}, {2, 50}}), 1, 10);
  tracker.Observe(MakeSnapshot(3000, {{1, 500}}, 400), 2, 20);  // the peak; stack 2 unchanged
  tracker.Observe(MakeSnapshot(2000, {{1, 0}}), 3, 30);         // stack 1 freed
  tracker.Observe(MakeSnapshot(2500, {{2, 80}}), 4, 40);
  tracker.Observe(MakeSnapshot(2900, {{2, 200}}), 5, 50);

  const HeldState peak = tracker.Peak();
  ASSERT_TRUE(peak.valid);
  EXPECT_EQ(peak.snapshot_index, 1u);
  EXPECT_EQ(peak.seconds, 2);
  EXPECT_EQ(LiveOf(peak, 1), 500u);
  EXPECT_EQ(LiveOf(peak, 2), 50u);  // carried from the first snapshot

  const HeldState end = tracker.End();
  EXPECT_EQ(end.snapshot_index, 4u);
  EXPECT_EQ(LiveOf(end, 1), 0u);
  EXPECT_EQ(end.stacks.size(), 1u) << "only stacks that hold memory";
  EXPECT_EQ(LiveOf(end, 2), 200u);

  // Two snapshots before the end: snapshot 2.
  const HeldState before = tracker.BeforeEnd();
  EXPECT_EQ(before.snapshot_index, 2u);
  EXPECT_EQ(before.in_use_bytes, 2000);
  EXPECT_EQ(LiveOf(before, 1), 0u);
  EXPECT_EQ(LiveOf(before, 2), 50u);
}

// An early peak and many changes after it: the peak is kept (made into a copy once the changes
// outnumber the stacks), and a later, higher peak replaces it.
TEST(HeldMemoryTracker, EarlyPeakSurvivesManyLaterChanges) {
  HeldMemoryTracker tracker(3);
  tracker.Observe(MakeSnapshot(5000, {{1, 1000}, {2, 2000}, {3, 3000}}), 0, 0);
  for (uint64_t i = 1; i <= 20; ++i) {
    tracker.Observe(MakeSnapshot(1000 + i, {{i % 3 + 1, i}, {10 + i, 7}}), static_cast<double>(i),
                    0);
  }
  HeldState peak = tracker.Peak();
  EXPECT_EQ(peak.snapshot_index, 0u);
  EXPECT_EQ(peak.stacks.size(), 3u);
  EXPECT_EQ(LiveOf(peak, 1), 1000u);
  EXPECT_EQ(LiveOf(peak, 2), 2000u);
  EXPECT_EQ(LiveOf(peak, 3), 3000u);
  EXPECT_EQ(LiveOf(peak, 11), 0u);
  tracker.Observe(MakeSnapshot(9000, {{1, 50}}), 21, 0);
  peak = tracker.Peak();
  EXPECT_EQ(peak.snapshot_index, 21u);
  EXPECT_EQ(LiveOf(peak, 1), 50u);
  EXPECT_EQ(LiveOf(peak, 30), 7u);
}

TEST(HeldMemoryTracker, ShortFilesHaveNoFinalStretch) {
  HeldMemoryTracker tracker(3);
  EXPECT_FALSE(tracker.End().valid);
  tracker.Observe(MakeSnapshot(1000, {{1, 100}}), 1, 0);
  EXPECT_FALSE(tracker.BeforeEnd().valid);
  tracker.Observe(MakeSnapshot(1000, {{1, 300}}), 2, 0);
  // Fewer snapshots than the stretch: it starts at the first one.
  EXPECT_EQ(tracker.BeforeEnd().snapshot_index, 0u);
  EXPECT_EQ(LiveOf(tracker.BeforeEnd(), 1), 100u);
}

TEST(FillHeldMemory, SharesModulesAndGrowth) {
  HeldMemoryTracker tracker(1);
  tracker.Observe(MakeSnapshot(1000, {{1, 300}, {2, 100}}), 1, 0);
  tracker.Observe(MakeSnapshot(1000, {{1, 600}}, 64), 2, 0);
  FileReport file;
  file.memory.limit_bytes = 4000;
  SiteReport a;
  a.stack_id = 1;
  a.module = "libclient.so";
  SiteReport b;
  b.stack_id = 2;
  b.module = "worker";
  file.sites = {b, a};
  FillHeldMemory(tracker, &file);
  const HeldMoment& end = file.held.end;
  ASSERT_EQ(end.sites.size(), 2u);
  EXPECT_EQ(end.sites[0].site.stack_id, 1u);
  EXPECT_EQ(end.sites[0].live_bytes, 600);
  EXPECT_DOUBLE_EQ(end.sites[0].share, 600.0 / 700);
  EXPECT_EQ(end.sites[0].largest_allocation_bytes, 64u);
  ASSERT_TRUE(end.in_use_of_limit);
  EXPECT_DOUBLE_EQ(*end.in_use_of_limit, 0.25);
  ASSERT_EQ(end.modules.size(), 2u);
  EXPECT_EQ(end.modules[0].module, "libclient.so");
  EXPECT_TRUE(file.held.peak_is_end == false);  // the first snapshot reached 1000 first
  ASSERT_TRUE(file.held.final_stretch.valid);
  ASSERT_EQ(file.held.final_stretch.grew.size(), 1u);
  EXPECT_EQ(file.held.final_stretch.grew[0].growth_bytes, 300);
}

// A report with one holder at the peak and at the end.
FileReport Report(double limit, double in_use_end, double in_use_peak, double live, double count) {
  FileReport file;
  file.memory.limit_bytes = limit;
  HeldSite top;
  top.site.stack_id = 7;
  top.live_bytes = live;
  top.live_count = count;
  top.share = 0.9;
  for (HeldMoment* moment : {&file.held.end, &file.held.peak}) {
    moment->valid = true;
    moment->sites = {top};
    moment->heap_live_bytes = live / 0.9;
    moment->heap_live_count = count + 1000;
  }
  file.held.end.in_use_bytes = in_use_end;
  file.held.end.in_use_of_limit = in_use_end / limit;
  file.held.peak.in_use_bytes = in_use_peak;
  file.held.peak.in_use_of_limit = in_use_peak / limit;
  return file;
}

TEST(JudgeOomCause, LargePayloadsOnlyUnderPressure) {
  const double mib = 1 << 20;
  FileReport file = Report(1000 * mib, 500 * mib, 800 * mib, 700 * mib, 7);
  EXPECT_EQ(JudgeOomCause(file).cause, OomCause::kLargePayloads);
  EXPECT_TRUE(JudgeOomCause(file).payloads_accumulate);
  // Far from the limit and not killed: no cause.
  file = Report(100000 * mib, 500 * mib, 800 * mib, 700 * mib, 7);
  EXPECT_EQ(JudgeOomCause(file).cause, OomCause::kNone);
  // Killed: judged whatever the limit.
  file.ending = Ending::kNoFinalSnapshot;
  EXPECT_EQ(JudgeOomCause(file).cause, OomCause::kLargePayloads);
  // Many small blocks are no payload.
  file = Report(1000 * mib, 500 * mib, 800 * mib, 700 * mib, 700000);
  EXPECT_NE(JudgeOomCause(file).cause, OomCause::kLargePayloads);
}

TEST(JudgeOomCause, LeakWhateverThePressure) {
  const double mib = 1 << 20;
  FileReport file = Report(100000 * mib, 100 * mib, 100 * mib, 90 * mib, 90000);
  file.verdict = Classification::kLeak;
  EXPECT_EQ(JudgeOomCause(file).cause, OomCause::kLeak);
}

TEST(JudgeOomCause, LoadSpikesFollowTheRequestRate) {
  const double mib = 1 << 20;
  FileReport file = Report(128 * mib, 20 * mib, 110 * mib, 90 * mib, 900);
  double requests = 0;
  // 200 requests/s with 12 MiB, then 1,600/s with 100 MiB, then 200/s again; a stall and a
  // catch-up at normal load.
  const double rates[] = {200, 200, 200, 0, 400, 200, 1600, 1600, 1600, 1600, 200, 200, 200, 200};
  for (size_t i = 0; i < std::size(rates); ++i) {
    requests += rates[i];
    const double heap = (rates[i] >= 1600 ? 100 : 12) * mib;
    file.timeline.push_back(TimelinePoint{static_cast<double>(i + 1), requests, heap, heap, heap});
  }
  file.timeline.insert(file.timeline.begin(), TimelinePoint{0, 0, 0, 0, 0});
  const OomCauseReport cause = JudgeOomCause(file);
  EXPECT_EQ(cause.cause, OomCause::kLoadSpikes);
  EXPECT_EQ(cause.high_load_intervals, 4u);
  EXPECT_EQ(cause.heap_at_high_load_bytes, 100 * mib);
  EXPECT_EQ(cause.heap_at_normal_load_bytes, 12 * mib);
}

TEST(JudgeOomCause, LimitTooSmallWhenFlatNearIt) {
  const double mib = 1 << 20;
  FileReport file = Report(128 * mib, 122 * mib, 122.5 * mib, 100 * mib, 1600);
  double requests = 0;
  for (int i = 0; i <= 20; ++i) {
    requests += 2000;
    const double in_use = (i == 0 ? 60 : 122 + (i % 2) * 0.5) * mib;
    file.timeline.push_back(
        TimelinePoint{static_cast<double>(i), requests, 100 * mib, in_use, in_use});
  }
  EXPECT_EQ(JudgeOomCause(file).cause, OomCause::kLimitTooSmall);
  // Growing through the second half: not flat.
  for (size_t i = 10; i < file.timeline.size(); ++i) {
    file.timeline[i].in_use_bytes = (90 + 2 * static_cast<double>(i)) * mib;
  }
  EXPECT_EQ(JudgeOomCause(file).cause, OomCause::kUndetermined);
}

}  // namespace
}  // namespace clwleak::analysis
