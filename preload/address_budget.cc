// The preload's share of a finite address-space limit; see address_budget.h.
#include "address_budget.h"

#include <sys/resource.h>

namespace clwleak {
namespace {

// 0 when unlimited.
uint64_t AddressSpaceLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace

bool AddressSpaceLimited() { return AddressSpaceLimit() != 0; }

uint64_t TableAddressBudget() {
  const uint64_t limit = AddressSpaceLimit();
  return limit == 0 ? UINT64_MAX : limit / 16;
}

}  // namespace clwleak
