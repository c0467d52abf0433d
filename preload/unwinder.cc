// Stack capture with libunwind or frame pointers; see unwinder.h.
#define UNW_LOCAL_ONLY
#include "unwinder.h"

#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <unwind.h>

#include "base.h"
#include "stack_cache.h"
#include "stack_cache_budget.h"
#include "thread_stack.h"
#include "thread_state.h"
#include "unwind_fork_gate.h"
#include "unwinder_memory_probe.h"

namespace clwleak {
namespace {

uintptr_t g_self_begin = 0;  // libclwleak.so's executable range, for dropping our own frames
uintptr_t g_self_end = 0;

int FindSelf(dl_phdr_info* info, size_t, void* data) {
  const uintptr_t probe = reinterpret_cast<uintptr_t>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
    uintptr_t end = begin + segment.p_memsz;
    if (probe >= begin && probe < end) {
      g_self_begin = begin;
      g_self_end = end;
      return 1;
    }
  }
  return 0;
}

bool IsOwnFrame(uintptr_t address) { return address >= g_self_begin && address < g_self_end; }

// Stack bounds of the calling thread, looked up once per thread without allocating (this may run
// in a signal handler that interrupted malloc). A thread first seen on another stack (an alternate
// signal stack, a coroutine's) tries again at its next few samples, then goes without.
bool StackBounds(uintptr_t* low, uintptr_t* high) {
  constexpr uint32_t kMaxLookupFailures = 4;
  ThreadState& thread = CurrentThread();
  if (thread.stack_high == 0) {
    if (thread.stack_lookup_failures >= kMaxLookupFailures) return false;
    uintptr_t here = reinterpret_cast<uintptr_t>(&here);
    if (!FindThreadStack(here, &thread.stack_low, &thread.stack_high)) {
      thread.stack_high = 0;
      ++thread.stack_lookup_failures;
      return false;
    }
  }
  *low = thread.stack_low;
  *high = thread.stack_high;
  return true;
}

uint32_t CaptureWithFramePointers(uintptr_t* frames, uint32_t max_depth, uint32_t max_own_frames) {
  uintptr_t low, high;
  if (!StackBounds(&low, &high)) return 0;
  const uintptr_t* frame = static_cast<const uintptr_t*>(__builtin_frame_address(0));
  uint32_t depth = 0;
  uint32_t own_frames = 0;
  while (depth < max_depth) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(frame);
    if (address < low || address + 2 * sizeof(uintptr_t) > high || (address & 7) != 0) break;
    const uintptr_t return_address = frame[1];
    const uintptr_t* next = reinterpret_cast<const uintptr_t*>(frame[0]);
    if (return_address == 0) break;
    if (depth == 0 && own_frames < max_own_frames && IsOwnFrame(return_address)) {
      ++own_frames;  // still inside libclwleak.so
    } else {
      frames[depth++] = return_address;
    }
    if (next <= frame) break;  // the chain must move towards the stack base
    frame = next;
  }
  return depth;
}

_Unwind_Reason_Code NoteSignalFrame(_Unwind_Context* context, void* found) {
  int signal_frame = 0;  // set for a frame whose pc is not a return address: a signal frame's
  _Unwind_GetIPInfo(context, &signal_frame);
  if (signal_frame == 0) return _URC_NO_REASON;
  *static_cast<bool*>(found) = true;
  return _URC_END_OF_STACK;
}

}  // namespace

bool InSignalHandler() {
  bool found = false;
  _Unwind_Backtrace(&NoteSignalFrame, &found);
  return found;
}

bool InitUnwinder() {
  dl_iterate_phdr(FindSelf, reinterpret_cast<void*>(&InitUnwinder));
  // Before libunwind's first use, which opens its memory-check pipe (unwinder_memory_probe.h).
  if (!RedirectUnwinderDescriptorCalls()) return false;
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  return true;
}

CLWLEAK_NOINLINE uint32_t CaptureStack(Unwinder unwinder, bool use_cache, uintptr_t* frames,
                                       uint32_t max_depth, CachedStackIds** cached_ids) {
  constexpr uint32_t kOwnFramesMax = 8;  // hook + slow path + capture: never more than this
  *cached_ids = nullptr;
  if (unwinder == Unwinder::kFramePointer) {
    return CaptureWithFramePointers(frames, max_depth, kOwnFramesMax);
  }
  // This function keeps a frame pointer (the library is built with them), so its CFA is rbp + 16.
  StackCacheQuery query;
  query.anchor = reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) + 2 * sizeof(uintptr_t);
  const bool cache = use_cache && StackBounds(&query.stack_low, &query.stack_high);
  if (cache) {
    const uint32_t depth = FindCachedStack(query, frames, max_depth, cached_ids);
    if (depth != 0) return depth;
  }
  void* raw[kMaxSupportedDepth + kOwnFramesMax];
  const uint64_t start = cache ? StackCacheTicks() : 0;
  int captured;
  {
    InsideUnwinder inside;  // no fork copies libunwind's locks while held (unwind_fork_gate.h)
    captured = unw_backtrace(raw, static_cast<int>(max_depth + kOwnFramesMax));
  }
  const uint64_t unwind_ticks = cache ? StackCacheTicks() - start : 0;
  if (captured <= 0) return 0;
  uint32_t first = 0;
  while (first < static_cast<uint32_t>(captured) && first < kOwnFramesMax &&
         IsOwnFrame(reinterpret_cast<uintptr_t>(raw[first]))) {
    ++first;
  }
  uint32_t depth = 0;
  for (uint32_t i = first; i < static_cast<uint32_t>(captured) && depth < max_depth; ++i) {
    frames[depth++] = reinterpret_cast<uintptr_t>(raw[i]);
  }
  if (cache) {
    *cached_ids = OfferUnwoundStack(query, frames, depth, max_depth, &IsOwnFrame, unwind_ticks);
  }
  return depth;
}

}  // namespace clwleak
