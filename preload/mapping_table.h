// MappingTable: the sampled anonymous memory mappings (mmap/mremap), as sorted, non-overlapping
// address ranges, so that munmap of any part of a mapping can trim or split what is tracked.
//
// Unlike heap blocks, mappings are unmapped by range, not by start address, and partial unmaps are
// common (allocators trim, V8 releases pages), so a hash keyed by address does not fit. Mapping
// calls are system calls costing microseconds, so a short spin lock around a sorted array is cheap
// here; the array is allocated once with mmap and never grows.
//
// Weights: a mapping sampled with probability p stands for 1/p times its bytes; a piece that remains
// after a partial unmap keeps the same factor, so every piece stays an unbiased estimate. Its
// estimated allocation count (1/p) stays with the piece that keeps the mapping's start.
//
// Thread-safety: any thread. Not re-entrant: the runtime never calls it from a nested hook (a
// signal handler that unmaps memory while this thread holds the lock is left untracked).
// The runtime holds the lock across fork() (LockForFork / UnlockAfterFork).
#pragma once

#include <atomic>
#include <cstdint>

#include "stack_table.h"

namespace clwleak {

struct MappingPiece {
  uintptr_t start;
  uintptr_t end;
  double weight_per_byte;  // 1/p
  uint64_t weight_count_fp;
  uint32_t stack_id;
  uint32_t birth_bucket;  // birth_buckets.h; every piece of a mapping keeps the mapping's
  AllocationKind kind;    // kMmap, kSharedAnonymous or kReserved
  bool shared;            // MAP_SHARED: a kReserved piece commits to kSharedAnonymous
  uint64_t count_unit_fp;  // the mapping's 1/p as a count: what a committed part counts as
};

class MappingTable {
 public:
  bool Init(uint32_t capacity);
  // The address space Init reserves for `capacity`.
  static uint64_t ReservedBytes(uint32_t capacity) { return sizeof(MappingPiece) * capacity; }

  // Records [start, start+length). False when the table is full.
  bool Insert(uintptr_t start, uint64_t length, double weight_per_byte, uint64_t weight_count_fp,
              uint32_t stack_id, uint32_t birth_bucket, AllocationKind kind = AllocationKind::kMmap,
              bool shared = false);

  // Copies up to `capacity` pieces of kind `kind` that overlap [start, start+length), clipped to
  // it, into `out`; returns how many. For mprotect, which commits reserved address space.
  uint32_t FindOverlapping(uintptr_t start, uint64_t length, AllocationKind kind, MappingPiece* out,
                           uint32_t capacity);

  // The kind and sharing of the piece holding `address`; false when no piece holds it.
  bool KindAt(uintptr_t address, AllocationKind* kind, bool* shared);

  // Forgets every tracked byte in [start, start+length), splitting or trimming pieces. For each
  // removed part `on_removed(piece, weight_bytes, weight_count_fp, context)` is called with the
  // lock held (it must not call back into this table).
  using RemovedCallback = void (*)(const MappingPiece& piece, uint64_t weight_bytes,
                                   uint64_t weight_count_fp, void* context);
  void Remove(uintptr_t start, uint64_t length, RemovedCallback on_removed, void* context);

  // Lock-free check that lets munmap skip the lock while nothing is tracked.
  bool IsEmpty() const { return count_.load(std::memory_order_relaxed) == 0; }
  // Lock-free check that lets mprotect skip the lock while no reserved range is tracked.
  bool HasReserved() const { return reserved_count_.load(std::memory_order_relaxed) != 0; }

  // Held across fork() so the child never inherits a half-updated array. If the lock cannot be
  // had, the child gets whatever state there is (unlock after fork resets the lock either way).
  void LockForFork() { Lock(); }
  void UnlockAfterFork() { Unlock(); }

 private:
  // False when the lock could not be had in bounded time: the caller skips its update.
  bool Lock();
  void Unlock() { locked_.store(false, std::memory_order_release); }
  uint32_t LowerBound(uintptr_t address) const;  // first piece with end > address
  bool InsertAt(uint32_t position, const MappingPiece& piece);
  void EraseAt(uint32_t position);

  MappingPiece* pieces_ = nullptr;
  uint32_t capacity_ = 0;
  std::atomic<uint32_t> count_{0};
  std::atomic<uint32_t> reserved_count_{0};  // pieces of kind kReserved (changed under the lock)
  std::atomic<bool> locked_{false};
};

}  // namespace clwleak
