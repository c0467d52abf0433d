// ProcessInfo: facts about the host process and its memory, read from /proc and cgroupfs for the
// snapshot header (who, where, which limit) and for every snapshot (RSS, the cgroup limit and its
// use, which cgroup_memory.h works out from the files read here).
//
// Called from the writer thread and at start-up, never from an allocation hook. The readers use
// open/read into stack buffers, no stdio.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cgroup_memory.h"

namespace clwleak {

struct MemoryLimit {
  uint64_t bytes = 0;
  // "CLWLEAK_MEMORY_LIMIT", "CLW_MEMORY_LIMIT", "cgroup v2 memory.max of /x", "physical memory"
  std::string source;
  bool explicit_setting = false;  // set by a variable, not found on the system
};

// The limit the worker will be killed at, in DESIGN.md's order: CLWLEAK_MEMORY_LIMIT (already
// parsed into `configured`), CLW_MEMORY_LIMIT, the cgroup limit the kernel enforces (`cgroup`,
// from ReadCgroupMemory), physical memory.
MemoryLimit DetectMemoryLimit(uint64_t configured, const CgroupMemoryState& cgroup);

// Physical memory in bytes; 0 when unknown.
uint64_t PhysicalMemoryBytes();

// The mounts of cgroup hierarchies that can hold the memory controller, from
// /proc/self/mountinfo. Read once, at start-up: mounts do not move under a running process.
std::vector<CgroupMount> ReadCgroupMounts();
// The cgroup limit the kernel enforces now and its use: /proc/self/cgroup (re-read, since a
// process can be moved to another group) placed in `mounts`, then a few small files per group.
CgroupMemoryState ReadCgroupMemory(const std::vector<CgroupMount>& mounts);

uint64_t ReadRssBytes();
// The decimal number at the start of `path`; false when unreadable or not a number.
bool ReadDecimalFile(const char* path, uint64_t* value);

std::string ExecutablePath();
std::string ExecutableName();  // basename of ExecutablePath()
std::vector<std::string> CommandLine();
std::string HostName();

}  // namespace clwleak
