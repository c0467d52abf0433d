// AddressBudget: how much address space the preload may take for itself under an address-space
// limit (setrlimit RLIMIT_AS, `ulimit -v`).
//
// Under such a limit every byte the preload reserves is a byte the host can no longer have: its
// tables (mapped once, mostly never touched) would otherwise take ~190 MiB of a host's limit and
// make its own allocations fail where they succeed without the preload. The runtime sizes its
// tables to fit the budget, and the writer thread gets a small stack.
//
// Allocation-free (getrlimit only): called from the first malloc, before any constructor of ours.
#pragma once

#include <cstdint>

namespace clwleak {

// True when the process has a finite RLIMIT_AS.
bool AddressSpaceLimited();

// The address space the preload's tables may reserve: a sixteenth of a finite RLIMIT_AS, else
// UINT64_MAX.
uint64_t TableAddressBudget();

}  // namespace clwleak
