// SnapshotWriter: the background thread that turns the capture tables into the snapshot file.
//
// Every CLWLEAK_INTERVAL, on clwleak_snapshot_now() and once at normal exit it reads the StackTable
// counters, symbolizes stacks it has not written yet, and appends one Snapshot (proto/clwleak.proto)
// to the file's zstd stream, flushed so that the file decodes up to this snapshot even if the
// process is SIGKILLed a moment later. Only stacks whose counters changed are listed.
//
// Threads: the writer thread does all the work, holding `mutex_`; other threads only post requests
// (RequestSnapshot, Finish) and wait for them with a timeout, so a stuck writer can never hang the
// host. The writer thread is permanently "busy" (never sampled) and blocks every signal.
// Single-threaded hosts get no writer thread: one thread more would turn on glibc's multi-thread
// malloc paths (arena locks, atomic fastbins) for the whole process, which costs more than all of
// clwleak's own hot path. There the work is done inline, by the host's only thread, when it
// reaches Poll() (a sampled allocation, a request count) after the interval's deadline, with every
// signal blocked and errno kept. The writer thread starts at the first Poll() that finds the host
// has threads of its own (__libc_single_threaded is false): from then on no thread writes inline.
// Fork: PrepareFork() takes `mutex_` so the child inherits a consistent writer; the child restarts
// with a new file (follow) or stays silent (off).
// The descriptor is kept at a high number and checked (fstat: same device and inode) before every
// write, so a host that closes every descriptor and reuses the number never gets our bytes.
// Output errors (unwritable path, full disk, the file or its directory deleted) produce one
// `[clwleak]` warning and writing stops; the file keeps every
// snapshot completed before the error and the host goes on.
// Memory: every allocation of the writer (protobuf messages, the symbolizer's tables, strings) may
// fail. No exception leaves this class: Start, WriteSnapshot and DefinePendingStacks catch it, and
// the file ends with the snapshots completed so far, with one warning (StopAfterAllocationFailure).
#pragma once

#include <pthread.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base.h"
#include "birth_buckets.h"
#include "clwleak.pb.h"
#include "process_info.h"
#include "record_encoder.h"
#include "stack_counters.h"
#include "symbolizer.h"

namespace clwleak {

class SnapshotWriter {
 public:
  // Starts the writer thread. A forked child creates its file lazily at its first snapshot, so that
  // a child that execs or exits at once leaves no empty file behind.
  bool Start();

  // Single-threaded host: writes the interval snapshot if it is due. Host with threads: starts the
  // writer thread if it has not started. One relaxed load once the thread runs. The caller holds a
  // BusyScope.
  void Poll() {
    if (CLWLEAK_UNLIKELY(inline_.load(std::memory_order_relaxed))) PollInline();
  }

  // Asks for a snapshot now and waits until it is written. Returns 0 when written.
  int RequestSnapshot();
  // Symbolizes every stack captured so far, now, while all their modules are loaded (called
  // before dlclose); the definitions go out with the next snapshot. False when the writer did not
  // get to it in time.
  bool SymbolizeNow();
  // Writes the final snapshot (at exit) and stops the thread's periodic work.
  void Finish();
  // Before the process replaces its image with `program` (exec_hooks.cc): writes a final snapshot
  // with trigger "exec", which ends the file's zstd frame, and copies the file's path to `path`
  // (NUL-terminated, truncated to `capacity`). The writer keeps running: if exec fails, later
  // snapshots go on in the same file (a new zstd frame). False when nothing was written, e.g. a
  // forked child that has no file yet (it leaves none behind, as when it exits at once).
  bool SnapshotBeforeExec(const char* program, char* path, size_t capacity);
  // The file of the image this process exec'd from (CLWLEAK_PREVIOUS_FILE at start-up), recorded in
  // the header. Set before Start(); a forked child has none.
  void set_previous_file(const char* path) { previous_file_ = path; }
  // Whether this writer belongs to the calling process: false in a vfork child, which shares the
  // parent's memory (and this object) and must touch nothing of it.
  bool OwnedByThisProcess() const { return owner_pid_ == getpid(); }

  void PrepareFork();
  void ParentAfterFork();
  // In the child: a new file for the child when `follow`, else nothing more is ever written.
  void ChildAfterFork(bool follow);

 private:
  bool StartOrThrow();
  CLWLEAK_NOINLINE bool StartThread();
  void PollInline();
  // Kept out of line: the sampled paths inline everything else they call (see base.h).
  CLWLEAK_NOINLINE void WriteDueSnapshotInline();
  // True while the host is single-threaded and no writer thread runs: the caller may write with
  // mutex_ held. Starts the writer thread when the host has gained threads.
  bool WritesInline();
  static void* ThreadMain(void* self);
  // With mutex_ held: posts a request (++*requested), wakes the writer and waits until *served
  // reaches it or the timeout passes. False when the writer is not running or did not get to it.
  bool PostAndWait(uint64_t* requested, const uint64_t* served, uint64_t timeout_ns);
  void Run();
  // All below run on the writer thread (or the thread that holds mutex_ at exit) with mutex_ held.
  // WriteSnapshot and DefinePendingStacks never throw; the others may (std::bad_alloc).
  bool WriteSnapshot(const char* trigger, bool final);
  bool BuildAndAppendSnapshot(const char* trigger, bool final);
  void DefinePendingStacks();
  void StopAfterAllocationFailure();
  void DefineNewStacks(proto::Snapshot* snapshot);
  bool EnsureFileOpen();
  void BuildHeader(proto::Header* header) const;
  uint32_t InternFrame(uintptr_t address, proto::Snapshot* snapshot);
  // Appends one record to the file (record_encoder.h); `last` ends the zstd frame.
  bool AppendMessage(const google::protobuf::MessageLite& message, bool last = false);
  // The encoder's sink: writes all of `data` to fd_, retrying short writes and EINTR.
  static bool WriteToFile(void* self, const char* data, size_t size);
  void FailOutput(const char* what);
  void CloseFile();
  // Whether fd_ still names the file we created; *removed: that file has no name left.
  bool StillOwnsFile(bool* removed = nullptr) const;
  void ResetFileState();
  uint64_t CurrentRequests() const;
  // Opens the next birth bucket at this snapshot when it is due (birth_buckets.h), and adds the
  // buckets the file has not seen yet to `snapshot`.
  void UpdateBirthBuckets(proto::Snapshot* snapshot);
  // The first snapshot deadline, and the next one after a snapshot at `now`: the period starts at
  // kFirstSnapshotPeriodNs and doubles up to CLWLEAK_INTERVAL, so a short run still has a series.
  void ScheduleFirstSnapshot();
  void ScheduleNextSnapshot(uint64_t now);

  pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake_;       // wakes the writer: a request, or shutdown
  pthread_cond_t done_;       // wakes requesters: a snapshot was written
  pthread_t thread_{};
  bool thread_running_ = false;
  std::atomic<bool> inline_{false};  // single-threaded host, no writer thread (yet)
  uint64_t requested_ = 0;    // snapshot requests posted
  uint64_t served_ = 0;       // snapshot requests served
  uint64_t exec_requested_ = 0;  // exec snapshot requests posted
  uint64_t exec_served_ = 0;
  bool last_exec_ok_ = false;
  const char* exec_program_ = nullptr;  // recorded in the exec snapshot; set with mutex_ held
  uint64_t symbolize_requested_ = 0;
  uint64_t symbolize_served_ = 0;
  bool last_request_ok_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
  uint64_t next_deadline_ns_ = 0;
  uint64_t period_ns_ = 0;    // the period after next_deadline_ns_

  pid_t owner_pid_ = 0;  // the process this writer writes for (set by Start)

  // The current file.
  bool forked_child_ = false;
  bool file_attempted_ = false;
  bool output_failed_ = false;
  int fd_ = -1;
  dev_t file_device_ = 0;     // identity of the file we created, to recognise our descriptor
  ino_t file_inode_ = 0;
  std::string path_;
  std::string absolute_path_;  // path_ from the root, for the next image of an exec
  std::string previous_file_;
  format::RecordEncoder encoder_;
  uint64_t sequence_ = 0;
  uint64_t start_wall_ns_ = 0;
  uint64_t start_monotonic_ns_ = 0;
  MemoryLimit memory_limit_;
  std::vector<CgroupMount> cgroup_mounts_;  // read at Start()
  struct BirthBucketStart {
    uint64_t monotonic_ns;
    uint64_t requests;
  };
  BirthBucketStart birth_buckets_[kBirthBuckets] = {};  // the buckets opened so far
  uint32_t birth_bucket_count_ = 0;
  uint32_t birth_buckets_emitted_ = 0;  // to the current file
  uint32_t stacks_emitted_ = 0;
  format::ListedStacks listed_stacks_;
  std::unordered_map<uintptr_t, uint32_t> frame_ids_;
  proto::Snapshot pending_;   // definitions made since the last snapshot, not yet written
  Symbolizer symbolizer_;
};

}  // namespace clwleak
