// Test-only synthetic worker; see synthetic_worker.h.
#include "synthetic_worker.h"

#include <deque>
#include <random>
#include <vector>

#include "sampled_heap.h"
#include "synthetic_writer.h"

namespace clwleak::testing {

WorkerTruth WriteSyntheticWorker(const std::string& path, const WorkerScenario& scenario) {
  proto::Header header = MakeHeader(scenario.sample_rate_bytes, scenario.memory_limit_bytes,
                                    scenario.memory_limit_source);
  if (scenario.ages) header.set_birth_bucket_capacity(32);
  SyntheticProfile profile(path, header);
  BirthBucketSchedule buckets;
  if (scenario.ages) profile.OpenBirthBucket(0, 0);
  const FrameSpec handle{"Worker::HandleRequest(Request const&)", "worker.cc", 88,
                         "/opt/clw/bin/clw-worker"};
  const FrameSpec main_frame{"main", "main.cc", 12, "/opt/clw/bin/clw-worker"};
  const FrameSpec libc_start{"__libc_start_main", "", 0, "/lib/x86_64-linux-gnu/libc.so.6"};
  const FrameSpec clw_malloc{"malloc", "interpose.cc", 40, "/opt/clw/lib/libclwleak.so"};
  const FrameSpec op_new{"operator new(unsigned long)", "", 0,
                         "/lib/x86_64-linux-gnu/libstdc++.so.6"};

  WorkerTruth truth;
  truth.leak_stack = profile.AddStack(
      {clw_malloc, {scenario.leak_function, scenario.leak_file, 42, "/opt/clw/lib/libclient.so"},
       {"client_call", "client.c", 97, "/opt/clw/lib/libclient.so"}, handle, main_frame,
       libc_start});
  truth.lru_stack = profile.AddStack(
      {clw_malloc, op_new, {"Cache::Put(Key, Value)", "cache.cc", 19, "/opt/clw/bin/clw-worker"},
       handle, main_frame, libc_start});
  truth.churn_stack = profile.AddStack(
      {clw_malloc, {"Buffer::Grow(unsigned long)", "buffer.cc", 31, "/opt/clw/bin/clw-worker"},
       handle, main_frame, libc_start});
  truth.early_stack = profile.AddStack(
      {clw_malloc, {"Config::Load()", "config.cc", 7, "/opt/clw/bin/clw-worker"}, handle,
       main_frame, libc_start});

  if (scenario.second_leak_bytes > 0) {
    truth.second_stack = profile.AddStack(
        {clw_malloc, op_new,
         {"Session::Remember(Token const&)", "session.cc", 55, "/opt/clw/bin/clw-worker"}, handle,
         main_frame, libc_start});
  }

  SampledHeap heap(scenario.sample_rate_bytes, scenario.seed);
  std::mt19937_64 rng(scenario.seed * 7919 + 17);
  std::uniform_int_distribution<uint64_t> buffer_size(1024, 32 * 1024);
  std::uniform_int_distribution<int> buffer_lifetime(1, 20);

  const uint64_t total = static_cast<uint64_t>(scenario.snapshots) * scenario.requests_per_snapshot;
  const uint64_t lru_capacity = total * 4 / 10;
  const uint64_t early_end = total / 10;
  const uint64_t leak_sizes[] = {static_cast<uint64_t>(200 * scenario.leak_scale),
                                 static_cast<uint64_t>(1000 * scenario.leak_scale),
                                 static_cast<uint64_t>(5000 * scenario.leak_scale)};
  truth.leak_bytes_per_request = static_cast<double>(leak_sizes[0] + leak_sizes[1] + leak_sizes[2]);
  std::deque<size_t> cache;
  std::vector<std::vector<size_t>> frees_due(21);  // ring: frees due k requests from now

  uint64_t request = 0;
  for (int snapshot = 0; snapshot < scenario.snapshots; ++snapshot) {
    for (int r = 0; r < scenario.requests_per_snapshot; ++r, ++request) {
      for (uint64_t size : leak_sizes) heap.Allocate(truth.leak_stack, size);
      if (scenario.lru) {
        cache.push_back(heap.Allocate(truth.lru_stack, 4096));
        if (cache.size() > lru_capacity) {
          heap.Free(cache.front());
          cache.pop_front();
        }
      }
      if (scenario.churn) {
        for (int b = 0; b < 4; ++b) {
          size_t handle = heap.Allocate(truth.churn_stack, buffer_size(rng));
          frees_due[(request + buffer_lifetime(rng)) % frees_due.size()].push_back(handle);
        }
        for (size_t handle : frees_due[request % frees_due.size()]) heap.Free(handle);
        frees_due[request % frees_due.size()].clear();
      }
      if (scenario.early && request < early_end) heap.Allocate(truth.early_stack, 10000);
      if (truth.second_stack != 0) heap.Allocate(truth.second_stack, scenario.second_leak_bytes);
    }
    for (uint32_t stack : {truth.leak_stack, truth.lru_stack, truth.churn_stack, truth.early_stack}) {
      profile.SetCounters(stack, heap.Stats(stack));
    }
    if (truth.second_stack != 0) profile.SetCounters(truth.second_stack, heap.Stats(truth.second_stack));
    SnapshotFacts facts;
    facts.requests = scenario.count_requests ? request : 0;
    facts.seconds = scenario.seconds_per_snapshot * (snapshot + 1);
    if (scenario.ages && buckets.OpensAt(facts.seconds)) {
      profile.OpenBirthBucket(facts.requests, facts.seconds);
      heap.OpenBirthBucket(buckets.open_bucket());
    }
    facts.rss_bytes = scenario.base_memory_bytes + heap.TrueLiveBytesTotal();
    facts.cgroup_memory_current = facts.rss_bytes + (16ull << 20);
    truth.in_use_last = *facts.cgroup_memory_current;
    profile.WriteSnapshot(facts, scenario.final && snapshot == scenario.snapshots - 1);
  }
  profile.Close(scenario.final);
  truth.total_requests = request;
  truth.duration_s = scenario.seconds_per_snapshot * scenario.snapshots;
  return truth;
}

}  // namespace clwleak::testing
