// The sampled slow path and the bookkeeping of sampled blocks and mappings; see capture.h.
#include "capture.h"

#include <sys/mman.h>
#include <unistd.h>

#include "own_dependencies.h"
#include "real_functions.h"
#include "unwinder.h"

namespace clwleak {

Config g_config;
std::atomic<int> g_runtime_state{kStarting};
FreeFilter g_free_filter;
AllocationTable g_allocations;
StackTable g_stacks;
MappingTable g_mappings;
DropCounters g_drops;
std::atomic<uint64_t> g_requests{0};
std::atomic<uint32_t> g_birth_bucket{0};
std::atomic<bool> g_capture_started{false};

__thread ThreadState t_thread __attribute__((tls_model("initial-exec")));

namespace {

void SeedThread(ThreadState& thread) {
  uint64_t seed = MonotonicNanos() ^ (reinterpret_cast<uintptr_t>(&thread) << 16) ^
                  (static_cast<uint64_t>(getpid()) << 40);
  thread.intervals.Seed(seed);
  thread.sampler_ready = true;
}

}  // namespace

void ReseedThreadAfterFork() {
  if (!t_thread.sampler_ready) return;  // its first sampled event seeds it
  SeedThread(t_thread);
  t_thread.bytes_until_sample = t_thread.intervals.Next(g_config.sample_rate);
}

namespace {

void RecordHeapSample(void* pointer, size_t size, const SampleWeight& weight, uint32_t birth) {
  uint32_t id = CaptureSampleStack(AllocationKind::kHeap, weight.bytes);
  if (id == StackTable::kInvalidId) return;
  AllocationRecord record;
  record.size = size;
  record.weight_bytes = weight.bytes;
  record.weight_count_fp = weight.count_fp;
  record.stack_id = id;
  record.birth_bucket = birth;
  if (!g_allocations.Insert(reinterpret_cast<uintptr_t>(pointer), record)) {
    g_drops.allocation_table_full.fetch_add(1, std::memory_order_relaxed);
    g_drops.allocation_table_bytes.fetch_add(weight.bytes, std::memory_order_relaxed);
    return;
  }
  g_free_filter.Add(pointer);
  g_stacks.RecordAllocation(id, weight.bytes, weight.count_fp, birth);
  g_stacks.RecordSampledSize(id, size);
}

void RecordMappingSample(void* address, size_t length, const SampleWeight& weight) {
  uint32_t id = CaptureSampleStack(AllocationKind::kMmap, weight.bytes);
  if (id == StackTable::kInvalidId) return;
  double per_byte = static_cast<double>(weight.bytes) / static_cast<double>(length);
  const uint32_t birth = CurrentBirthBucket();
  if (!g_mappings.Insert(reinterpret_cast<uintptr_t>(address), length, per_byte, weight.count_fp,
                         id, birth)) {
    g_drops.mmap_table_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_stacks.RecordAllocation(id, weight.bytes, weight.count_fp, birth);
  g_stacks.RecordSampledSize(id, length);
}

void OnMappingPieceRemoved(const MappingPiece& piece, uint64_t weight_bytes,
                           uint64_t weight_count_fp, void*) {
  g_stacks.RecordFree(piece.stack_id, weight_bytes, weight_count_fp, piece.birth_bucket);
}

}  // namespace

bool DecideSample(size_t size, SampleWeight* weight) {
  ThreadState& thread = t_thread;
  // Our own allocations (unwinder, writer, start-up) are never sampled. The count stays at or below
  // zero, so the host's next allocation on this thread is the one sampled.
  if (thread.busy != 0) return false;
  const int state = g_runtime_state.load(std::memory_order_acquire);
  if (CLWLEAK_UNLIKELY(state != kActive) && !(state == kStarting && StartCapture())) {
    // While another thread starts, or before the process can be started (no environment yet),
    // look again at the next allocation: a skipped interval would hide the first allocations of
    // exact mode. Once disabled, never again.
    thread.bytes_until_sample = state == kDisabled ? kNeverSample : 0;
    return false;
  }

  const uint64_t rate = g_config.sample_rate;
  if (CLWLEAK_UNLIKELY(!thread.sampler_ready)) {
    // First allocation of this thread: draw its first interval and look at this allocation again.
    SeedThread(thread);
    thread.bytes_until_sample = thread.intervals.Next(rate) - static_cast<int64_t>(size);
    if (thread.bytes_until_sample > 0) return false;
  }
  thread.bytes_until_sample = thread.intervals.Next(rate);
  *weight = WeightOf(size, rate);
  return true;
}

CLWLEAK_NOINLINE CLWLEAK_FLATTEN void* SampleSlowPath(void* pointer, size_t size, AllocationKind kind,
                                                      uint32_t birth) {
  SampleWeight weight;
  if (!DecideSample(size, &weight)) return pointer;
  if (pointer == nullptr || (kind == AllocationKind::kMmap && pointer == MAP_FAILED)) {
    return pointer;
  }
  // OnMapped read the configuration before this mapping started the capture.
  if (kind == AllocationKind::kMmap && !g_config.track_mmap) return pointer;
  BusyScope busy;
  if (kind == AllocationKind::kHeap) {
    RecordHeapSample(pointer, size, weight, birth == kBornNow ? CurrentBirthBucket() : birth);
    PollWriter();
  } else {
    // No snapshot from here: an allocator (jemalloc) maps memory while it holds its own lock, and a
    // snapshot written on this thread allocates through that allocator.
    RecordMappingSample(pointer, size, weight);
  }
  return pointer;
}

uint32_t CaptureSampleStack(AllocationKind kind, uint64_t weight_bytes) {
  uintptr_t frames[kMaxSupportedDepth];
  CachedStackIds* cached = nullptr;
  uint32_t depth =
      CaptureStack(g_config.unwinder, g_config.stack_cache, frames, g_config.max_depth, &cached);
  if (depth == 0) g_drops.unwind_failures.fetch_add(1, std::memory_order_relaxed);
  // The preload's own dependencies starting up: not the host's memory, and not a drop either.
  if (CLWLEAK_UNLIKELY(IsOwnDependencyStartup(frames, depth))) return StackTable::kInvalidId;
  uint32_t* cached_id = cached != nullptr ? &cached->by_kind[static_cast<uint32_t>(kind)] : nullptr;
  if (cached_id != nullptr && *cached_id != StackTable::kInvalidId) return *cached_id;
  uint32_t id = g_stacks.Intern(frames, depth, kind);
  if (cached_id != nullptr) *cached_id = id;
  if (id == StackTable::kInvalidId) {
    g_drops.stack_table_full.fetch_add(1, std::memory_order_relaxed);
    g_drops.stack_table_bytes.fetch_add(weight_bytes, std::memory_order_relaxed);
  }
  return id;
}

CLWLEAK_NOINLINE bool FreeSlowPath(void* pointer) {
  if (IsBootstrapPointer(pointer)) return true;
  PollWriterOutsideOurCode();  // before the block goes, as FreeSampled does
  AllocationRecord record;
  ForgetHeapBlock(pointer, &record);
  return false;
}

bool ForgetHeapBlock(void* pointer, AllocationRecord* record) {
  if (!g_allocations.Remove(reinterpret_cast<uintptr_t>(pointer), record)) return false;
  g_free_filter.Remove(pointer);
  g_stacks.RecordFree(record->stack_id, record->weight_bytes, record->weight_count_fp,
                      record->birth_bucket);
  return true;
}

void RestoreHeapBlock(void* pointer, const AllocationRecord& record) {
  // The block never went away, but its free was counted: count it as allocated again so that
  // live = allocated - freed stays right (allocated totals gain one sample; realloc failing is rare).
  if (!g_allocations.Insert(reinterpret_cast<uintptr_t>(pointer), record)) {
    g_drops.allocation_table_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_free_filter.Add(pointer);
  g_stacks.RecordAllocation(record.stack_id, record.weight_bytes, record.weight_count_fp,
                            record.birth_bucket);
}

void OnMapped(void* address, size_t length, int prot, int flags) {
  // Re-entrant calls (our own code, or a signal handler interrupting it) must not take the
  // mapping table's lock; they are never host mappings we track.
  if (t_thread.busy != 0) return;
  if ((flags & MAP_FIXED) != 0 && !g_mappings.IsEmpty()) {
    // MAP_FIXED silently replaced whatever was mapped there.
    BusyScope busy;
    g_mappings.Remove(reinterpret_cast<uintptr_t>(address), length, OnMappingPieceRemoved,
                      nullptr);
  }
  // Address-space reservations (PROT_NONE) are not memory in use.
  if ((flags & MAP_ANONYMOUS) == 0 || prot == PROT_NONE || !g_config.track_mmap) return;
  MaybeSample(address, length, AllocationKind::kMmap);
}

void BeforeUnmap(void* address, size_t length) {
  if (t_thread.busy != 0 || g_mappings.IsEmpty()) return;
  BusyScope busy;
  g_mappings.Remove(reinterpret_cast<uintptr_t>(address), length, OnMappingPieceRemoved, nullptr);
}

}  // namespace clwleak
