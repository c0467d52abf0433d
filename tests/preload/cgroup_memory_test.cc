// The memory cgroup's place, limit and use (preload/cgroup_memory.h) over recorded contents of
// /proc/self/cgroup, /proc/self/mountinfo and the groups' files, one layout per test: cgroup v2,
// v1, hybrid, containers with and without a cgroup namespace, systemd services, nested groups.
#include "cgroup_memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace clwleak {
namespace {

// A file tree given as path -> contents; directories are the paths' prefixes.
class RecordedFiles final : public CgroupFiles {
 public:
  explicit RecordedFiles(std::map<std::string, std::string> contents)
      : contents_(std::move(contents)) {}

  ssize_t Read(const char* path, char* buffer, size_t capacity) override {
    auto found = contents_.find(path);
    if (found == contents_.end()) return -1;
    const size_t length = std::min(found->second.size(), capacity - 1);
    found->second.copy(buffer, length);
    buffer[length] = '\0';
    return static_cast<ssize_t>(length);
  }

  long CountLines(const char* path) override {
    auto found = contents_.find(path);
    if (found == contents_.end()) return -1;
    long lines = 0;
    for (char c : found->second) lines += c == '\n' ? 1 : 0;
    return lines;
  }

  std::vector<std::string> Subdirectories(const char* path) override {
    const std::string prefix = std::string(path) + "/";
    std::set<std::string> names;
    for (const auto& [file, contents] : contents_) {
      if (file.compare(0, prefix.size(), prefix) != 0) continue;
      const size_t slash = file.find('/', prefix.size());
      if (slash != std::string::npos)
        names.insert(file.substr(prefix.size(), slash - prefix.size()));
    }
    return {names.begin(), names.end()};
  }

 private:
  std::map<std::string, std::string> contents_;
};

constexpr uint64_t kMiB = 1024 * 1024;
const std::string kV1Unlimited = "9223372036854771712\n";

// This machine's: cgroup v1 controllers under a tmpfs, cgroup2 (without memory) at .../unified.
const char* const kHybridMountinfo =
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const char* const kHybridCgroup =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "4:memory:/process_api/838699baea1fb40e9cc18fb8d25263d0\n"
    "1:cpu:/\n"
    "0::/\n";

// Debian 12 / Fedora / Ubuntu 22.04: cgroup2 only, at /sys/fs/cgroup.
const char* const kUnifiedMountinfo =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// CentOS 7 style: cgroup v1 only, no cgroup2 anywhere, controllers co-mounted.
const char* const kV1OnlyMountinfo =
    "24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755\n"
    "25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup "
    "rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "33 24 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup "
    "rw,memory\n";

std::string Stat(uint64_t inactive_file) {
  return "anon 1000\nfile 2000\ninactive_file " + std::to_string(inactive_file) +
         "\nactive_file 4096\n";
}

std::string V1Stat(uint64_t hierarchical_limit, uint64_t total_inactive_file) {
  return "cache 4096\nrss 8192\ninactive_file 1\nhierarchical_memory_limit " +
         std::to_string(hierarchical_limit) +
         "\nhierarchical_memsw_limit 9223372036854771712\ntotal_cache 4096\n"
         "total_inactive_file " +
         std::to_string(total_inactive_file) + "\n";
}

std::optional<MemoryCgroup> Locate(const char* proc_self_cgroup, const char* mountinfo) {
  return LocateMemoryCgroup(proc_self_cgroup, ParseCgroupMounts(mountinfo));
}

CgroupMemoryState Read(const char* proc_self_cgroup, const char* mountinfo,
                       std::map<std::string, std::string> files) {
  std::optional<MemoryCgroup> cgroup = Locate(proc_self_cgroup, mountinfo);
  if (!cgroup) return {};
  RecordedFiles recorded(std::move(files));
  return ReadCgroupMemoryState(*cgroup, recorded);
}

std::vector<std::string> Directories(const MemoryCgroup& cgroup) {
  std::vector<std::string> directories;
  for (const CgroupDirectory& entry : cgroup.Lineage()) directories.push_back(entry.directory);
  return directories;
}

TEST(CgroupMounts, KeepsMemoryHierarchiesAndCgroup2AndDecodesEscapes) {
  const std::vector<CgroupMount> mounts =
      ParseCgroupMounts(std::string(kHybridMountinfo) +
                        "50 30 0:40 /a\\040b /mnt/with\\040space rw - cgroup cgroup rw,memory\n"
                        "51 30 0:41 / /broken\n");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].version, CgroupVersion::kV1);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts[1].version, CgroupVersion::kV2);
  EXPECT_EQ(mounts[1].mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts[2].root, "/a b");
  EXPECT_EQ(mounts[2].mount_point, "/mnt/with space");
}

TEST(CgroupLocation, UnifiedServiceAndEveryAncestor) {
  auto cgroup = Locate("0::/system.slice/foo.service\n", kUnifiedMountinfo);
  ASSERT_TRUE(cgroup);
  EXPECT_EQ(cgroup->version, CgroupVersion::kV2);
  EXPECT_EQ(Directories(*cgroup),
            (std::vector<std::string>{"/sys/fs/cgroup/system.slice/foo.service",
                                      "/sys/fs/cgroup/system.slice", "/sys/fs/cgroup"}));
}

TEST(CgroupLocation, HybridTakesTheV1MemoryHierarchyNotCgroup2) {
  auto cgroup = Locate(kHybridCgroup, kHybridMountinfo);
  ASSERT_TRUE(cgroup);
  EXPECT_EQ(cgroup->version, CgroupVersion::kV1);
  EXPECT_EQ(Directories(*cgroup),
            (std::vector<std::string>{
                "/sys/fs/cgroup/memory/process_api/838699baea1fb40e9cc18fb8d25263d0",
                "/sys/fs/cgroup/memory/process_api", "/sys/fs/cgroup/memory"}));
}

TEST(CgroupLocation, ContainerWithoutNamespaceSeesItsOwnGroupAtTheMountPoint) {
  // The host's path in /proc/self/cgroup; only the container's group is bind-mounted.
  auto cgroup = Locate(
      "0::/kubepods/burstable/pod7f3a/0c1d\n",
      "1450 1449 0:26 /kubepods/burstable/pod7f3a/0c1d /sys/fs/cgroup ro,nosuid,nodev,noexec "
      "master:9 - cgroup2 cgroup rw\n");
  ASSERT_TRUE(cgroup);
  EXPECT_EQ(Directories(*cgroup), (std::vector<std::string>{"/sys/fs/cgroup"}));
  EXPECT_EQ(cgroup->Lineage()[0].group, "/kubepods/burstable/pod7f3a/0c1d");
}

TEST(CgroupLocation, PrefersTheMountShowingTheMostOfTheGroup) {
  auto cgroup = Locate("0::/kubepods/pod1/c1\n",
                       "30 1 0:26 / /host/cgroup rw - cgroup2 cgroup2 rw\n"
                       "31 1 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
                       "32 1 0:26 /kubepods/pod2 /other rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(cgroup);
  EXPECT_EQ(Directories(*cgroup),
            (std::vector<std::string>{"/sys/fs/cgroup/c1", "/sys/fs/cgroup"}));
}

TEST(CgroupLocation, NoneWithoutAMemoryHierarchyOrAMountShowingTheGroup) {
  EXPECT_FALSE(Locate("3:cpu:/\n1:name=systemd:/\n", kV1OnlyMountinfo));
  EXPECT_FALSE(Locate("4:memory:/a\n", kUnifiedMountinfo));  // memory on v1, not mounted
  EXPECT_FALSE(Locate("0::/elsewhere\n",
                      "31 1 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"));
  EXPECT_FALSE(Locate("", kUnifiedMountinfo));
}

TEST(CgroupMemory, SystemdServiceWithMemoryMaxOnCgroupV2) {
  // MemoryMax=512M; memory.current 100 MiB of which 4 MiB inactive page cache; two processes.
  const std::string service = "/sys/fs/cgroup/system.slice/foo.service";
  CgroupMemoryState state =
      Read("0::/system.slice/foo.service\n", kUnifiedMountinfo,
           {{service + "/memory.max", "536870912\n"},
            {service + "/memory.current", std::to_string(100 * kMiB) + "\n"},
            {service + "/memory.stat", Stat(4 * kMiB)},
            {service + "/cgroup.procs", "1234\n1240\n"},
            {"/sys/fs/cgroup/system.slice/memory.max", "max\n"},
            {"/sys/fs/cgroup/system.slice/memory.current", std::to_string(900 * kMiB) + "\n"},
            {"/sys/fs/cgroup/system.slice/cgroup.procs", ""}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 512 * kMiB);
  EXPECT_EQ(state.limit_source, "cgroup v2 memory.max of /system.slice/foo.service");
  EXPECT_EQ(state.limit_group, "/system.slice/foo.service");
  ASSERT_TRUE(state.has_in_use);
  EXPECT_EQ(state.in_use_bytes, 96 * kMiB);
  EXPECT_EQ(state.in_use_source,
            "cgroup v2 memory.current - inactive_file of /system.slice/foo.service");
  EXPECT_EQ(state.processes, 2u);
}

TEST(CgroupMemory, SystemdServiceWithMemoryLimitOnCgroupV1) {
  const std::string service = "/sys/fs/cgroup/memory/system.slice/foo.service";
  CgroupMemoryState state =
      Read("11:memory:/system.slice/foo.service\n1:name=systemd:/system.slice/foo.service\n",
           kV1OnlyMountinfo,
           {{service + "/memory.limit_in_bytes", "536870912\n"},
            {service + "/memory.usage_in_bytes", std::to_string(300 * kMiB) + "\n"},
            {service + "/memory.stat", V1Stat(512 * kMiB, 10 * kMiB)},
            {service + "/cgroup.procs", "77\n"},
            {"/sys/fs/cgroup/memory/system.slice/memory.limit_in_bytes", kV1Unlimited},
            {"/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 512 * kMiB);
  EXPECT_EQ(state.limit_source, "cgroup v1 memory.limit_in_bytes of /system.slice/foo.service");
  EXPECT_EQ(state.in_use_bytes, 290 * kMiB);
  EXPECT_EQ(state.in_use_source,
            "cgroup v1 memory.usage_in_bytes - total_inactive_file of /system.slice/foo.service");
  EXPECT_EQ(state.processes, 1u);
}

TEST(CgroupMemory, V1OnlyLimitOnAnAncestorSlice) {
  // A login session in user-1000.slice, which has MemoryLimit=2G; the session scope has none.
  const std::string root = "/sys/fs/cgroup/memory";
  const std::string slice = root + "/user.slice/user-1000.slice";
  const std::string scope = slice + "/session-2.scope";
  CgroupMemoryState state = Read(
      "11:memory:/user.slice/user-1000.slice/session-2.scope\n"
      "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n",
      kV1OnlyMountinfo,
      {{scope + "/memory.limit_in_bytes", kV1Unlimited},
       {scope + "/memory.usage_in_bytes", std::to_string(50 * kMiB) + "\n"},
       {scope + "/memory.stat", V1Stat(2048 * kMiB, 0)},
       {scope + "/cgroup.procs", "10\n11\n"},
       {slice + "/memory.limit_in_bytes", std::to_string(2048 * kMiB) + "\n"},
       {slice + "/memory.usage_in_bytes", std::to_string(80 * kMiB) + "\n"},
       {slice + "/memory.stat", V1Stat(2048 * kMiB, 0)},
       {slice + "/cgroup.procs", ""},
       {slice + "/user-runtime-dir.service/cgroup.procs", "5\n"},
       {root + "/user.slice/memory.limit_in_bytes", kV1Unlimited},
       {root + "/memory.limit_in_bytes", kV1Unlimited}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 2048 * kMiB);
  EXPECT_EQ(state.limit_source, "cgroup v1 memory.limit_in_bytes of /user.slice/user-1000.slice");
  EXPECT_EQ(state.in_use_bytes, 80 * kMiB);  // the slice's: what reaches its limit
  // Shared: the session's two processes and one in a sibling service, all below the slice.
  EXPECT_EQ(state.processes, 3u);
}

TEST(CgroupMemory, HybridLayoutReadsTheV1Group) {
  const std::string group = "/sys/fs/cgroup/memory/process_api/838699baea1fb40e9cc18fb8d25263d0";
  CgroupMemoryState state =
      Read(kHybridCgroup, kHybridMountinfo,
           {{group + "/memory.limit_in_bytes", "419430400\n"},
            {group + "/memory.usage_in_bytes", std::to_string(171 * kMiB) + "\n"},
            {group + "/memory.stat", V1Stat(400 * kMiB, kMiB)},
            {group + "/cgroup.procs", "4242\n"},
            {"/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes", kV1Unlimited},
            {"/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited},
            // cgroup2 has no memory controller here: nothing there may be read as a limit.
            {"/sys/fs/cgroup/unified/memory.max", "1\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 400 * kMiB);
  EXPECT_EQ(state.limit_source,
            "cgroup v1 memory.limit_in_bytes of /process_api/838699baea1fb40e9cc18fb8d25263d0");
  EXPECT_EQ(state.in_use_bytes, 170 * kMiB);
  EXPECT_EQ(state.processes, 1u);
}

TEST(CgroupMemory, HybridWithoutAMemoryControllerAnywhereHasNoLimit) {
  CgroupMemoryState state = Read("1:name=systemd:/\n0::/user.slice\n", kHybridMountinfo,
                                 {{"/sys/fs/cgroup/unified/user.slice/cgroup.procs", "1\n"}});
  EXPECT_FALSE(state.limited);
  EXPECT_FALSE(state.has_in_use);
}

TEST(CgroupMemory, ContainerWithCgroupNamespace) {
  // Docker/containerd with a private cgroup namespace: the container's group is "/" to itself.
  CgroupMemoryState state =
      Read("0::/\n",
           "700 690 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw\n",
           {{"/sys/fs/cgroup/memory.max", "268435456\n"},
            {"/sys/fs/cgroup/memory.current", std::to_string(64 * kMiB) + "\n"},
            {"/sys/fs/cgroup/memory.stat", Stat(0)},
            {"/sys/fs/cgroup/cgroup.procs", "1\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 256 * kMiB);
  EXPECT_EQ(state.limit_source, "cgroup v2 memory.max of /");
  EXPECT_EQ(state.in_use_bytes, 64 * kMiB);
  EXPECT_EQ(state.processes, 1u);
}

TEST(CgroupMemory, ContainerWithCgroupNamespaceOnV1) {
  CgroupMemoryState state =
      Read("12:memory:/\n1:name=systemd:/\n",
           "701 690 0:31 / /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n",
           {{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "268435456\n"},
            {"/sys/fs/cgroup/memory/memory.usage_in_bytes", std::to_string(64 * kMiB) + "\n"},
            {"/sys/fs/cgroup/memory/memory.stat", V1Stat(256 * kMiB, 0)},
            {"/sys/fs/cgroup/memory/cgroup.procs", "1\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_source, "cgroup v1 memory.limit_in_bytes of /");
}

TEST(CgroupMemory, KubernetesContainerWithoutNamespaceOnV2) {
  CgroupMemoryState state =
      Read("0::/kubepods/burstable/pod7f3a/0c1d\n",
           "1450 1449 0:26 /kubepods/burstable/pod7f3a/0c1d /sys/fs/cgroup ro,nosuid,nodev,noexec "
           "master:9 - cgroup2 cgroup rw\n",
           {{"/sys/fs/cgroup/memory.max", "1073741824\n"},
            {"/sys/fs/cgroup/memory.current", std::to_string(300 * kMiB) + "\n"},
            {"/sys/fs/cgroup/memory.stat", Stat(20 * kMiB)},
            {"/sys/fs/cgroup/cgroup.procs", "1\n7\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 1024 * kMiB);
  EXPECT_EQ(state.limit_source, "cgroup v2 memory.max of /kubepods/burstable/pod7f3a/0c1d");
  EXPECT_EQ(state.in_use_bytes, 280 * kMiB);
  EXPECT_EQ(state.processes, 2u);
}

TEST(CgroupMemory, KubernetesContainerWithoutNamespaceOnV1LimitAboveTheMountRoot) {
  // Only the pod has a limit, and the pod's directory is not mounted in the container:
  // memory.stat's hierarchical_memory_limit still shows it.
  CgroupMemoryState state = Read(
      "9:memory:/kubepods/burstable/pod7f3a/0c1d\n",
      "1460 1449 0:31 /kubepods/burstable/pod7f3a/0c1d /sys/fs/cgroup/memory ro,nosuid - cgroup "
      "cgroup rw,memory\n",
      {{"/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited},
       {"/sys/fs/cgroup/memory/memory.usage_in_bytes", std::to_string(300 * kMiB) + "\n"},
       {"/sys/fs/cgroup/memory/memory.stat", V1Stat(768 * kMiB, 0)},
       {"/sys/fs/cgroup/memory/cgroup.procs", "1\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 768 * kMiB);
  EXPECT_EQ(state.limit_source,
            "cgroup v1 memory.stat hierarchical_memory_limit of /kubepods/burstable/pod7f3a/0c1d");
  EXPECT_EQ(state.in_use_bytes, 300 * kMiB);  // the container's: the pod's cannot be read
}

TEST(CgroupMemory, NestedGroupWhoseParentHoldsTheLimit) {
  const std::string parent = "/sys/fs/cgroup/clwleak-test-1";
  CgroupMemoryState state =
      Read("0::/clwleak-test-1/worker\n", kUnifiedMountinfo,
           {{parent + "/worker/memory.max", "max\n"},
            {parent + "/worker/memory.current", std::to_string(200 * kMiB) + "\n"},
            {parent + "/worker/memory.stat", Stat(0)},
            {parent + "/worker/cgroup.procs", "99\n"},
            {parent + "/memory.max", "419430400\n"},
            {parent + "/memory.current", std::to_string(201 * kMiB) + "\n"},
            {parent + "/memory.stat", Stat(kMiB)},
            {parent + "/cgroup.procs", ""}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 400 * kMiB);
  EXPECT_EQ(state.limit_source, "cgroup v2 memory.max of /clwleak-test-1");
  EXPECT_EQ(state.limit_group, "/clwleak-test-1");
  EXPECT_EQ(state.in_use_bytes, 200 * kMiB);
  EXPECT_EQ(state.in_use_source, "cgroup v2 memory.current - inactive_file of /clwleak-test-1");
  EXPECT_EQ(state.processes, 1u);  // the worker, in the child group
}

TEST(CgroupMemory, TheGroupWithTheLeastHeadroomHoldsTheLimit) {
  // Own group: 500 MiB with 100 MiB used; its parent: 800 MiB with 750 MiB used, mostly by
  // siblings. The parent fills first, though its limit is the higher one.
  const std::string parent = "/sys/fs/cgroup/app";
  CgroupMemoryState state =
      Read("0::/app/worker\n", kUnifiedMountinfo,
           {{parent + "/worker/memory.max", std::to_string(500 * kMiB) + "\n"},
            {parent + "/worker/memory.current", std::to_string(100 * kMiB) + "\n"},
            {parent + "/memory.max", std::to_string(800 * kMiB) + "\n"},
            {parent + "/memory.current", std::to_string(750 * kMiB) + "\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 800 * kMiB);
  EXPECT_EQ(state.limit_group, "/app");
  EXPECT_EQ(state.in_use_bytes, 750 * kMiB);
  EXPECT_EQ(state.in_use_source, "cgroup v2 memory.current of /app");  // no memory.stat

  // With the siblings gone the own group has less room left, and holds the limit.
  state = Read("0::/app/worker\n", kUnifiedMountinfo,
               {{parent + "/worker/memory.max", std::to_string(300 * kMiB) + "\n"},
                {parent + "/worker/memory.current", std::to_string(100 * kMiB) + "\n"},
                {parent + "/memory.max", std::to_string(800 * kMiB) + "\n"},
                {parent + "/memory.current", std::to_string(200 * kMiB) + "\n"}});
  EXPECT_EQ(state.limit_bytes, 300 * kMiB);
  EXPECT_EQ(state.limit_group, "/app/worker");
}

TEST(CgroupMemory, MaxAndTheV1HugeValueAreNoLimit) {
  CgroupMemoryState v2 = Read("0::/a/b\n", kUnifiedMountinfo,
                              {{"/sys/fs/cgroup/a/b/memory.max", "max\n"},
                               {"/sys/fs/cgroup/a/b/memory.current", "4096\n"},
                               {"/sys/fs/cgroup/a/memory.max", "max\n"}});
  EXPECT_FALSE(v2.limited);
  EXPECT_FALSE(v2.has_in_use);
  CgroupMemoryState v1 =
      Read("4:memory:/a\n", kV1OnlyMountinfo,
           {{"/sys/fs/cgroup/memory/a/memory.limit_in_bytes", kV1Unlimited},
            {"/sys/fs/cgroup/memory/a/memory.stat", V1Stat(9223372036854771712ull, 0)},
            {"/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited}});
  EXPECT_FALSE(v1.limited);
}

TEST(CgroupMemory, V1AncestorBelowTheHierarchicalLimitDoesNotApply) {
  // use_hierarchy=0 above the group: the parent's 100 MiB is not enforced on it, and
  // hierarchical_memory_limit (the group's own 1 GiB) says so.
  const std::string group = "/sys/fs/cgroup/memory/old/leaf";
  CgroupMemoryState state =
      Read("4:memory:/old/leaf\n", kV1OnlyMountinfo,
           {{group + "/memory.limit_in_bytes", std::to_string(1024 * kMiB) + "\n"},
            {group + "/memory.usage_in_bytes", std::to_string(10 * kMiB) + "\n"},
            {group + "/memory.stat", V1Stat(1024 * kMiB, 0)},
            {"/sys/fs/cgroup/memory/old/memory.limit_in_bytes", std::to_string(100 * kMiB) + "\n"},
            {"/sys/fs/cgroup/memory/old/memory.usage_in_bytes", std::to_string(90 * kMiB) + "\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, 1024 * kMiB);
  EXPECT_EQ(state.limit_group, "/old/leaf");
}

TEST(CgroupMemory, UnreadableUsageStillGivesTheLimit) {
  CgroupMemoryState state =
      Read("0::/svc\n", kUnifiedMountinfo, {{"/sys/fs/cgroup/svc/memory.max", "1048576\n"}});
  ASSERT_TRUE(state.limited);
  EXPECT_EQ(state.limit_bytes, kMiB);
  EXPECT_FALSE(state.has_in_use);
  EXPECT_EQ(state.processes, 0u);
}

TEST(CgroupMemory, InactiveFileAboveUsageLeavesZeroInUse) {
  CgroupMemoryState state = Read("0::/svc\n", kUnifiedMountinfo,
                                 {{"/sys/fs/cgroup/svc/memory.max", "1048576\n"},
                                  {"/sys/fs/cgroup/svc/memory.current", "4096\n"},
                                  {"/sys/fs/cgroup/svc/memory.stat", Stat(8192)}});
  EXPECT_EQ(state.in_use_bytes, 0u);
}

}  // namespace
}  // namespace clwleak
