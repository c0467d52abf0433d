// Memory by kind: which allocation kinds can leak, and the per-kind totals of the memory that
// cannot (shared anonymous mappings, reserved address space). Called by analysis.cc; the report
// formats print KindMemory (report.h). Not thread-safe; plain functions on one file's state.
#pragma once

#include <string>

#include "clwleak.pb.h"

namespace clwleak::analysis {

// Heap blocks and private anonymous memory in use: what the leak figures, gates and the time to
// OOM count. Shared anonymous memory and reserved address space never leak: they are listed by
// kind only.
inline bool KindCanLeak(proto::AllocationKind kind) {
  return kind == proto::HEAP || kind == proto::MMAP;
}

// The name reports use: "heap", "mmap", "shared_anon", "reserved" (an unknown value: "kind N").
std::string KindName(proto::AllocationKind kind);

}  // namespace clwleak::analysis
