// Names of allocation kinds; see memory_kinds.h.
#include "memory_kinds.h"

namespace clwleak::analysis {

std::string KindName(proto::AllocationKind kind) {
  switch (kind) {
    case proto::HEAP:
      return "heap";
    case proto::MMAP:
      return "mmap";
    case proto::SHARED_ANON:
      return "shared_anon";
    case proto::RESERVED:
      return "reserved";
    default:
      return "kind " + std::to_string(static_cast<int>(kind));
  }
}

}  // namespace clwleak::analysis
