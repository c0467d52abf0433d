// Capture: what happens to an allocation once the hot path in interpose.cc has decided it needs a
// closer look: the sampled slow path (unwind, intern, record), forgetting a sampled block on free,
// and tracking anonymous mappings.
//
// The process-wide profiling state lives here too: the tables, the drop counters and the request
// counter that the snapshot writer reads. Every global is constant-initialized (no constructor
// runs), because malloc may be called before libclwleak.so's own initializers.
//
// Thread-safety: every function may be called from any thread at any time, signal handlers
// included; none takes a lock except the MappingTable's short spin lock (mapping calls only).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "allocation_table.h"
#include "birth_buckets.h"
#include "config.h"
#include "free_filter.h"
#include "mapping_table.h"
#include "stack_table.h"
#include "thread_state.h"

namespace clwleak {

enum RuntimeState : int {
  kStarting = 0,      // nothing set up yet: the first allocation that reaches a slow path starts
  kActive = 1,        // sampling; snapshots are written once the constructor started the writer
  kDisabled = 2,      // CLWLEAK_DISABLE, setuid, CLWLEAK_CHILDREN=off, or start-up failed
  kInitializing = 3,  // one thread is in StartCapture(); the others do not sample meanwhile
};

struct DropCounters {
  std::atomic<uint64_t> allocation_table_full{0};
  std::atomic<uint64_t> allocation_table_bytes{0};
  std::atomic<uint64_t> stack_table_full{0};
  std::atomic<uint64_t> stack_table_bytes{0};
  std::atomic<uint64_t> mmap_table_full{0};
  std::atomic<uint64_t> unwind_failures{0};
};

extern Config g_config;
extern std::atomic<int> g_runtime_state;
extern FreeFilter g_free_filter;
extern AllocationTable g_allocations;
extern StackTable g_stacks;
extern MappingTable g_mappings;
extern DropCounters g_drops;
extern std::atomic<uint64_t> g_requests;
// Set when the capture starts (StartCapture), never cleared: from then on sampled blocks with
// inline headers may exist, and any free() the process can reach may meet one
// (allocator_rebinding.h), even once profiling is disabled (a forked child with
// CLWLEAK_CHILDREN=off keeps its parent's).
extern std::atomic<bool> g_capture_started;

// Defined by runtime.cc: sets up what sampling needs (configuration, tables, unwinder) at the first
// allocation that may be sampled, however early (before libclwleak.so's constructor, from another
// library's initializer). Only calls what is safe that early: no thread, no stdio, no allocation
// of its own. Returns whether the process is now sampled. The caller is not busy.
bool StartCapture();

// Whether the preload does nothing at all in this process: disabled before the capture started.
inline bool PreloadIsPassThrough() {
  return g_runtime_state.load(std::memory_order_acquire) == kDisabled &&
         !g_capture_started.load(std::memory_order_relaxed);
}

// A bytes_until_sample value that no realistic amount of allocation exhausts.
constexpr int64_t kNeverSample = INT64_MAX / 4;

// Called when an allocation of `size` bytes took this thread's sample counter to zero or below:
// whether it is recorded (false while starting, disabled or inside our own code), drawing the next
// interval either way. *weight is what the sample stands for.
bool DecideSample(size_t size, SampleWeight* weight);

// Unwinds the calling thread and interns its stack; StackTable::kInvalidId (counted as a drop) when
// the stack table is full. The caller holds a BusyScope.
uint32_t CaptureSampleStack(AllocationKind kind, uint64_t weight_bytes);

// The birth of a block allocated now (birth_buckets.h), as opposed to one that realloc moved.
constexpr uint32_t kBornNow = UINT32_MAX;

// Called when an allocation of `size` bytes at `pointer` took this thread's sample counter to zero
// or below, for allocations recorded after the fact (mappings; heap blocks in table mode).
// Decides, records the sample when there is one, and returns `pointer`. `birth`: the birth bucket
// of a heap block that realloc moved, kept; kBornNow for a new block.
void* SampleSlowPath(void* pointer, size_t size, AllocationKind kind, uint32_t birth = kBornNow);

// Table mode (an allocator other than glibc's): sampled heap blocks live in the AllocationTable
// behind the FreeFilter. Inline mode (glibc) keeps them in SampleHeaders instead: sampled_blocks.h.

// Called for a free() whose address the FreeFilter may hold. Forgets a sampled block. Returns true
// when the pointer must NOT reach the real free (it came from the bootstrap arena).
bool FreeSlowPath(void* pointer);

// Removes a sampled heap block (realloc). Returns whether it was tracked, with its record.
bool ForgetHeapBlock(void* pointer, AllocationRecord* record);
// Puts back a block that ForgetHeapBlock removed when the realloc that moved it failed.
void RestoreHeapBlock(void* pointer, const AllocationRecord& record);

// Defined by runtime.cc: lets the snapshot writer do its work on this thread when the host is
// single-threaded (SnapshotWriter::Poll). Called after each recorded heap sample, with a BusyScope
// held; never from a mapping hook (an allocator may map memory holding its own lock).
void PollWriter();
// In a forked child (atfork): the forking thread draws its sample intervals from a seed of its own.
void ReseedThreadAfterFork();

// Defined by runtime.cc: writes the final snapshot before _exit, _Exit or exit_group ends the
// process without running destructors (exit_hooks.cc), when that is safe (see there).
void FinishBeforeImmediateExit();

// Defined by runtime.cc: before an exec of `program` (exec_hooks.cc), writes the last snapshot of
// this image when that is safe (as above) and copies its file's path to `path`. False when nothing
// was written.
bool SnapshotBeforeExec(const char* program, char* path, size_t capacity);

// The variable by which an image tells the image it execs where its file is (the new image records
// it as its header's previous_file, then removes it from its environment).
constexpr char kPreviousFileVariable[] = "CLWLEAK_PREVIOUS_FILE";

// PollWriter from host code (a sampled free, a request count): nothing when this thread is already
// inside the preload, else under a BusyScope of its own.
inline void PollWriterOutsideOurCode() {
  if (t_thread.busy != 0) return;
  BusyScope busy;
  PollWriter();
}

// After a successful mmap/mremap of `length` bytes at `address`.
void OnMapped(void* address, size_t length, int prot, int flags);
// Before munmap (and before mremap moves the old range).
void BeforeUnmap(void* address, size_t length);
// After a successful mprotect: reserved address space given an accessible protection is
// committed (private or shared memory in use from now on).
void OnProtectionChanged(void* address, size_t length, int prot);
// Before mremap: the protection and flags OnMapped should see for the moved range, when the
// range at `address` is tracked (left unchanged otherwise).
void MappingFlagsAt(void* address, int* prot, int* flags);

// The decision of the hot path, shared by every allocating entry point.
CLWLEAK_HOT inline void* MaybeSample(void* pointer, size_t size, AllocationKind kind) {
  if (CLWLEAK_LIKELY(CountdownNotReached(size))) return pointer;
  return SampleSlowPath(pointer, size, kind);
}

}  // namespace clwleak
