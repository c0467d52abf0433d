// Runtime: start-up, fork, exit, and the worker API of include/clwleak/clwleak.h.
//
// Start-up has two halves. Capture starts at the first allocation that may be sampled, however
// early: ld.so runs the initializers of the program's other libraries (libstdc++'s emergency pool,
// a library that allocates in its constructor) before libclwleak.so's, and those blocks must be in
// the profile too. StartCapture() therefore does only what is safe inside malloc before any
// constructor of ours has run: parse the configuration (getenv; it waits until the environment is
// set up), map the tables with raw system calls, prepare the unwinder (libunwind has no
// constructors and initializes itself lazily) and create the pthread keys. Everything else waits
// for libclwleak.so's constructor: the snapshot writer (its thread, its file, its allocations) and
// the fork handlers. Samples taken before it are in the first snapshot.
// setuid/setgid processes (AT_SECURE) are never profiled: the preload stays a pure pass-through;
// so are processes whose heap valgrind or a sanitizer runtime manages (foreign_runtime.h).
//
// Fork: the writer is made consistent across fork (its lock and the mapping table's lock are held
// while the process forks); the child continues the parent's tables, which describe its copy of the
// heap, and writes its own file (CLWLEAK_CHILDREN=follow) or stops profiling (off).
//
// Exit: a destructor writes the final snapshot. It runs after the program's atexit handlers and
// static destructors (libraries are finalized last), so memory they free is not reported as leaked.
// _exit, _Exit and syscall(SYS_exit_group) skip destructors; exit_hooks.cc writes the final
// snapshot there with FinishBeforeImmediateExit().
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <new>

#include "address_budget.h"
#include "capture.h"
#include "counter_shards.h"
#include "foreign_runtime.h"
#include "own_dependencies.h"
#include "protobuf_log.h"
#include "real_functions.h"
#include "snapshot_writer.h"
#include "stack_cache.h"
#include "unload_check.h"
#include "unwind_fork_gate.h"
#include "unwinder.h"

// The public header's macros would rewrite the definitions below; its declarations still check
// that the signatures match.
#include "clwleak/clwleak.h"
#undef clwleak_request_done
#undef clwleak_requests_add
#undef clwleak_snapshot_now
#undef clwleak_active

namespace clwleak {
namespace {

constexpr uint32_t kMaxStacks = 1u << 16;
constexpr uint32_t kMaxMappings = 1u << 16;

SnapshotWriter* g_writer = nullptr;  // created at start-up, never destroyed

void Disable() { g_runtime_state.store(kDisabled, std::memory_order_release); }

void PrepareFork() {
  if (g_writer == nullptr) return;
  UnwindForkGate::CloseForFork();  // first: the threads it waits for hold none of the locks below
  g_writer->PrepareFork();
  g_mappings.LockForFork();
}

void ParentAfterFork() {
  if (g_writer == nullptr) return;
  g_mappings.UnlockAfterFork();
  g_writer->ParentAfterFork();
  UnwindForkGate::OpenAfterFork();
}

void ChildAfterFork() {
  if (g_writer == nullptr) return;
  BusyScope busy;
  g_mappings.UnlockAfterFork();
  g_stacks.AbandonUnpublishedAfterFork();
  ResetCounterShardsInChild();
  UnwindForkGate::ResetInChild();
  // A child draws its own sample intervals: siblings forked from one parent would otherwise sample
  // the same allocations of the same code, and their samples would not be independent.
  ReseedThreadAfterFork();
  // The child's file counts the requests the child serves, not its parent's.
  g_requests.store(0, std::memory_order_relaxed);
  const bool follow = g_config.children == ChildPolicy::kFollow &&
                      g_runtime_state.load(std::memory_order_acquire) == kActive;
  g_writer->ChildAfterFork(follow);
  if (!follow) Disable();
}

struct TableSizes {
  uint64_t allocations;
  uint32_t stacks;
  uint32_t mappings;
  bool ages;
  uint64_t reserved;  // the address space these take
};

// Whether `bytes` of address space can be reserved now (under a limit): probed with one mapping,
// released at once, so that tables that could not all be mapped never leave some of them holding
// the host's room.
bool AddressSpaceAvailable(uint64_t bytes) {
  void* probe = RawMapAnonymous(bytes);
  if (probe == nullptr) return false;
  RawUnmap(probe, bytes);
  return true;
}

// The full sizes, or under an address-space limit the largest that fit the preload's budget
// (address_budget.h): fewer stacks and mappings (then allocations that would need more are counted
// as dropped), no ages. When even the smallest do not fit, Init fails and profiling is off.
TableSizes FitTablesInAddressBudget(bool need_allocation_table) {
  constexpr uint32_t kMinStacks = 1u << 10;
  TableSizes sizes = {g_config.table_capacity, kMaxStacks, kMaxMappings, true, 0};
  const uint64_t budget = TableAddressBudget();
  auto reserved = [&] {
    return (need_allocation_table ? AllocationTable::ReservedBytes(sizes.allocations) : 0) +
           StackTable::ReservedBytes(sizes.stacks, g_config.max_depth, sizes.ages) +
           MappingTable::ReservedBytes(sizes.mappings);
  };
  if (reserved() > budget) {
    sizes.ages = false;
    while (reserved() > budget && sizes.stacks > kMinStacks) {
      sizes.stacks /= 2;
      sizes.mappings /= 2;
      if (sizes.allocations > (1u << 12)) sizes.allocations /= 2;
    }
  }
  sizes.reserved = reserved();
  return sizes;
}

// The capture half of start-up (see the top of this file). Allocation-free: it may run inside the
// host's first malloc.
bool PrepareCapture() {
  if (getauxval(AT_SECURE) != 0) return false;
  g_config = ParseConfig([](const char* name) -> const char* { return getenv(name); });
  if (g_config.disabled) return false;
  if (const char* runtime = ForeignHeapRuntime()) {
    FixedMessage message;
    message.Append(runtime).Append(" manages this process's heap; profiling is off");
    Warn(message.c_str());
    // Nothing carries a header yet (the capture never started): free and realloc may stop looking
    // in front of blocks, which the tool would report as invalid reads of its red zones.
    g_inline_bookkeeping.store(false, std::memory_order_relaxed);
    return false;
  }
  // Before the writer builds its first message (the header, below).
  InstallProtobufLogFilter();
  // Inline mode keeps sampled blocks' records in the blocks: no allocation table to map.
  const bool need_table = !InlineBookkeeping();
  TableSizes sizes = FitTablesInAddressBudget(need_table);
  const bool room = !AddressSpaceLimited() || AddressSpaceAvailable(sizes.reserved);
  if (!room || (need_table && !g_allocations.Init(sizes.allocations)) ||
      !g_stacks.Init(sizes.stacks, g_config.max_depth, sizes.ages) ||
      !g_mappings.Init(sizes.mappings)) {
    Warn("cannot map the allocation tables; profiling is off");
    return false;
  }
  g_config.table_capacity = sizes.allocations;  // what the header reports
  if (!InitUnwinder() && g_config.unwinder == Unwinder::kLibunwind) {
    Warn("cannot keep libunwind off the host's descriptors; unwinding with frame pointers");
    g_config.unwinder = Unwinder::kFramePointer;
  }
  FindOwnDependencies();
  NoteStartupObjects();
  // Our pthread keys now, while they are among the process's first (CreateAllocationFreeKey).
  PrepareCounterShards();
  PrepareStackCache();
  SetStackCacheAlways(g_config.stack_cache_always);
  return true;
}

// The writer half, from the constructor.
bool StartWriter(const char* previous_file) {
  // Its members allocate nothing until Start(), which catches its own failures.
  SnapshotWriter* writer = new (std::nothrow) SnapshotWriter();
  if (writer == nullptr) {
    Warn("out of memory for the snapshot writer; profiling is off, the program continues");
    return false;
  }
  g_writer = writer;
  try {
    g_writer->set_previous_file(previous_file);
  } catch (...) {
    // Out of memory for the path: the header goes without it.
  }
  if (!g_writer->Start()) return false;
  pthread_atfork(&PrepareFork, &ParentAfterFork, &ChildAfterFork);
  return true;
}

__attribute__((constructor)) void StartUp() {
  BusyScope busy;
  // The image this one was exec'd from named its file (exec_hooks.cc). Taken out of the
  // environment so that the processes this one starts do not claim it too.
  static char previous_file[PATH_MAX];
  if (const char* previous = getenv(kPreviousFileVariable)) {
    snprintf(previous_file, sizeof(previous_file), "%s", previous);
    unsetenv(kPreviousFileVariable);
  }
  ForgetOwnDependencies();  // their initializers have all run: ld.so runs them before ours
  EnsureRealFunctions();
  if (g_runtime_state.load(std::memory_order_acquire) == kStarting) StartCapture();
  int state;
  // Another thread's first allocation may be starting the capture right now.
  while ((state = g_runtime_state.load(std::memory_order_acquire)) == kInitializing) sched_yield();
  if (state == kStarting) Disable();  // no environment even now: nothing can be configured
  if (state != kActive) return;
  if (!StartWriter(previous_file)) Disable();
}

__attribute__((destructor)) void ShutDown() {
  if (g_writer == nullptr) return;
  BusyScope busy;
  g_writer->Finish();
}

__thread int t_dlclose_depth __attribute__((tls_model("initial-exec"))) = 0;

}  // namespace

// Out of line: the sampled paths are flattened (base.h), and this runs once.
CLWLEAK_NOINLINE bool StartCapture() {
  int expected = kStarting;
  if (!g_runtime_state.compare_exchange_strong(expected, kInitializing,
                                               std::memory_order_acq_rel)) {
    return expected == kActive;
  }
  // ld.so may allocate after relocating and before libc's initializer has set up the environment:
  // the configuration cannot be read yet, so wait for a later allocation.
  if (environ == nullptr) {
    g_runtime_state.store(kStarting, std::memory_order_release);
    return false;
  }
  BusyScope busy;
  const bool active = PrepareCapture();
  if (active) g_capture_started.store(true, std::memory_order_relaxed);
  g_runtime_state.store(active ? kActive : kDisabled, std::memory_order_release);
  return active;
}

void PollWriter() {
  if (g_writer != nullptr) g_writer->Poll();
}

void FinishBeforeImmediateExit() {
  // Not in a vfork child (it shares our memory: writing would corrupt the parent's writer), not
  // from our own code, not before the writer exists.
  if (g_writer == nullptr || t_thread.busy != 0 || !g_writer->OwnedByThisProcess()) return;
  // A handler may have interrupted glibc's malloc, or our writer, on this very thread: writing
  // (which allocates and locks) could then deadlock or corrupt the heap. The interval snapshots
  // written so far stay in the file.
  if (InSignalHandler()) return;
  BusyScope busy;
  g_writer->Finish();
}

bool SnapshotBeforeExec(const char* program, char* path, size_t capacity) {
  // The same conditions as FinishBeforeImmediateExit: not in a vfork child, not from our own code,
  // not in a signal handler (execve is async-signal-safe; our writing is not), only when active.
  if (g_writer == nullptr || t_thread.busy != 0 || !g_writer->OwnedByThisProcess() ||
      g_runtime_state.load(std::memory_order_acquire) != kActive || InSignalHandler()) {
    return false;
  }
  BusyScope busy;
  return g_writer->SnapshotBeforeExec(program, path, capacity);
}

void BeforeModuleUnload() {
  // Only the outermost dlclose asks: a nested one (from a library destructor) runs while the
  // loader lock is held, and the writer needs that lock to look modules up.
  if (t_dlclose_depth > 1 || t_thread.busy != 0 || g_writer == nullptr ||
      g_runtime_state.load(std::memory_order_acquire) != kActive) {
    return;
  }
  // Only stacks with a frame in an object that dlopen loaded need their names now.
  uint32_t stacks = 0;
  if (!StacksNeedSymbolsBeforeUnload(g_stacks, &stacks)) return;
  BusyScope busy;
  if (g_writer->SymbolizeNow()) NoteStacksSymbolized(stacks);
}

}  // namespace clwleak

extern "C" {

// Frames inside a library are named while it is still loaded: once dlclose unmaps it, its symbols
// are gone. The writer symbolizes every stack captured so far before the real dlclose runs.
CLWLEAK_EXPORT int dlclose(void* handle) {
  clwleak::EnsureRealFunctions();
  ++clwleak::t_dlclose_depth;
  clwleak::BeforeModuleUnload();
  int result = clwleak::g_real.dlclose(handle);
  --clwleak::t_dlclose_depth;
  return result;
}

// A request boundary is a good moment for a single-threaded host to write a due snapshot.
CLWLEAK_EXPORT void clwleak_request_done(void) {
  clwleak::g_requests.fetch_add(1, std::memory_order_relaxed);
  clwleak::PollWriterOutsideOurCode();
}

CLWLEAK_EXPORT void clwleak_requests_add(uint64_t n) {
  clwleak::g_requests.fetch_add(n, std::memory_order_relaxed);
  clwleak::PollWriterOutsideOurCode();
}

CLWLEAK_EXPORT int clwleak_snapshot_now(void) {
  if (clwleak::g_writer == nullptr ||
      clwleak::g_runtime_state.load(std::memory_order_acquire) != clwleak::kActive) {
    return -1;
  }
  clwleak::BusyScope busy;
  return clwleak::g_writer->RequestSnapshot();
}

CLWLEAK_EXPORT int clwleak_active(void) {
  return clwleak::g_runtime_state.load(std::memory_order_acquire) == clwleak::kActive ? 1 : 0;
}

}  // extern "C"
