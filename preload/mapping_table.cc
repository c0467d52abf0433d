// Sorted range table of sampled mappings; see mapping_table.h.
#include "mapping_table.h"

#include <sched.h>
#include <string.h>

#include "base.h"

namespace clwleak {

bool MappingTable::Init(uint32_t capacity) {
  pieces_ = static_cast<MappingPiece*>(RawMapAnonymous(sizeof(MappingPiece) * capacity));
  if (pieces_ == nullptr) return false;
  capacity_ = capacity;
  return true;
}

bool MappingTable::Lock() {
  // Bounded: a holder that never returns (a siglongjmp out of a signal handler that interrupted
  // it) must cost us tracking, not hang the host. ~2^20 yields is far beyond any real critical
  // section, which is a binary search and a memmove.
  for (uint32_t spin = 0; locked_.exchange(true, std::memory_order_acquire); ++spin) {
    if (spin == (1u << 20)) return false;
    if ((spin & 63) == 63) sched_yield();
  }
  return true;
}

uint32_t MappingTable::LowerBound(uintptr_t address) const {
  uint32_t low = 0, high = count_.load(std::memory_order_relaxed);
  while (low < high) {
    uint32_t middle = (low + high) / 2;
    if (pieces_[middle].end <= address) low = middle + 1;
    else high = middle;
  }
  return low;
}

bool MappingTable::InsertAt(uint32_t position, const MappingPiece& piece) {
  uint32_t count = count_.load(std::memory_order_relaxed);
  if (count >= capacity_) return false;
  memmove(&pieces_[position + 1], &pieces_[position], (count - position) * sizeof(MappingPiece));
  pieces_[position] = piece;
  count_.store(count + 1, std::memory_order_relaxed);
  if (piece.kind == AllocationKind::kReserved) {
    reserved_count_.store(reserved_count_.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
  }
  return true;
}

void MappingTable::EraseAt(uint32_t position) {
  uint32_t count = count_.load(std::memory_order_relaxed);
  if (pieces_[position].kind == AllocationKind::kReserved) {
    reserved_count_.store(reserved_count_.load(std::memory_order_relaxed) - 1,
                          std::memory_order_relaxed);
  }
  memmove(&pieces_[position], &pieces_[position + 1], (count - position - 1) * sizeof(MappingPiece));
  count_.store(count - 1, std::memory_order_relaxed);
}

bool MappingTable::Insert(uintptr_t start, uint64_t length, double weight_per_byte,
                          uint64_t weight_count_fp, uint32_t stack_id, uint32_t birth_bucket,
                          AllocationKind kind, bool shared) {
  if (pieces_ == nullptr || length == 0 || !Lock()) return false;
  // The kernel never hands out a range that overlaps a live mapping, and callers remove a range
  // before re-mapping it (MAP_FIXED), so the new piece slots in between existing ones.
  uint32_t position = LowerBound(start);
  bool inserted = InsertAt(position, {start, start + length, weight_per_byte, weight_count_fp,
                                      stack_id, birth_bucket, kind, shared, weight_count_fp});
  Unlock();
  return inserted;
}

uint32_t MappingTable::FindOverlapping(uintptr_t start, uint64_t length, AllocationKind kind,
                                       MappingPiece* out, uint32_t capacity) {
  if (pieces_ == nullptr || length == 0) return 0;
  const uintptr_t end = start + length < start ? UINTPTR_MAX : start + length;
  if (!Lock()) return 0;
  uint32_t found = 0;
  for (uint32_t position = LowerBound(start);
       found < capacity && position < count_.load(std::memory_order_relaxed) &&
       pieces_[position].start < end;
       ++position) {
    const MappingPiece& piece = pieces_[position];
    if (piece.kind != kind) continue;
    MappingPiece& clipped = out[found++];
    clipped = piece;
    if (clipped.start < start) clipped.start = start;
    if (clipped.end > end) clipped.end = end;
  }
  Unlock();
  return found;
}

bool MappingTable::KindAt(uintptr_t address, AllocationKind* kind, bool* shared) {
  if (pieces_ == nullptr || !Lock()) return false;
  const uint32_t position = LowerBound(address);
  const bool held =
      position < count_.load(std::memory_order_relaxed) && pieces_[position].start <= address;
  if (held) {
    *kind = pieces_[position].kind;
    *shared = pieces_[position].shared;
  }
  Unlock();
  return held;
}

void MappingTable::Remove(uintptr_t start, uint64_t length, RemovedCallback on_removed,
                          void* context) {
  if (pieces_ == nullptr || length == 0) return;
  const uintptr_t end = start + length < start ? UINTPTR_MAX : start + length;
  if (!Lock()) return;
  uint32_t position = LowerBound(start);
  while (position < count_.load(std::memory_order_relaxed) && pieces_[position].start < end) {
    MappingPiece& piece = pieces_[position];
    const uintptr_t cut_start = piece.start > start ? piece.start : start;
    const uintptr_t cut_end = piece.end < end ? piece.end : end;
    const uint64_t cut_weight =
        static_cast<uint64_t>(static_cast<double>(cut_end - cut_start) * piece.weight_per_byte + 0.5);
    const bool keeps_left = piece.start < cut_start;
    const bool keeps_right = piece.end > cut_end;
    if (!keeps_left && !keeps_right) {
      on_removed(piece, cut_weight, piece.weight_count_fp, context);
      EraseAt(position);
      continue;
    }
    on_removed(piece, cut_weight, 0, context);
    if (keeps_left && keeps_right) {
      // A hole in the middle: the right part becomes a piece of its own (its count stays left).
      MappingPiece right = piece;
      right.start = cut_end;
      right.weight_count_fp = 0;
      piece.end = cut_start;
      if (!InsertAt(position + 1, right)) {
        // No room to split: forget the right part too, so that it is not counted twice later.
        const uint64_t right_weight = static_cast<uint64_t>(
            static_cast<double>(right.end - right.start) * right.weight_per_byte + 0.5);
        on_removed(right, right_weight, 0, context);
      }
      position += 2;
    } else if (keeps_left) {
      piece.end = cut_start;
      ++position;
    } else {
      piece.start = cut_end;
      ++position;
    }
  }
  Unlock();
}

}  // namespace clwleak
