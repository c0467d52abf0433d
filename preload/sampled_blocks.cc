// Sampled heap blocks with inline headers; see sampled_blocks.h and sample_header.h.
#include "sampled_blocks.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "allocator_rebinding.h"
#include "capture.h"
#include "real_functions.h"
#include "sample_header.h"

namespace clwleak {
namespace {

void* AllocatePlain(size_t size, size_t alignment, bool zero) {
  if (alignment > 16) return g_real.memalign(alignment, size);
  return zero ? g_real.calloc(1, size) : g_real.malloc(size);
}

// Writes the header of a block just allocated at `base` with `offset` bytes in front of the user
// block, born in birth bucket `birth`, unwinding the caller. Returns the user pointer. The caller
// holds a BusyScope.
void* PublishSample(void* base, size_t offset, size_t size, const SampleWeight& weight,
                    uint32_t birth) {
  void* user = static_cast<char*>(base) + offset;
  SampleHeader* header = HeaderOf(user);
  header->size = size;
  header->weight_bytes = weight.bytes;
  header->weight_count_fp = weight.count_fp;
  header->stack_id = CaptureSampleStack(AllocationKind::kHeap, weight.bytes);
  header->birth_bucket = birth;
  header->offset = offset;
  header->magic = kSampledMagic;
  if (header->stack_id != StackTable::kInvalidId) {
    g_stacks.RecordAllocation(header->stack_id, weight.bytes, weight.count_fp, birth);
    g_stacks.RecordSampledSize(header->stack_id, size);
  }
  PollWriter();
  return user;
}

void CountFreed(const SampleHeader& header) {
  if (header.stack_id != StackTable::kInvalidId) {
    g_stacks.RecordFree(header.stack_id, header.weight_bytes, header.weight_count_fp,
                        header.birth_bucket);
  }
}

}  // namespace

CLWLEAK_FLATTEN void* AllocateSampled(size_t size, size_t alignment, bool zero) {
  SampleWeight weight;
  const size_t offset = HeaderSpaceFor(alignment);
  // During a blackout the counter stays at or below zero, as for our own allocations, so the
  // first allocation after it is the one sampled.
  if (HeadersSuspended() || !DecideSample(size, &weight) || size > SIZE_MAX - offset) {
    return AllocatePlain(size, alignment, zero);  // the real allocator fails oversized requests
  }
  BusyScope busy;
  void* base = AllocatePlain(size + offset, alignment, zero);
  if (base == nullptr) return nullptr;
  return PublishSample(base, offset, size, weight, CurrentBirthBucket());
}

CLWLEAK_NOINLINE void FreeSampled(void* user) {
  SampleHeader* header = HeaderOf(user);
  if (header->magic == kBootstrapMagic) return;  // static storage, never released
  if (CLWLEAK_UNLIKELY(header->magic != kSampledMagic)) {
    g_real.free(user);  // not a block of ours: glibc diagnoses it as it would without us
    return;
  }
  // Before the block goes, so that a single-threaded host that idled past the deadline and then
  // tears its heap down gets one snapshot of the heap as it was before the teardown.
  PollWriterOutsideOurCode();
  const SampleHeader record = *header;
  void* base = BaseOf(user);
  // A second free() of this pointer then reaches glibc as an invalid pointer (and aborts, as a
  // double free does without the preload) instead of being counted twice.
  header->magic = 0;
  CountFreed(record);
  g_real.free(base);
}

CLWLEAK_FLATTEN void* ReallocateSampled(void* user, size_t size) {
  SampleHeader* header = HeaderOf(user);
  if (CLWLEAK_UNLIKELY(header->magic != kSampledMagic)) return g_real.realloc(user, size);
  if (size == 0) {
    FreeSampled(user);
    return nullptr;
  }
  const SampleHeader old = *header;
  if (size > SIZE_MAX - old.offset) {
    errno = ENOMEM;
    return nullptr;  // the block is untouched and still sampled
  }
  SampleWeight weight;
  const bool sampled =
      !CountdownNotReached(size) && !HeadersSuspended() && DecideSample(size, &weight);
  BusyScope busy;
  char* base = static_cast<char*>(g_real.realloc(BaseOf(user), old.offset + size));
  if (base == nullptr) return nullptr;  // glibc left the old block (and its header) as it was
  CountFreed(old);
  // A block that grows keeps its birth: a buffer that grows forever shows as old bytes that grow.
  if (sampled) return PublishSample(base, old.offset, size, weight, old.birth_bucket);
  // No longer sampled: the data moves to the front of the block, whose last `offset` bytes stay
  // unused until the next realloc or free.
  memmove(base, base + old.offset, old.size < size ? old.size : size);
  return base;
}

CLWLEAK_FLATTEN void* ReallocateIntoSample(void* user, size_t size) {
  SampleWeight weight;
  if (size == 0 || size > SIZE_MAX - kSampleHeaderSpace || HeadersSuspended() ||
      !DecideSample(size, &weight)) {
    return g_real.realloc(user, size);
  }
  BusyScope busy;
  const size_t old_usable = g_real.malloc_usable_size(user);
  char* base = static_cast<char*>(g_real.realloc(user, size + kSampleHeaderSpace));
  if (base == nullptr) return nullptr;
  memmove(base + kSampleHeaderSpace, base, old_usable < size ? old_usable : size);
  return PublishSample(base, kSampleHeaderSpace, size, weight, CurrentBirthBucket());
}

size_t UsableSizeSampled(void* user) {
  const SampleHeader* header = HeaderOf(user);
  if (CLWLEAK_UNLIKELY(header->magic != kSampledMagic)) return g_real.malloc_usable_size(user);
  return g_real.malloc_usable_size(BaseOf(user)) - header->offset;
}

}  // namespace clwleak
