// Test-only simulated runs with allocation ages; see age_scenarios.h.
#include "age_scenarios.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

#include "sampled_heap.h"
#include "synthetic_writer.h"

namespace clwleak::testing {
namespace {

// Per-site state of the simulation.
struct SiteState {
  std::deque<size_t> live;  // handles, oldest first
  size_t block = SIZE_MAX;  // kString, kCopiedString, kReallocBlock
  uint64_t content = 0;     // kString, kCopiedString: bytes appended so far
  double next_flush = 0;    // kFlush
};

}  // namespace

ScenarioTruth WriteAgeScenario(const std::string& path, const AgeScenario& scenario) {
  proto::Header header =
      MakeHeader(scenario.sample_rate_bytes, scenario.memory_limit_bytes, "cgroup memory.max");
  header.set_snapshot_interval_ns(static_cast<uint64_t>(scenario.interval * 1e9));
  if (scenario.ages) header.set_birth_bucket_capacity(32);
  SyntheticProfile profile(path, header);
  const FrameSpec clw_malloc{"malloc", "interpose.cc", 40, "/opt/clw/lib/libclwleak.so"};
  const FrameSpec handle{"Worker::HandleRequest(Request const&)", "worker.cc", 88,
                         "/opt/clw/bin/clw-worker"};
  const FrameSpec main_frame{"main", "main.cc", 12, "/opt/clw/bin/clw-worker"};

  ScenarioTruth truth;
  std::vector<SiteState> states(scenario.sites.size());
  for (size_t s = 0; s < scenario.sites.size(); ++s) {
    const SiteBehaviour& site = scenario.sites[s];
    truth.stacks.push_back(profile.AddStack(
        {clw_malloc,
         {site.function, "site.cc", static_cast<uint32_t>(10 + s), "/opt/clw/lib/libsite.so"},
         handle,
         main_frame}));
    double rate = 0;
    if (site.kind == Behaviour::kLeak) {
      rate = static_cast<double>(site.bytes + (site.realloc_after_alloc ? 16 : 0)) /
             static_cast<double>(site.every);
    } else if (site.kind == Behaviour::kString || site.kind == Behaviour::kCopiedString ||
               site.kind == Behaviour::kReallocBlock) {
      rate = static_cast<double>(site.bytes);
    }
    truth.rate.push_back(rate);
    states[s].next_flush = site.period_seconds;
  }

  SampledHeap heap(scenario.sample_rate_bytes, scenario.seed);
  BirthBucketSchedule buckets;
  if (scenario.ages) profile.OpenBirthBucket(0, 0);
  std::vector<double> times = EarlySnapshotTimes(scenario.interval, scenario.seconds);
  while (!times.empty() && times.back() >= scenario.seconds - 1e-9) times.pop_back();
  times.push_back(scenario.seconds);  // the exit snapshot

  const uint64_t n = scenario.requests;
  uint64_t request = 0;
  for (size_t k = 0; k < times.size(); ++k) {
    const double t = times[k];
    const uint64_t due = std::min<uint64_t>(
        n, static_cast<uint64_t>(std::floor(static_cast<double>(n) * t / scenario.seconds + 1e-9)));
    for (; request < due; ++request) {
      const double now =
          static_cast<double>(request + 1) * scenario.seconds / static_cast<double>(n);
      for (size_t s = 0; s < scenario.sites.size(); ++s) {
        const SiteBehaviour& site = scenario.sites[s];
        SiteState& state = states[s];
        const uint32_t stack = truth.stacks[s];
        const double position = static_cast<double>(request) / static_cast<double>(n);
        if (position < site.start || position >= site.stop) continue;
        switch (site.kind) {
          case Behaviour::kLeak:
            if (request % site.every == 0) {
              const size_t block = heap.Allocate(stack, site.bytes);
              if (site.realloc_after_alloc) heap.Reallocate(block, site.bytes + 16);
            }
            break;
          case Behaviour::kStartup:
            heap.Allocate(stack, site.bytes);
            break;
          case Behaviour::kCache:
            state.live.push_back(heap.Allocate(stack, site.bytes));
            if (state.live.size() > site.capacity) {
              heap.Free(state.live.front());
              state.live.pop_front();
            }
            break;
          case Behaviour::kChurn:
            state.live.push_back(heap.Allocate(stack, site.bytes));
            if (state.live.size() > site.lifetime) {
              heap.Free(state.live.front());
              state.live.pop_front();
            }
            break;
          case Behaviour::kFlush:
            while (now >= state.next_flush) {
              for (size_t handle : state.live) heap.Free(handle);
              state.live.clear();
              state.next_flush += site.period_seconds;
            }
            state.live.push_back(heap.Allocate(stack, site.bytes));
            break;
          case Behaviour::kString: {
            state.content += site.bytes;
            if (state.block == SIZE_MAX) {
              state.block = heap.Allocate(stack, std::max<uint64_t>(site.bytes, 32));
            }
            uint64_t capacity = heap.SizeOf(state.block);
            if (state.content > capacity) {
              while (capacity < state.content) capacity *= 2;
              heap.Reallocate(state.block, capacity);
            }
            break;
          }
          case Behaviour::kCopiedString: {
            state.content += site.bytes;
            uint64_t capacity = state.block == SIZE_MAX ? 0 : heap.SizeOf(state.block);
            if (state.content > capacity) {
              capacity = std::max<uint64_t>(capacity, 32);
              while (capacity < state.content) capacity *= 2;
              const size_t grown = heap.Allocate(stack, capacity);
              if (state.block != SIZE_MAX) heap.Free(state.block);
              state.block = grown;
            }
            break;
          }
          case Behaviour::kReallocBlock:
            if (state.block == SIZE_MAX) {
              state.block = heap.Allocate(stack, site.bytes);
            } else {
              heap.Reallocate(state.block, heap.SizeOf(state.block) + site.bytes);
            }
            break;
        }
      }
    }
    for (uint32_t stack : truth.stacks) profile.SetCounters(stack, heap.Stats(stack));
    if (scenario.ages && buckets.OpensAt(t)) {
      profile.OpenBirthBucket(scenario.count_requests ? request : 0, t);
      heap.OpenBirthBucket(buckets.open_bucket());
    }
    SnapshotFacts facts;
    facts.requests = scenario.count_requests ? request : 0;
    facts.seconds = t;
    facts.rss_bytes = scenario.base_memory_bytes + heap.TrueLiveBytesTotal();
    facts.cgroup_memory_current = facts.rss_bytes + (16ull << 20);
    profile.WriteSnapshot(facts, k + 1 == times.size());
  }
  profile.Close();
  truth.requests = request;
  truth.seconds = scenario.seconds;
  truth.snapshots = times.size();
  return truth;
}

}  // namespace clwleak::testing
