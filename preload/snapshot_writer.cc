// The snapshot writer thread; see snapshot_writer.h for the threading and failure contract.
#include "snapshot_writer.h"

#include <cxxabi.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <new>

#include "address_budget.h"
#include "capture.h"
#include "format_limits.h"
#include "output_file.h"
#include "real_functions.h"
#include "snapshot_schedule.h"
#include "stack_cache.h"

#ifndef CLWLEAK_VERSION
#define CLWLEAK_VERSION "unknown"
#endif

namespace clwleak {
namespace {

// A snapshot is a few KiB. Level 3's parameters for a stream of unknown length (a 2 MiB window,
// 768 KiB of match tables) reserve 3.5 MiB and zero the tables at the first write; a 128 KiB
// window still holds many snapshots back, and with 128 KiB tables the files come out the same
// size (measured within 0.5%) for 0.5 MiB less peak RSS and 0.4 ms less once per process.
constexpr format::CompressionSettings kCompression = {/*level=*/3, /*window_log=*/17,
                                                      /*table_log=*/15};
constexpr uint64_t kRequestTimeoutNs = 10ull * 1000 * 1000 * 1000;
constexpr uint64_t kFinishTimeoutNs = 5ull * 1000 * 1000 * 1000;
constexpr int kHighDescriptor = 900;  // below the usual 1024 soft limit
constexpr uint64_t kSymbolizeTimeoutNs = 2ull * 1000 * 1000 * 1000;
constexpr size_t kLimitedWriterStackBytes = 2u << 20;

timespec MonotonicDeadline(uint64_t deadline_ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000ull);
  ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000ull);
  return ts;
}

void InitMonotonicCondition(pthread_cond_t* condition) {
  pthread_condattr_t attributes;
  pthread_condattr_init(&attributes);
  pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
  pthread_cond_init(condition, &attributes);
  pthread_condattr_destroy(&attributes);
}

uint64_t FixedPointToCount(uint64_t count_fp) { return (count_fp + kCountScale / 2) / kCountScale; }

}  // namespace

bool SnapshotWriter::Start() {
  try {
    return StartOrThrow();
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (...) {
    StopAfterAllocationFailure();
    return false;
  }
}

bool SnapshotWriter::StartOrThrow() {
  owner_pid_ = getpid();
  InitMonotonicCondition(&wake_);
  InitMonotonicCondition(&done_);
  start_wall_ns_ = WallNanos();
  start_monotonic_ns_ = MonotonicNanos();
  cgroup_mounts_ = ReadCgroupMounts();
  memory_limit_ = DetectMemoryLimit(g_config.memory_limit, ReadCgroupMemory(cgroup_mounts_));
  // The original process creates its file at once, so a bad path is reported at start-up.
  if (!forked_child_ && !EnsureFileOpen()) return false;
  ScheduleFirstSnapshot();
  if (__libc_single_threaded) {
    inline_.store(true, std::memory_order_relaxed);
    return true;
  }
  return StartThread();
}

bool SnapshotWriter::StartThread() {
  // The writer thread must never run the host's signal handlers: block everything while creating
  // it (a new thread inherits the mask), then restore this thread's mask.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  // Under an address-space limit the default stack (8 MiB, RLIMIT_STACK) would be taken from the
  // host's share (address_budget.h); the writer's deepest work (libdw) needs far less.
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  if (AddressSpaceLimited()) pthread_attr_setstacksize(&attributes, kLimitedWriterStackBytes);
  int error = pthread_create(&thread_, &attributes, &SnapshotWriter::ThreadMain, this);
  pthread_attr_destroy(&attributes);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (error != 0) {
    // One warning in all: when the file already stopped for want of memory, that one said it.
    if (!output_failed_) Warn("cannot start the snapshot writer thread; profiling is off");
    return false;
  }
  pthread_detach(thread_);
  thread_running_ = true;
  return true;
}

void* SnapshotWriter::ThreadMain(void* self) {
  // Never sampled: everything this thread allocates is the profiler's own.
  t_thread.busy = 1;
  t_thread.bytes_until_sample = kNeverSample;
  static_cast<SnapshotWriter*>(self)->Run();
  return nullptr;
}

void SnapshotWriter::Run() {
  pthread_mutex_lock(&mutex_);
  while (!finished_) {
    while (requested_ == served_ && symbolize_requested_ == symbolize_served_ &&
           exec_requested_ == exec_served_ && !finish_requested_ &&
           MonotonicNanos() < next_deadline_ns_) {
      timespec deadline = MonotonicDeadline(next_deadline_ns_);
      pthread_cond_timedwait(&wake_, &mutex_, &deadline);
    }
    if (finish_requested_) {
      WriteSnapshot("exit", /*final=*/true);
      finished_ = true;
      served_ = requested_;
      pthread_cond_broadcast(&done_);
      break;
    }
    if (exec_requested_ != exec_served_) {
      uint64_t serving = exec_requested_;
      last_exec_ok_ = WriteSnapshot("exec", /*final=*/true);
      exec_served_ = serving;
      pthread_cond_broadcast(&done_);
      continue;  // the process is about to be replaced; if not, the schedule goes on
    }
    if (symbolize_requested_ != symbolize_served_) {
      uint64_t serving = symbolize_requested_;
      DefinePendingStacks();
      symbolize_served_ = serving;
      pthread_cond_broadcast(&done_);
      continue;  // a symbolization is not a snapshot: the interval schedule is unchanged
    }
    if (requested_ != served_) {
      uint64_t serving = requested_;
      last_request_ok_ = WriteSnapshot("request", false);
      served_ = serving;
      pthread_cond_broadcast(&done_);
    } else {
      WriteSnapshot("interval", false);
    }
    ScheduleNextSnapshot(MonotonicNanos());
  }
  thread_running_ = false;
  pthread_mutex_unlock(&mutex_);
}

void SnapshotWriter::ScheduleFirstSnapshot() {
  period_ns_ = format::FirstSnapshotPeriod(g_config.interval_nanos);
  next_deadline_ns_ = start_monotonic_ns_ + period_ns_;
}

void SnapshotWriter::ScheduleNextSnapshot(uint64_t now) {
  while (next_deadline_ns_ <= now) {
    period_ns_ = format::NextSnapshotPeriod(period_ns_, g_config.interval_nanos);
    next_deadline_ns_ += period_ns_;
  }
}

bool SnapshotWriter::WritesInline() {
  if (!inline_.load(std::memory_order_relaxed)) return false;
  if (__libc_single_threaded) return true;
  // The host has threads now: the first caller to notice starts ours.
  bool expected = true;
  if (inline_.compare_exchange_strong(expected, false, std::memory_order_relaxed)) {
    pthread_mutex_lock(&mutex_);
    if (!finished_) StartThread();
    pthread_mutex_unlock(&mutex_);
  }
  return false;
}

// Runs `work` holding `mutex` on a host's thread, with every signal blocked (no handler may run
// while the thread holds the writer's lock, nor see EINTR from its writes) and the host's errno
// kept.
template <typename Work>
void LockedWithSignalsBlocked(pthread_mutex_t* mutex, Work work) {
  const int saved_errno = errno;
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_mutex_lock(mutex);
  work();
  pthread_mutex_unlock(mutex);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved_errno;
}

void SnapshotWriter::PollInline() {
  // Called on every sample (every allocation in exact mode): the coarse clock keeps it cheap.
  if (!WritesInline() || CoarseMonotonicNanos() < next_deadline_ns_) return;
  WriteDueSnapshotInline();
}

void SnapshotWriter::WriteDueSnapshotInline() {
  LockedWithSignalsBlocked(&mutex_, [this] {
    if (!finished_) WriteSnapshot("interval", false);
    ScheduleNextSnapshot(MonotonicNanos());
  });
}

bool SnapshotWriter::PostAndWait(uint64_t* requested, const uint64_t* served, uint64_t timeout_ns) {
  if (!thread_running_ || finished_ || finish_requested_) return false;
  const uint64_t ticket = ++*requested;
  pthread_cond_signal(&wake_);
  timespec deadline = MonotonicDeadline(MonotonicNanos() + timeout_ns);
  while (*served < ticket && !finished_) {
    if (pthread_cond_timedwait(&done_, &mutex_, &deadline) == ETIMEDOUT) break;
  }
  return *served >= ticket;
}

int SnapshotWriter::RequestSnapshot() {
  if (WritesInline()) {
    bool written = false;
    LockedWithSignalsBlocked(&mutex_,
                             [&] { written = !finished_ && WriteSnapshot("request", false); });
    return written ? 0 : -1;
  }
  pthread_mutex_lock(&mutex_);
  const bool served = PostAndWait(&requested_, &served_, kRequestTimeoutNs);
  const int result = served && last_request_ok_ ? 0 : -1;
  pthread_mutex_unlock(&mutex_);
  return result;
}

bool SnapshotWriter::SymbolizeNow() {
  if (WritesInline()) {
    LockedWithSignalsBlocked(&mutex_, [this] {
      if (!finished_) DefinePendingStacks();
    });
    return true;
  }
  pthread_mutex_lock(&mutex_);
  const bool served = PostAndWait(&symbolize_requested_, &symbolize_served_, kSymbolizeTimeoutNs);
  pthread_mutex_unlock(&mutex_);
  return served;
}

void SnapshotWriter::Finish() {
  // The final snapshot may be written on this thread (below).
  LockedWithSignalsBlocked(&mutex_, [this] {
    if (thread_running_ && !finished_) {
      finish_requested_ = true;
      pthread_cond_signal(&wake_);
      timespec deadline = MonotonicDeadline(MonotonicNanos() + kFinishTimeoutNs);
      while (!finished_) {
        if (pthread_cond_timedwait(&done_, &mutex_, &deadline) == ETIMEDOUT) break;
      }
    } else if (!finished_ && !thread_running_ && !output_failed_ &&
               (forked_child_ || inline_.load(std::memory_order_relaxed))) {
      // A single-threaded host (or one whose threads came after the last Poll), or a forked
      // child whose writer thread could not start: the exiting thread writes the final snapshot.
      WriteSnapshot("exit", /*final=*/true);
      finished_ = true;
    }
  });
}

bool SnapshotWriter::SnapshotBeforeExec(const char* program, char* path, size_t capacity) {
  bool written = false;
  LockedWithSignalsBlocked(&mutex_, [&] {
    // A forked child without a file yet leaves none behind; an image that finished writes no more.
    if (finished_ || output_failed_ || (forked_child_ && !file_attempted_)) return;
    exec_program_ = program;
    if (thread_running_) {
      written = PostAndWait(&exec_requested_, &exec_served_, kRequestTimeoutNs) && last_exec_ok_;
    } else {
      written = WriteSnapshot("exec", /*final=*/true);
    }
    exec_program_ = nullptr;
    if (written && capacity > 0) {
      const std::string& name = absolute_path_;
      const size_t length = name.size() < capacity - 1 ? name.size() : capacity - 1;
      memcpy(path, name.data(), length);
      path[length] = '\0';
    }
  });
  return written;
}

void SnapshotWriter::PrepareFork() { pthread_mutex_lock(&mutex_); }

void SnapshotWriter::ParentAfterFork() { pthread_mutex_unlock(&mutex_); }

void SnapshotWriter::ChildAfterFork(bool follow) {
  // The writer thread does not exist in the child; its lock, held by this thread across fork, and
  // its conditions are made anew.
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  mutex_ = fresh;
  thread_running_ = false;
  inline_.store(false, std::memory_order_relaxed);
  requested_ = served_ = 0;
  symbolize_requested_ = symbolize_served_ = 0;
  finish_requested_ = finished_ = false;
  exec_requested_ = exec_served_ = 0;
  ResetFileState();
  previous_file_.clear();  // a forked child was not exec'd from anything
  forked_child_ = true;
  if (follow) {
    Start();
  } else {
    finished_ = true;  // nothing is ever written for this child
  }
}

void SnapshotWriter::ResetFileState() {
  CloseFile();
  file_attempted_ = false;
  output_failed_ = false;
  path_.clear();
  absolute_path_.clear();
  sequence_ = 0;
  // A forked child's file defines every bucket again. Its request count starts at 0 (runtime.cc),
  // so the buckets it inherited opened, for it, before its first request.
  birth_buckets_emitted_ = 0;
  for (uint32_t i = 0; i < birth_bucket_count_; ++i) birth_buckets_[i].requests = 0;
  stacks_emitted_ = 0;
  listed_stacks_.Clear();
  frame_ids_.clear();
  pending_.Clear();
  symbolizer_.ForgetEmitted();
}

bool SnapshotWriter::StillOwnsFile(bool* removed) const {
  // The host may have closed every descriptor (a daemon does) and reused the number for a file or
  // socket of its own: writing there would corrupt the host's data. The descriptor is ours only
  // while it still names the file we created.
  struct stat now;
  const bool owned = fd_ >= 0 && fstat(fd_, &now) == 0 && now.st_dev == file_device_ &&
                     now.st_ino == file_inode_;
  if (removed != nullptr) *removed = owned && now.st_nlink == 0;
  return owned;
}

void SnapshotWriter::CloseFile() {
  if (StillOwnsFile()) close(fd_);
  fd_ = -1;
  encoder_.Stop();
}

void SnapshotWriter::FailOutput(const char* what) {
  // Built without allocating: the failure may be that memory ran out.
  if (!output_failed_) {
    FixedMessage message;
    message.Append(what).Append(" ").Append(path_.c_str()).Append(": ").Append(strerror(errno));
    message.Append("; no more snapshots are written, the program continues");
    Warn(message.c_str());
  }
  output_failed_ = true;
  CloseFile();
}

void SnapshotWriter::StopAfterAllocationFailure() {
  // The snapshot under construction may have assigned ids to frames and stacks whose definitions
  // never reached the file: later snapshots could not be read consistently, so this file ends here
  // (every snapshot completed before stays readable), and its memory goes back to the host.
  if (!output_failed_) {
    FixedMessage message;
    message.Append("out of memory for the profiler's own work; no more snapshots are written");
    if (!path_.empty()) message.Append(" to ").Append(path_.c_str());
    message.Append(", the program continues");
    Warn(message.c_str());
  }
  output_failed_ = true;
  CloseFile();
  pending_.Clear();
}

bool SnapshotWriter::WriteSnapshot(const char* trigger, bool final) {
  try {
    return BuildAndAppendSnapshot(trigger, final);
  } catch (abi::__forced_unwind&) {
    throw;  // a cancelled host thread must still unwind
  } catch (...) {
    StopAfterAllocationFailure();
    return false;
  }
}

void SnapshotWriter::DefinePendingStacks() {
  if (output_failed_) return;
  try {
    DefineNewStacks(&pending_);
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (...) {
    StopAfterAllocationFailure();
  }
}

bool SnapshotWriter::EnsureFileOpen() {
  if (fd_ >= 0) return true;
  if (output_failed_ || file_attempted_) return false;
  file_attempted_ = true;
  path_ = ExpandOutputTemplate(g_config.output_template, getpid(), ExecutableName(), HostName(),
                               start_wall_ns_ / 1000000000ull);
  std::string created;
  fd_ = CreateOutputFile(path_, &created);
  if (fd_ < 0) {
    FailOutput("cannot create snapshot file");
    return false;
  }
  path_ = created;
  // The image an exec starts is told this path (SnapshotBeforeExec); it may run elsewhere.
  absolute_path_ = path_;
  char directory[PATH_MAX];
  if (path_[0] != '/' && getcwd(directory, sizeof(directory)) != nullptr) {
    absolute_path_ = std::string(directory) + "/" + path_;
  }
  // Keep clear of the low descriptor numbers the host uses; fine to stay put if it cannot move.
  int high = fcntl(fd_, F_DUPFD_CLOEXEC, kHighDescriptor);
  if (high >= 0) {
    close(fd_);
    fd_ = high;
  }
  struct stat created_file;
  if (fstat(fd_, &created_file) != 0) {
    FailOutput("cannot inspect snapshot file");
    return false;
  }
  file_device_ = created_file.st_dev;
  file_inode_ = created_file.st_ino;
  if (encoder_.Start(kCompression, &SnapshotWriter::WriteToFile, this) != format::EncodeStatus::kOk) {
    errno = ENOMEM;
    FailOutput("cannot start compression for");
    return false;
  }
  proto::Header header;
  BuildHeader(&header);
  return AppendMessage(header);
}

void SnapshotWriter::BuildHeader(proto::Header* header) const {
  header->set_format_version(format::kFormatVersion);
  header->set_clwleak_version(CLWLEAK_VERSION);
  header->set_pid(static_cast<uint32_t>(getpid()));
  header->set_ppid(static_cast<uint32_t>(getppid()));
  header->set_exe(ExecutablePath());
  for (const std::string& argument : CommandLine()) header->add_cmdline(argument);
  header->set_host(HostName());
  header->set_start_time_unix_ns(start_wall_ns_);
  header->set_start_monotonic_ns(start_monotonic_ns_);
  header->set_sample_rate_bytes(g_config.sample_rate);
  header->set_memory_limit_bytes(memory_limit_.bytes);
  header->set_memory_limit_source(memory_limit_.source);
  header->set_memory_limit_explicit(memory_limit_.explicit_setting);
  header->set_physical_memory_bytes(PhysicalMemoryBytes());
  header->set_page_size(static_cast<uint32_t>(sysconf(_SC_PAGESIZE)));
  header->set_unwinder(g_config.unwinder == Unwinder::kFramePointer ? "fp" : "libunwind");
  header->set_max_depth(g_config.max_depth);
  header->set_track_mmap(g_config.track_mmap);
  // 0: inline mode, where sampled blocks carry their records and no table can fill up.
  header->set_allocation_table_capacity(InlineBookkeeping() ? 0 : g_config.table_capacity);
  header->set_stack_table_capacity(g_stacks.capacity());
  header->set_snapshot_interval_ns(g_config.interval_nanos);
  header->set_forked_child(forked_child_);
  header->set_birth_bucket_capacity(g_stacks.records_ages() ? kBirthBuckets : 0);
  if (!previous_file_.empty()) header->set_previous_file(previous_file_);
  LabelView label;
  for (const char* cursor = g_config.labels; NextLabel(&cursor, &label);) {
    proto::Label* added = header->add_labels();
    added->set_key(label.key, label.key_length);
    added->set_value(label.value, label.value_length);
  }
}

uint64_t SnapshotWriter::CurrentRequests() const {
  uint64_t from_file;
  if (g_config.request_counter_file[0] != '\0' &&
      ReadDecimalFile(g_config.request_counter_file, &from_file)) {
    return from_file;
  }
  return g_requests.load(std::memory_order_relaxed);
}

uint32_t SnapshotWriter::InternFrame(uintptr_t address, proto::Snapshot* snapshot) {
  auto found = frame_ids_.find(address);
  if (found != frame_ids_.end()) return found->second;
  const uint32_t id = static_cast<uint32_t>(frame_ids_.size() + 1);
  frame_ids_.emplace(address, id);

  proto::Frame* frame = snapshot->add_new_frames();
  frame->set_id(id);
  frame->set_address(address);
  if (ModuleInfo* module = symbolizer_.FindModule(address)) {
    if (!module->emitted) {
      proto::Module* record = snapshot->add_new_modules();
      record->set_id(module->id);
      record->set_path(module->path);
      record->set_build_id(module->build_id);
      record->set_load_address(module->load_address);
      record->set_size(module->end - module->begin);
      if (module->text_size > 0) {
        record->set_text_address(module->text_begin);
        record->set_text_size(module->text_size);
        record->set_text_file_offset(module->text_file_offset);
      }
      module->emitted = true;
    }
    frame->set_module_id(module->id);
    frame->set_module_offset(address - module->load_address);
  }
  const SymbolizedFrame& symbol = symbolizer_.Symbolize(address);
  frame->set_function(symbol.function);
  frame->set_file(symbol.file);
  frame->set_line(symbol.line);
  for (const InlinedFrame& inlined : symbol.inlined) {
    frame->add_inlined_function(inlined.function);
    frame->add_inlined_file(inlined.file);
    frame->add_inlined_line(inlined.line);
  }
  return id;
}

void SnapshotWriter::UpdateBirthBuckets(proto::Snapshot* snapshot) {
  if (!g_stacks.records_ages()) return;
  if (birth_bucket_count_ == 0) birth_buckets_[birth_bucket_count_++] = {start_monotonic_ns_, 0};
  const uint64_t now = snapshot->monotonic_ns();
  if (birth_bucket_count_ < kBirthBuckets &&
      format::BirthBucketDue(now, birth_buckets_[birth_bucket_count_ - 1].monotonic_ns,
                     start_monotonic_ns_)) {
    birth_buckets_[birth_bucket_count_++] = {now, snapshot->requests()};
    g_birth_bucket.store(birth_bucket_count_ - 1, std::memory_order_relaxed);
  }
  for (; birth_buckets_emitted_ < birth_bucket_count_; ++birth_buckets_emitted_) {
    proto::BirthBucket* bucket = snapshot->add_new_birth_buckets();
    bucket->set_index(birth_buckets_emitted_);
    bucket->set_start_monotonic_ns(birth_buckets_[birth_buckets_emitted_].monotonic_ns);
    bucket->set_start_requests(birth_buckets_[birth_buckets_emitted_].requests);
  }
}

static_assert(static_cast<int>(AllocationKind::kMmap) == proto::MMAP &&
                  static_cast<int>(AllocationKind::kSharedAnonymous) == proto::SHARED_ANON &&
                  static_cast<int>(AllocationKind::kReserved) == proto::RESERVED,
              "the preload's allocation kinds are the format's");

void SnapshotWriter::DefineNewStacks(proto::Snapshot* snapshot) {
  // Stacks published since the last call, in id order (ids are dense).
  const uint32_t id_count = g_stacks.id_count();
  uint32_t id = stacks_emitted_;
  for (; id < id_count && g_stacks.IsPublished(id); ++id) {
    const StackRecord& record = g_stacks.record(id);
    proto::Stack* stack = snapshot->add_new_stacks();
    stack->set_id(id);
    stack->set_kind(static_cast<proto::AllocationKind>(record.kind));
    const uintptr_t* frames = g_stacks.frames(id);
    for (uint32_t i = 0; i < record.depth; ++i) stack->add_frame_ids(InternFrame(frames[i], snapshot));
  }
  stacks_emitted_ = id;
}

bool SnapshotWriter::BuildAndAppendSnapshot(const char* trigger, bool final) {
  if (!EnsureFileOpen()) return false;
  proto::Snapshot snapshot;
  snapshot.Swap(&pending_);  // definitions made early (before a dlclose) go out now
  snapshot.set_sequence(sequence_);
  snapshot.set_wall_time_unix_ns(WallNanos());
  snapshot.set_monotonic_ns(MonotonicNanos());
  snapshot.set_requests(CurrentRequests());
  snapshot.set_rss_bytes(ReadRssBytes());
  // Limits change while a process runs (systemctl set-property, a pod resized in place): the
  // cgroup's is read again for every snapshot, even when a variable sets the limit, so that the
  // report can say when the two differ.
  const CgroupMemoryState cgroup = ReadCgroupMemory(cgroup_mounts_);
  if (cgroup.limited) {
    snapshot.set_memory_limit_bytes(cgroup.limit_bytes);
    snapshot.set_memory_limit_source(cgroup.limit_source);
    snapshot.set_cgroup_process_count(cgroup.processes);
  }
  if (cgroup.has_in_use) {
    snapshot.set_cgroup_memory_current(cgroup.in_use_bytes);
    snapshot.set_memory_in_use_source(cgroup.in_use_source);
  }
  UpdateBirthBuckets(&snapshot);

  DefineNewStacks(&snapshot);

  // Only what can leak is heap: shared anonymous memory and reserved address space have totals
  // of their own.
  uint64_t live_by_kind[4] = {0, 0, 0, 0};
  for (uint32_t stack_id = 0; stack_id < stacks_emitted_; ++stack_id) {
    // Totals() reads freed before allocated, so live = allocated - freed is never negative.
    const StackTotals totals = g_stacks.Totals(stack_id);
    const uint64_t live_bytes = totals.allocated_bytes - totals.freed_bytes;
    format::StackCounters now;
    now.live_bytes = live_bytes;
    now.live_count = FixedPointToCount(totals.allocated_count_fp - totals.freed_count_fp);
    now.allocated_bytes = totals.allocated_bytes;
    now.allocated_count = FixedPointToCount(totals.allocated_count_fp);
    now.freed_bytes = totals.freed_bytes;
    now.freed_count = FixedPointToCount(totals.freed_count_fp);
    now.live_samples = totals.allocated_samples - totals.freed_samples;
    now.allocated_samples = totals.allocated_samples;
    live_by_kind[static_cast<uint32_t>(g_stacks.record(stack_id).kind) & 3] += live_bytes;
    if (!listed_stacks_.ShouldList(stack_id, now, final)) continue;
    proto::StackStats* stats = snapshot.add_stacks();
    stats->set_stack_id(stack_id);
    now.ToProto(stats);
    // Only a new sample can raise it, and a new sample changes the counters: listed with them.
    stats->set_largest_allocation_bytes(totals.largest_size);
    uint64_t by_birth[kBirthBuckets];
    if (g_stacks.LiveBytesByBirth(stack_id, by_birth)) {
      uint32_t used = birth_bucket_count_;
      while (used > 0 && by_birth[used - 1] == 0) --used;
      for (uint32_t i = 0; i < used; ++i) stats->add_live_bytes_by_birth(by_birth[i]);
    }
  }
  snapshot.set_heap_live_bytes(live_by_kind[static_cast<uint32_t>(AllocationKind::kHeap)] +
                               live_by_kind[static_cast<uint32_t>(AllocationKind::kMmap)]);
  snapshot.set_shared_anonymous_live_bytes(
      live_by_kind[static_cast<uint32_t>(AllocationKind::kSharedAnonymous)]);
  snapshot.set_reserved_live_bytes(live_by_kind[static_cast<uint32_t>(AllocationKind::kReserved)]);

  proto::Drops* drops = snapshot.mutable_drops();
  drops->set_allocation_table_full(g_drops.allocation_table_full.load(std::memory_order_relaxed));
  drops->set_allocation_table_bytes(g_drops.allocation_table_bytes.load(std::memory_order_relaxed));
  drops->set_stack_table_full(g_drops.stack_table_full.load(std::memory_order_relaxed));
  drops->set_stack_table_bytes(g_drops.stack_table_bytes.load(std::memory_order_relaxed));
  drops->set_mmap_table_full(g_drops.mmap_table_full.load(std::memory_order_relaxed));
  drops->set_unwind_failures(g_drops.unwind_failures.load(std::memory_order_relaxed));
  snapshot.set_final(final);
  snapshot.set_cached_stacks(CachedStackCount());
  snapshot.set_trigger(trigger);
  if (exec_program_ != nullptr && strcmp(trigger, "exec") == 0)
    snapshot.set_exec_program(exec_program_);

  if (!AppendMessage(snapshot, final)) return false;
  ++sequence_;
  return true;
}

bool SnapshotWriter::AppendMessage(const google::protobuf::MessageLite& message, bool last) {
  if (fd_ < 0) return false;
  bool removed = false;
  if (!StillOwnsFile(&removed)) {
    fd_ = -1;  // the number is the host's now: never write to it, never close it
    errno = EBADF;
    FailOutput("the host closed or replaced the descriptor of snapshot file");
    return false;
  }
  if (removed) {
    // Someone deleted the file (or its directory): writing on would only fill the disk with data
    // nobody can read, held until the process exits. Stop, and let the space go.
    errno = ENOENT;
    FailOutput("snapshot file removed:");
    return false;
  }
  switch (encoder_.Append(message, /*end_frame=*/last)) {
    case format::EncodeStatus::kOk:
      return true;
    case format::EncodeStatus::kNoMemory:
      errno = ENOMEM;
      FailOutput("cannot start compression for");
      return false;
    case format::EncodeStatus::kEncodeFailed:
      errno = EINVAL;
      FailOutput("cannot encode a snapshot for");
      return false;
    case format::EncodeStatus::kCompressFailed:
      FailOutput("compression failed for");
      return false;
    case format::EncodeStatus::kSinkFailed:
      FailOutput("cannot write snapshot file");
      return false;
  }
  return false;
}

bool SnapshotWriter::WriteToFile(void* self, const char* data, size_t size) {
  const int fd = static_cast<SnapshotWriter*>(self)->fd_;
  while (size > 0) {
    ssize_t written = write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      if (written == 0) errno = ENOSPC;
      return false;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace clwleak
