// ProcessInfo: facts about the host process and its memory, read from /proc and cgroupfs for the
// snapshot header (who, where, which limit) and for every snapshot (RSS, cgroup memory.current).
//
// Called from the writer thread and at start-up, never from an allocation hook. The readers use
// open/read into stack buffers, no stdio.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clwleak {

struct MemoryLimit {
  uint64_t bytes = 0;
  std::string source;  // "CLWLEAK_MEMORY_LIMIT", "CLW_MEMORY_LIMIT", "cgroup memory.max", ...
};

// The limit the worker will be killed at, in DESIGN.md's order: CLWLEAK_MEMORY_LIMIT (already
// parsed into `configured`), CLW_MEMORY_LIMIT, cgroup v2 memory.max, cgroup v1
// memory.limit_in_bytes, physical memory.
MemoryLimit DetectMemoryLimit(uint64_t configured);

uint64_t ReadRssBytes();
// cgroup v2 memory.current of this process's cgroup; false when not readable.
bool ReadCgroupMemoryCurrent(uint64_t* bytes);
// The decimal number at the start of `path`; false when unreadable or not a number.
bool ReadDecimalFile(const char* path, uint64_t* value);

std::string ExecutablePath();
std::string ExecutableName();  // basename of ExecutablePath()
std::vector<std::string> CommandLine();
std::string HostName();

}  // namespace clwleak
