// CgroupMemory: the memory limit the kernel enforces on this process through its cgroup, and how
// much of that limit is in use, worked out from the text of /proc/self/cgroup and
// /proc/self/mountinfo and from the group's files. Pure logic over text and a CgroupFiles
// interface, so that the tests run it over recorded contents of real layouts; process_info.cc
// gives it the real files.
//
// Where the group is: /proc/self/cgroup names the process's group in the hierarchy that holds the
// memory controller (a v1 line whose controller list has `memory`, else the v2 line `0::`). A
// mount of that hierarchy (mountinfo: fstype `cgroup` with the `memory` option, or `cgroup2`)
// whose root holds the group gives its directory: mount point + the group's path below the mount
// root. A container without a cgroup namespace sees its host path (/kubepods/.../<container>) with
// that same path as the mount root, bind-mounted at /sys/fs/cgroup; with a namespace both are "/".
// Nothing about the layout is assumed: hybrid, v1 only and v2 only all come out of these two files.
//
// Which limit: limits are hierarchical, so the process's own group and every ancestor up to the
// mount root are read (v2 memory.max, "max" = none; v1 memory.limit_in_bytes, a huge number =
// none). The process's growth is charged to all of them at once, so the one with the least
// headroom (limit - usage) kills it first; that group "holds" the limit. v1 also states the lowest
// limit of every ancestor, mounted or not, in memory.stat's hierarchical_memory_limit: a lower
// figure there than any group read means an ancestor above the mount root holds it, and a group
// whose own limit is below it does not apply to us (use_hierarchy is off above it).
//
// In use: the usage of the group that holds the limit (v2 memory.current, v1 memory.usage_in_bytes:
// what the kernel charges against that limit, for every process below the group), less the
// group's inactive file cache (memory.stat inactive_file, v1 total_inactive_file), which the
// kernel reclaims before it kills anyone (Kubernetes calls the rest the working set). The holder's
// usage, not the process's own group's, because the holder's is what reaches the limit; when the
// holder has other processes below it, the use is shared and `processes` says so.
//
// Called by the snapshot writer (every snapshot) and at start-up, never from an allocation hook:
// it allocates (paths, lists), which the writer may; file contents are read into stack buffers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clwleak {

enum class CgroupVersion { kV1, kV2 };

// One mount of a cgroup hierarchy that can hold the memory controller (from mountinfo).
struct CgroupMount {
  CgroupVersion version = CgroupVersion::kV2;
  std::string root;         // the hierarchy's path shown there (field 4), e.g. "/" or "/kubepods/x"
  std::string mount_point;  // where (field 5), e.g. "/sys/fs/cgroup/memory"
};

// Mounts of v1 hierarchies with the memory controller and of cgroup2, in mountinfo's order.
// Escapes (\040 for a space) are decoded.
std::vector<CgroupMount> ParseCgroupMounts(std::string_view mountinfo);

// A group and the directory it is visible at.
struct CgroupDirectory {
  std::string group;      // path in the hierarchy, as /proc/self/cgroup names it
  std::string directory;  // in this mount namespace
};

// This process's memory cgroup, placed in a mount.
struct MemoryCgroup {
  CgroupVersion version = CgroupVersion::kV2;
  std::string group;  // from /proc/self/cgroup
  CgroupMount mount;  // the mount whose root holds `group`

  // The process's own group, then each ancestor up to the mount root: the groups whose limits
  // apply and can be read.
  std::vector<CgroupDirectory> Lineage() const;
};

// The memory cgroup from /proc/self/cgroup and the mounts; nullopt when there is no memory
// controller in any hierarchy, or no mount shows the process's group.
std::optional<MemoryCgroup> LocateMemoryCgroup(std::string_view proc_self_cgroup,
                                               const std::vector<CgroupMount>& mounts);

// The files a MemoryCgroup is read from: the real ones (process_info.cc) or recorded ones (tests).
class CgroupFiles {
 public:
  virtual ~CgroupFiles() = default;
  // The start of `path` in `buffer`, NUL-terminated (at most capacity - 1 bytes); -1 when it
  // cannot be read.
  virtual ssize_t Read(const char* path, char* buffer, size_t capacity) = 0;
  // Lines in `path` (the pids of cgroup.procs); -1 when it cannot be read.
  virtual long CountLines(const char* path) = 0;
  // Names of the directories in `path` (child groups).
  virtual std::vector<std::string> Subdirectories(const char* path) = 0;
};

// The cgroup limit that applies, and its use, at one moment.
struct CgroupMemoryState {
  bool limited = false;      // some group on the way up has a limit
  uint64_t limit_bytes = 0;  // of the group that holds the limit
  std::string limit_source;  // e.g. "cgroup v2 memory.max of /system.slice/foo.service"
  std::string limit_group;   // that group, as /proc/self/cgroup names groups
  bool has_in_use = false;
  uint64_t in_use_bytes = 0;  // the holder's usage less its inactive file cache
  std::string in_use_source;  // e.g. "cgroup v2 memory.current - inactive_file of /x"
  // Processes in the holder and the groups below it (this one included); 0 when not counted.
  // More than 1: the use is shared. Counted over at most kMaxGroupsCounted groups.
  uint32_t processes = 0;
};

inline constexpr size_t kMaxGroupsCounted = 64;

// Reads the lineage's limits and the holder's use. `limited` is false when no group has a limit
// (or none can be read); then nothing else is filled.
CgroupMemoryState ReadCgroupMemoryState(const MemoryCgroup& cgroup, CgroupFiles& files);

}  // namespace clwleak
