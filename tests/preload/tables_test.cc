// The capture tables on their own: AllocationTable, FreeFilter, StackTable and MappingTable,
// single-threaded for their contracts and multi-threaded for their lock-free protocols.
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

#include "allocation_table.h"
#include "free_filter.h"
#include "mapping_table.h"
#include "stack_table.h"

namespace clwleak {
namespace {

TEST(AllocationTable, InsertRemoveAndReuseOfSlots) {
  AllocationTable table;
  ASSERT_TRUE(table.Init(1000));
  EXPECT_EQ(table.slot_count(), 2048u);
  AllocationRecord record;
  record.size = 100;
  record.weight_bytes = 250;
  record.stack_id = 7;
  for (uintptr_t round = 0; round < 50; ++round) {  // tombstones must be reused, not exhaust it
    for (uintptr_t i = 1; i <= 1000; ++i) ASSERT_TRUE(table.Insert(i * 16, record)) << i;
    AllocationRecord out;
    for (uintptr_t i = 1; i <= 1000; ++i) {
      ASSERT_TRUE(table.Remove(i * 16, &out));
      EXPECT_EQ(out.stack_id, 7u);
      EXPECT_EQ(out.weight_bytes, 250u);
    }
    EXPECT_FALSE(table.Remove(16, &out));
  }
}

TEST(AllocationTable, FullTableRefusesInserts) {
  AllocationTable table;
  ASSERT_TRUE(table.Init(16));  // 32 slots
  AllocationRecord record;
  int inserted = 0;
  for (uintptr_t i = 1; i <= 100; ++i) inserted += table.Insert(i * 16, record) ? 1 : 0;
  EXPECT_EQ(inserted, 32);
}

TEST(AllocationTable, ConcurrentInsertAndRemoveKeepEveryEntryOnce) {
  AllocationTable table;
  ASSERT_TRUE(table.Init(1 << 16));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      AllocationRecord record;
      record.stack_id = static_cast<uint32_t>(t);
      for (int round = 0; round < 200; ++round) {
        for (uintptr_t i = 0; i < 1000; ++i) {
          if (!table.Insert((static_cast<uintptr_t>(t) << 32) + i * 16 + 16, record)) ++failures;
        }
        AllocationRecord out;
        for (uintptr_t i = 0; i < 1000; ++i) {
          if (!table.Remove((static_cast<uintptr_t>(t) << 32) + i * 16 + 16, &out) ||
              out.stack_id != static_cast<uint32_t>(t)) {
            ++failures;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(FreeFilter, CountsAndSaturates) {
  static FreeFilter filter;  // 64 KiB: keep it off the stack
  static int a = 0, b = 0;  // two distinct addresses
  EXPECT_FALSE(filter.MayContain(&a));
  filter.Add(&a);
  filter.Add(&a);
  EXPECT_TRUE(filter.MayContain(&a));
  filter.Remove(&a);
  EXPECT_TRUE(filter.MayContain(&a));
  filter.Remove(&a);
  EXPECT_FALSE(filter.MayContain(&a));
  for (int i = 0; i < 300; ++i) filter.Add(&b);
  for (int i = 0; i < 300; ++i) filter.Remove(&b);
  EXPECT_TRUE(filter.MayContain(&b));  // saturated: stays set, never a false negative
}

TEST(StackTable, InternsOncePerDistinctStack) {
  StackTable stacks;
  ASSERT_TRUE(stacks.Init(1024, 64));
  uintptr_t a[] = {1, 2, 3}, b[] = {1, 2, 4}, c[] = {1, 2};
  uint32_t id_a = stacks.Intern(a, 3, AllocationKind::kHeap);
  EXPECT_EQ(stacks.Intern(a, 3, AllocationKind::kHeap), id_a);
  uint32_t id_b = stacks.Intern(b, 3, AllocationKind::kHeap);
  uint32_t id_c = stacks.Intern(c, 2, AllocationKind::kHeap);
  uint32_t id_mmap = stacks.Intern(a, 3, AllocationKind::kMmap);
  EXPECT_NE(id_a, id_b);
  EXPECT_NE(id_a, id_c);
  EXPECT_NE(id_a, id_mmap);
  EXPECT_EQ(stacks.id_count(), 4u);
  EXPECT_EQ(stacks.record(id_b).depth, 3u);
  EXPECT_EQ(stacks.frames(id_b)[2], 4u);
  stacks.RecordAllocation(id_a, 100, 1, 0);
  stacks.RecordAllocation(id_a, 30, 1, 2);
  stacks.RecordFree(id_a, 40, 1, 2);  // more than bucket 2 holds: reported as 0, never negative
  EXPECT_EQ(stacks.Totals(id_a).allocated_bytes - stacks.Totals(id_a).freed_bytes, 90u);
  ASSERT_TRUE(stacks.records_ages());
  uint64_t by_birth[kBirthBuckets];
  ASSERT_TRUE(stacks.LiveBytesByBirth(id_a, by_birth));
  EXPECT_EQ(by_birth[0], 100u);
  EXPECT_EQ(by_birth[1], 0u);
  EXPECT_EQ(by_birth[2], 0u);
  stacks.RecordFree(id_a, 60, 1, 0);
  ASSERT_TRUE(stacks.LiveBytesByBirth(id_a, by_birth));
  EXPECT_EQ(by_birth[0], 40u);
  // A birth beyond the last bucket counts in the last one.
  stacks.RecordAllocation(id_b, 7, 1, kBirthBuckets + 5);
  ASSERT_TRUE(stacks.LiveBytesByBirth(id_b, by_birth));
  EXPECT_EQ(by_birth[kBirthBuckets - 1], 7u);
}

TEST(StackTable, FullTableReturnsInvalid) {
  StackTable stacks;
  ASSERT_TRUE(stacks.Init(8, 4));
  for (uintptr_t i = 0; i < 8; ++i) EXPECT_NE(stacks.Intern(&i, 1, AllocationKind::kHeap), StackTable::kInvalidId);
  uintptr_t extra = 99;
  EXPECT_EQ(stacks.Intern(&extra, 1, AllocationKind::kHeap), StackTable::kInvalidId);
}

TEST(StackTable, ConcurrentInterningAgreesOnIds) {
  StackTable stacks;
  ASSERT_TRUE(stacks.Init(4096, 8));
  std::vector<std::vector<uint32_t>> seen(4, std::vector<uint32_t>(1000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uintptr_t i = 0; i < 1000; ++i) {
        uintptr_t frames[3] = {i, i * 7, i * 13};
        seen[t][i] = stacks.Intern(frames, 3, AllocationKind::kHeap);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(seen[t], seen[0]);
  // Threads that met a new stack at the same moment may each have made a record; one of them is
  // found from then on, the others stay unused. Every record is published.
  EXPECT_GE(stacks.id_count(), 1000u);
  EXPECT_LE(stacks.id_count(), 4000u);
  for (uint32_t id = 0; id < stacks.id_count(); ++id) EXPECT_TRUE(stacks.IsPublished(id));
  for (uintptr_t i = 0; i < 1000; ++i) {
    uintptr_t frames[3] = {i, i * 7, i * 13};
    EXPECT_EQ(stacks.Intern(frames, 3, AllocationKind::kHeap), seen[0][i]);
    EXPECT_EQ(stacks.frames(seen[0][i])[1], i * 7);
  }
}

// Threads come and go (more at once than there are shards to own), each counting allocations and
// frees of the same stacks, while a reader sums the shards the way the writer does.
TEST(StackTable, ConcurrentCountingKeepsExactTotals) {
  StackTable stacks;
  ASSERT_TRUE(stacks.Init(64, 4));
  uintptr_t frames_a[] = {1, 2}, frames_b[] = {3, 4};
  const uint32_t a = stacks.Intern(frames_a, 2, AllocationKind::kHeap);
  const uint32_t b = stacks.Intern(frames_b, 2, AllocationKind::kHeap);
  constexpr int kWaves = 3, kThreadsPerWave = 2 * kCounterShards, kEvents = 100000;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> negative_live{0};
  std::thread reader([&] {
    while (!done.load()) {
      for (uint32_t id : {a, b}) {
        const StackTotals totals = stacks.Totals(id);
        if (totals.freed_bytes > totals.allocated_bytes) negative_live.fetch_add(1);
      }
    }
  });
  std::atomic<int> owned_seen{0};
  for (int wave = 0; wave < kWaves; ++wave) {
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int t = 0; t < kThreadsPerWave; ++t) {
      threads.emplace_back([&] {
        if (CurrentCounterShard().owned) owned_seen.fetch_add(1);
        ready.fetch_add(1);
        while (ready.load() < kThreadsPerWave) std::this_thread::yield();  // all count at once
        for (int i = 0; i < kEvents; ++i) {
          // a's blocks are born in two buckets and freed; b's stay live, born in bucket 5.
          stacks.RecordAllocation(a, 48, 1, static_cast<uint32_t>(i % 2));
          stacks.RecordAllocation(b, 16, 1, 5);
          stacks.RecordFree(a, 48, 1, static_cast<uint32_t>(i % 2));
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  done.store(true);
  reader.join();
  const uint64_t events = static_cast<uint64_t>(kWaves) * kThreadsPerWave * kEvents;
  const StackTotals totals_a = stacks.Totals(a), totals_b = stacks.Totals(b);
  EXPECT_EQ(totals_a.allocated_bytes, 48 * events);
  EXPECT_EQ(totals_a.freed_bytes, 48 * events);
  EXPECT_EQ(totals_a.allocated_samples, events);
  EXPECT_EQ(totals_a.freed_samples, events);
  EXPECT_EQ(totals_b.allocated_bytes, 16 * events);
  EXPECT_EQ(totals_b.allocated_count_fp, events);
  EXPECT_EQ(totals_b.freed_bytes, 0u);
  EXPECT_EQ(negative_live.load(), 0u);
  // Live bytes by birth add up over the shards, a free on one shard cancelling an allocation on
  // another.
  uint64_t by_birth[kBirthBuckets];
  ASSERT_TRUE(stacks.LiveBytesByBirth(a, by_birth));
  for (uint32_t i = 0; i < kBirthBuckets; ++i) EXPECT_EQ(by_birth[i], 0u) << i;
  ASSERT_TRUE(stacks.LiveBytesByBirth(b, by_birth));
  EXPECT_EQ(by_birth[5], 16 * events);
  EXPECT_EQ(by_birth[4], 0u);
  // Exited threads gave their shards back: every wave found owned shards to claim (all but the one
  // this test's main thread may hold from an earlier test).
  EXPECT_GE(owned_seen.load(), kWaves * static_cast<int>(kCounterShards - 2));
}

struct Removed {
  std::map<uint32_t, uint64_t> bytes, counts;
  std::map<uint32_t, uint32_t> births;
};
void Collect(const MappingPiece& piece, uint64_t bytes, uint64_t count, void* context) {
  auto* removed = static_cast<Removed*>(context);
  removed->bytes[piece.stack_id] += bytes;
  removed->counts[piece.stack_id] += count;
  removed->births[piece.stack_id] = piece.birth_bucket;
}

TEST(MappingTable, PartialUnmapsSplitAndTrim) {
  MappingTable table;
  ASSERT_TRUE(table.Init(64));
  const uintptr_t page = 4096, base = 0x100000;
  ASSERT_TRUE(table.Insert(base, 16 * page, 1.0, 1, 5, 3));
  Removed removed;
  table.Remove(base + 4 * page, 4 * page, &Collect, &removed);  // hole in the middle
  EXPECT_EQ(removed.bytes[5], 4 * page);
  EXPECT_EQ(removed.counts[5], 0u);
  EXPECT_EQ(removed.births[5], 3u);  // every piece keeps the mapping's birth
  table.Remove(base, 2 * page, &Collect, &removed);  // trim the head
  EXPECT_EQ(removed.bytes[5], 6 * page);
  table.Remove(base + 15 * page, page, &Collect, &removed);  // trim the tail
  EXPECT_EQ(removed.bytes[5], 7 * page);
  table.Remove(base, 64 * page, &Collect, &removed);  // everything else, across both pieces
  EXPECT_EQ(removed.bytes[5], 16 * page);
  EXPECT_EQ(removed.counts[5], 1u);  // the allocation is gone exactly once
  EXPECT_TRUE(table.IsEmpty());
}

TEST(MappingTable, SampledWeightsScaleWithWhatRemains) {
  MappingTable table;
  ASSERT_TRUE(table.Init(64));
  ASSERT_TRUE(table.Insert(0x200000, 8192, 2.5, 3, 9, 0));  // sampled with p = 0.4
  Removed removed;
  table.Remove(0x200000, 4096, &Collect, &removed);
  EXPECT_EQ(removed.bytes[9], 10240u);
  table.Remove(0x201000, 4096, &Collect, &removed);
  EXPECT_EQ(removed.bytes[9], 20480u);
  EXPECT_EQ(removed.counts[9], 3u);
}

TEST(MappingTable, UnrelatedRangesAreUntouched) {
  MappingTable table;
  ASSERT_TRUE(table.Init(64));
  ASSERT_TRUE(table.Insert(0x300000, 4096, 1.0, 1, 1, 0));
  ASSERT_TRUE(table.Insert(0x500000, 4096, 1.0, 1, 2, 0));
  Removed removed;
  table.Remove(0x400000, 4096, &Collect, &removed);
  EXPECT_TRUE(removed.bytes.empty());
  table.Remove(0x500000, 4096, &Collect, &removed);
  EXPECT_EQ(removed.bytes[2], 4096u);
  EXPECT_EQ(removed.bytes.count(1), 0u);
}

// mprotect's view: the reserved pieces that overlap a range, clipped to it; other kinds skipped.
TEST(MappingTable, FindsReservedPiecesClippedToTheRange) {
  MappingTable table;
  ASSERT_TRUE(table.Init(64));
  const uintptr_t page = 4096;
  EXPECT_FALSE(table.HasReserved());
  ASSERT_TRUE(table.Insert(0x600000, 8 * page, 2.0, 2, 1, 0, AllocationKind::kReserved, false));
  EXPECT_TRUE(table.HasReserved());
  ASSERT_TRUE(table.Insert(0x600000 + 8 * page, 4 * page, 1.0, 1, 2, 0, AllocationKind::kMmap));
  ASSERT_TRUE(
      table.Insert(0x600000 + 12 * page, 4 * page, 1.0, 1, 3, 0, AllocationKind::kReserved, true));
  MappingPiece found[4];
  // Pages 6..13: the tail of the first reservation and the head of the second, not the mmap.
  ASSERT_EQ(
      table.FindOverlapping(0x600000 + 6 * page, 8 * page, AllocationKind::kReserved, found, 4),
      2u);
  EXPECT_EQ(found[0].start, 0x600000 + 6 * page);
  EXPECT_EQ(found[0].end, 0x600000 + 8 * page);
  EXPECT_EQ(found[0].stack_id, 1u);
  EXPECT_EQ(found[0].count_unit_fp, 2u);
  EXPECT_FALSE(found[0].shared);
  EXPECT_EQ(found[1].start, 0x600000 + 12 * page);
  EXPECT_EQ(found[1].end, 0x600000 + 14 * page);
  EXPECT_TRUE(found[1].shared);
  // At most `capacity` pieces.
  EXPECT_EQ(table.FindOverlapping(0x600000, 16 * page, AllocationKind::kReserved, found, 1), 1u);
  EXPECT_EQ(table.FindOverlapping(0x600000, 16 * page, AllocationKind::kSharedAnonymous, found, 4),
            0u);
  AllocationKind kind;
  bool shared = false;
  ASSERT_TRUE(table.KindAt(0x600000 + 9 * page, &kind, &shared));
  EXPECT_EQ(kind, AllocationKind::kMmap);
  ASSERT_TRUE(table.KindAt(0x600000 + 15 * page, &kind, &shared));
  EXPECT_EQ(kind, AllocationKind::kReserved);
  EXPECT_TRUE(shared);
  EXPECT_FALSE(table.KindAt(0x600000 + 16 * page, &kind, &shared));
  // A hole splits a reservation in two; both go with the rest, and then none is left.
  Removed removed;
  table.Remove(0x600000 + 2 * page, page, &Collect, &removed);
  EXPECT_TRUE(table.HasReserved());
  table.Remove(0x600000, 16 * page, &Collect, &removed);
  EXPECT_FALSE(table.HasReserved());
  EXPECT_TRUE(table.IsEmpty());
}

}  // namespace
}  // namespace clwleak
