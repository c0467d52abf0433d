// Where the memory cgroup is, which limit holds, and its use; see cgroup_memory.h.
#include "cgroup_memory.h"

#include <stdlib.h>
#include <string.h>

namespace clwleak {
namespace {

// v1 writes "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages); no real
// limit comes near 2^62 bytes.
constexpr uint64_t kV1Unlimited = 1ull << 62;

// The next line of `text` from `*offset` (without its newline); false at the end.
bool NextLine(std::string_view text, size_t* offset, std::string_view* line) {
  if (*offset >= text.size()) return false;
  size_t end = text.find('\n', *offset);
  if (end == std::string_view::npos) end = text.size();
  *line = text.substr(*offset, end - *offset);
  *offset = end + 1;
  return true;
}

std::vector<std::string_view> SplitFields(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(separator, start);
    if (end == std::string_view::npos) end = line.size();
    if (separator != ' ' || end > start) fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

bool HasItem(std::string_view list, std::string_view item) {
  for (std::string_view entry : SplitFields(list, ',')) {
    if (entry == item) return true;
  }
  return false;
}

// mountinfo writes a space, tab, newline and backslash in a path as \040, \011, \012, \134.
std::string DecodeMountinfoPath(std::string_view field) {
  std::string path;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
      path.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                       (field[i + 3] - '0')));
      i += 3;
    } else {
      path.push_back(field[i]);
    }
  }
  return path;
}

// `group` is `root` or below it (both absolute paths in the hierarchy).
bool IsWithin(const std::string& group, const std::string& root) {
  if (root == "/") return !group.empty() && group[0] == '/';
  return group == root || (group.size() > root.size() && group.compare(0, root.size(), root) == 0 &&
                           group[root.size()] == '/');
}

std::string ParentGroup(const std::string& group) {
  size_t slash = group.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : group.substr(0, slash);
}

const char* VersionName(CgroupVersion version) {
  return version == CgroupVersion::kV1 ? "cgroup v1" : "cgroup v2";
}

// The unsigned decimal at the start of `text` (after blanks); false when there is none.
bool ParseDecimal(const char* text, uint64_t* value) {
  while (*text == ' ' || *text == '\t') ++text;
  if (*text < '0' || *text > '9') return false;
  char* end = nullptr;
  *value = strtoull(text, &end, 10);
  return end != text;
}

bool ReadNumber(CgroupFiles& files, const std::string& path, uint64_t* value) {
  char buffer[64];
  return files.Read(path.c_str(), buffer, sizeof(buffer)) > 0 && ParseDecimal(buffer, value);
}

// The value of `key` in a memory.stat ("key value" lines).
bool ReadStat(CgroupFiles& files, const std::string& directory, std::string_view key,
              uint64_t* value) {
  // memory.stat is ~1.5 KiB in v2 and ~1.2 KiB in v1; the keys read here come early in both.
  char buffer[8192];
  const std::string path = directory + "/memory.stat";
  const ssize_t length = files.Read(path.c_str(), buffer, sizeof(buffer));
  if (length <= 0) return false;
  std::string_view text(buffer, static_cast<size_t>(length));
  size_t offset = 0;
  std::string_view line;
  while (NextLine(text, &offset, &line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ' ') {
      const size_t value_at = static_cast<size_t>(line.data() - buffer) + key.size() + 1;
      return ParseDecimal(buffer + value_at, value);
    }
  }
  return false;
}

// The group's own limit; false when it has none (or it cannot be read).
bool ReadLimit(CgroupFiles& files, CgroupVersion version, const std::string& directory,
               uint64_t* limit) {
  if (version == CgroupVersion::kV2) {
    // "max" (no limit) does not parse as a number.
    return ReadNumber(files, directory + "/memory.max", limit);
  }
  return ReadNumber(files, directory + "/memory.limit_in_bytes", limit) && *limit < kV1Unlimited;
}

const char* LimitFile(CgroupVersion version) {
  return version == CgroupVersion::kV2 ? "memory.max" : "memory.limit_in_bytes";
}

const char* UsageFile(CgroupVersion version) {
  return version == CgroupVersion::kV2 ? "memory.current" : "memory.usage_in_bytes";
}

// memory.stat's hierarchical counter of inactive file pages.
const char* InactiveFileKey(CgroupVersion version) {
  return version == CgroupVersion::kV2 ? "inactive_file" : "total_inactive_file";
}

// Processes in `directory` and the groups below it, over at most kMaxGroupsCounted groups.
uint32_t CountProcesses(CgroupFiles& files, const std::string& directory) {
  std::vector<std::string> pending{directory};
  uint64_t processes = 0;
  size_t visited = 0;
  while (!pending.empty() && visited < kMaxGroupsCounted) {
    const std::string current = std::move(pending.back());
    pending.pop_back();
    ++visited;
    const long lines = files.CountLines((current + "/cgroup.procs").c_str());
    if (lines > 0) processes += static_cast<uint64_t>(lines);
    for (const std::string& child : files.Subdirectories(current.c_str())) {
      pending.push_back(current + "/" + child);
    }
  }
  return static_cast<uint32_t>(processes > UINT32_MAX ? UINT32_MAX : processes);
}

}  // namespace

std::vector<CgroupMount> ParseCgroupMounts(std::string_view mountinfo) {
  // "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory": id, parent,
  // device, root, mount point, mount options, optional fields, "-", fstype, source, options.
  std::vector<CgroupMount> mounts;
  size_t offset = 0;
  std::string_view line;
  while (NextLine(mountinfo, &offset, &line)) {
    const std::vector<std::string_view> fields = SplitFields(line, ' ');
    size_t separator = 6;
    while (separator < fields.size() && fields[separator] != "-") ++separator;
    if (separator + 3 >= fields.size()) continue;
    const std::string_view type = fields[separator + 1];
    CgroupMount mount;
    if (type == "cgroup2") {
      mount.version = CgroupVersion::kV2;
    } else if (type == "cgroup" && HasItem(fields[separator + 3], "memory")) {
      mount.version = CgroupVersion::kV1;
    } else {
      continue;
    }
    mount.root = DecodeMountinfoPath(fields[3]);
    mount.mount_point = DecodeMountinfoPath(fields[4]);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::vector<CgroupDirectory> MemoryCgroup::Lineage() const {
  std::vector<CgroupDirectory> lineage;
  if (!IsWithin(group, mount.root)) return lineage;
  std::string current = group;
  while (true) {
    std::string below_root = mount.root == "/" ? current : current.substr(mount.root.size());
    if (below_root == "/") below_root.clear();
    lineage.push_back({current, mount.mount_point + below_root});
    if (current == mount.root || current == "/") break;
    current = ParentGroup(current);
  }
  return lineage;
}

std::optional<MemoryCgroup> LocateMemoryCgroup(std::string_view proc_self_cgroup,
                                               const std::vector<CgroupMount>& mounts) {
  // "4:memory:/path" (v1, the controller may share its hierarchy: "5:cpu,memory:/path") or
  // "0::/path" (v2). A controller is bound to one hierarchy: v1 when a v1 line lists it.
  std::optional<std::string> v1_group, v2_group;
  size_t offset = 0;
  std::string_view line;
  while (NextLine(proc_self_cgroup, &offset, &line)) {
    const size_t first = line.find(':');
    const size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string path(line.substr(second + 1));
    if (HasItem(controllers, "memory")) {
      v1_group = path;
    } else if (id == "0" && controllers.empty()) {
      v2_group = path;
    }
  }
  MemoryCgroup cgroup;
  if (v1_group) {
    cgroup.version = CgroupVersion::kV1;
    cgroup.group = *v1_group;
  } else if (v2_group) {
    cgroup.version = CgroupVersion::kV2;
    cgroup.group = *v2_group;
  } else {
    return std::nullopt;
  }
  // The mount showing the most specific part of the hierarchy that holds the group.
  const CgroupMount* best = nullptr;
  for (const CgroupMount& mount : mounts) {
    if (mount.version != cgroup.version || !IsWithin(cgroup.group, mount.root)) continue;
    if (best == nullptr || mount.root.size() > best->root.size()) best = &mount;
  }
  if (best == nullptr) return std::nullopt;
  cgroup.mount = *best;
  return cgroup;
}

CgroupMemoryState ReadCgroupMemoryState(const MemoryCgroup& cgroup, CgroupFiles& files) {
  CgroupMemoryState state;
  const std::vector<CgroupDirectory> lineage = cgroup.Lineage();
  if (lineage.empty()) return state;
  const CgroupVersion version = cgroup.version;

  // v1: the lowest limit over every ancestor, those above the mount root included.
  uint64_t hierarchical = 0;
  const bool has_hierarchical =
      version == CgroupVersion::kV1 &&
      ReadStat(files, lineage[0].directory, "hierarchical_memory_limit", &hierarchical) &&
      hierarchical < kV1Unlimited;

  struct Holder {
    size_t index = 0;  // into lineage
    uint64_t limit = 0;
    bool has_usage = false;
    uint64_t usage = 0;
    bool above_mount = false;  // v1: an ancestor we cannot see, known from the hierarchical limit
  };
  std::optional<Holder> holder;
  auto headroom = [](const Holder& h) {
    return h.has_usage ? h.limit - (h.usage < h.limit ? h.usage : h.limit) : h.limit;
  };
  auto consider = [&](const Holder& candidate) {
    if (!holder || headroom(candidate) < headroom(*holder) ||
        (headroom(candidate) == headroom(*holder) && candidate.limit < holder->limit)) {
      holder = candidate;
    }
  };
  uint64_t lowest_seen = UINT64_MAX;
  for (size_t i = 0; i < lineage.size(); ++i) {
    Holder candidate;
    candidate.index = i;
    if (!ReadLimit(files, version, lineage[i].directory, &candidate.limit)) continue;
    // Below the hierarchical limit: a group whose limit does not reach down to us.
    if (has_hierarchical && candidate.limit < hierarchical) continue;
    lowest_seen = candidate.limit < lowest_seen ? candidate.limit : lowest_seen;
    candidate.has_usage =
        ReadNumber(files, lineage[i].directory + "/" + UsageFile(version), &candidate.usage);
    consider(candidate);
  }
  if (has_hierarchical && hierarchical < lowest_seen) {
    Holder above;
    above.limit = hierarchical;
    above.above_mount = true;
    above.has_usage =
        ReadNumber(files, lineage[0].directory + "/" + UsageFile(version), &above.usage);
    consider(above);
  }
  if (!holder) return state;

  const CgroupDirectory& group = lineage[holder->index];
  state.limited = true;
  state.limit_bytes = holder->limit;
  state.limit_group = group.group;
  state.limit_source =
      std::string(VersionName(version)) + " " +
      (holder->above_mount ? "memory.stat hierarchical_memory_limit" : LimitFile(version)) +
      " of " + group.group;
  if (holder->has_usage) {
    state.has_in_use = true;
    state.in_use_bytes = holder->usage;
    state.in_use_source = std::string(VersionName(version)) + " " + UsageFile(version);
    uint64_t inactive_file = 0;
    if (ReadStat(files, group.directory, InactiveFileKey(version), &inactive_file)) {
      state.in_use_bytes -= inactive_file < holder->usage ? inactive_file : holder->usage;
      state.in_use_source += std::string(" - ") + InactiveFileKey(version);
    }
    state.in_use_source += " of " + group.group;
  }
  state.processes = CountProcesses(files, group.directory);
  return state;
}

}  // namespace clwleak
