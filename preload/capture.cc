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

void RecordMappingSample(void* address, size_t length, const SampleWeight& weight,
                         AllocationKind kind, bool shared) {
  uint32_t id = CaptureSampleStack(kind, weight.bytes);
  if (id == StackTable::kInvalidId) return;
  double per_byte = static_cast<double>(weight.bytes) / static_cast<double>(length);
  const uint32_t birth = CurrentBirthBucket();
  if (!g_mappings.Insert(reinterpret_cast<uintptr_t>(address), length, per_byte, weight.count_fp,
                         id, birth, kind, shared)) {
    g_drops.mmap_table_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_stacks.RecordAllocation(id, weight.bytes, weight.count_fp, birth);
  g_stacks.RecordSampledSize(id, length);
}

// What an anonymous mapping is: reserved address space (PROT_NONE, or MAP_NORESERVE: no memory
// is set aside for it), shared memory, or private memory in use.
AllocationKind MappingKindOf(int prot, int flags) {
  if (prot == PROT_NONE || (flags & MAP_NORESERVE) != 0) return AllocationKind::kReserved;
  if ((flags & MAP_TYPE) != MAP_PRIVATE) return AllocationKind::kSharedAnonymous;
  return AllocationKind::kMmap;
}

// The mapping's part of SampleSlowPath: the sampling decision, then the record of its kind.
CLWLEAK_NOINLINE void SampleMapping(void* address, size_t length, AllocationKind kind,
                                    bool shared) {
  SampleWeight weight;
  if (!DecideSample(length, &weight)) return;
  // OnMapped read the configuration before this mapping started the capture.
  if (!g_config.track_mmap) return;
  BusyScope busy;
  // No snapshot from here: an allocator (jemalloc) maps memory while it holds its own lock, and a
  // snapshot written on this thread allocates through that allocator.
  RecordMappingSample(address, length, weight, kind, shared);
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
    // No snapshot from here: see SampleMapping.
    RecordMappingSample(pointer, size, weight, kind, (kind == AllocationKind::kSharedAnonymous));
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
  // The stack cache keeps ids of the two kinds sampled often (heap, private mappings); the others
  // are interned every time (a mapping call costs microseconds anyway).
  uint32_t* cached_id = cached != nullptr && kind <= AllocationKind::kMmap
                            ? &cached->by_kind[static_cast<uint32_t>(kind)]
                            : nullptr;
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
    // MAP_FIXED silently replaced whatever was mapped there (committing reserved space, or
    // returning committed space to a reservation, as a JVM does).
    BusyScope busy;
    g_mappings.Remove(reinterpret_cast<uintptr_t>(address), length, OnMappingPieceRemoved,
                      nullptr);
  }
  if ((flags & MAP_ANONYMOUS) == 0 || !g_config.track_mmap) return;
  if (CLWLEAK_LIKELY(CountdownNotReached(length))) return;
  SampleMapping(address, length, MappingKindOf(prot, flags), (flags & MAP_TYPE) != MAP_PRIVATE);
}

void OnProtectionChanged(void* address, size_t length, int prot) {
  // Only reserved address space made accessible changes kind: it is committed from now on.
  // mprotect(PROT_NONE) of memory in use frees nothing (its pages stay), so it stays as it is.
  if (prot == PROT_NONE || t_thread.busy != 0 || !g_mappings.HasReserved()) return;
  // Busy before the table's lock: a signal handler that maps memory meanwhile leaves it alone.
  BusyScope busy;
  const uintptr_t start = reinterpret_cast<uintptr_t>(address);
  MappingPiece reserved[8];
  uint32_t found =
      g_mappings.FindOverlapping(start, length, AllocationKind::kReserved, reserved, 8);
  if (found == 0) return;
  // The committing call's stack: where the memory started to be used. Interned once per kind.
  uint32_t stack_ids[2] = {StackTable::kInvalidId, StackTable::kInvalidId};
  const uint32_t birth = CurrentBirthBucket();
  // Each pass converts what it found; a reserved piece never comes back, so this ends.
  for (int pass = 0; found > 0 && pass < 1024; ++pass) {
    for (uint32_t i = 0; i < found; ++i) {
      const MappingPiece& piece = reserved[i];
      const uint64_t bytes = piece.end - piece.start;
      g_mappings.Remove(piece.start, bytes, OnMappingPieceRemoved, nullptr);
      const AllocationKind kind =
          piece.shared ? AllocationKind::kSharedAnonymous : AllocationKind::kMmap;
      uint32_t& id = stack_ids[piece.shared ? 1 : 0];
      const uint64_t weight =
          static_cast<uint64_t>(static_cast<double>(bytes) * piece.weight_per_byte + 0.5);
      if (id == StackTable::kInvalidId) id = CaptureSampleStack(kind, weight);
      if (id == StackTable::kInvalidId) continue;
      if (!g_mappings.Insert(piece.start, bytes, piece.weight_per_byte, piece.count_unit_fp, id,
                             birth, kind, piece.shared)) {
        g_drops.mmap_table_full.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      g_stacks.RecordAllocation(id, weight, piece.count_unit_fp, birth);
    }
    found = g_mappings.FindOverlapping(start, length, AllocationKind::kReserved, reserved, 8);
  }
}

void MappingFlagsAt(void* address, int* prot, int* flags) {
  if (t_thread.busy != 0 || g_mappings.IsEmpty()) return;
  AllocationKind kind;
  bool shared;
  BusyScope busy;
  if (!g_mappings.KindAt(reinterpret_cast<uintptr_t>(address), &kind, &shared)) return;
  *flags = MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE);
  if (kind == AllocationKind::kReserved) {
    *prot = PROT_NONE;
    *flags |= MAP_NORESERVE;
  }
}

void BeforeUnmap(void* address, size_t length) {
  if (t_thread.busy != 0 || g_mappings.IsEmpty()) return;
  BusyScope busy;
  g_mappings.Remove(reinterpret_cast<uintptr_t>(address), length, OnMappingPieceRemoved, nullptr);
}

}  // namespace clwleak
