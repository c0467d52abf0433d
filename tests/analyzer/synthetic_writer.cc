// Test-only snapshot file writers; see synthetic_writer.h.
#include "synthetic_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <tuple>

namespace clwleak::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "synthetic_writer: " << message << "\n";
  std::abort();
}

bool WriteToFile(void* file, const char* data, size_t size) {
  std::FILE* stream = static_cast<std::FILE*>(file);
  return std::fwrite(data, 1, size, stream) == size && std::fflush(stream) == 0;
}

constexpr uint64_t kStartMonotonicNs = 1'000'000'000'000ull;
constexpr uint64_t kStartUnixNs = 1'700'000'000'000'000'000ull;

}  // namespace

proto::Header MakeHeader(uint64_t sample_rate_bytes, uint64_t memory_limit_bytes,
                         const std::string& limit_source) {
  proto::Header header;
  header.set_format_version(format::kFormatVersion);
  header.set_clwleak_version("test");
  header.set_pid(4242);
  header.set_ppid(1);
  header.set_exe("/usr/bin/clw-worker");
  header.add_cmdline("clw-worker");
  header.add_cmdline("--queue=default");
  header.set_host("testhost");
  header.set_start_time_unix_ns(kStartUnixNs);
  header.set_start_monotonic_ns(kStartMonotonicNs);
  header.set_sample_rate_bytes(sample_rate_bytes);
  header.set_memory_limit_bytes(memory_limit_bytes);
  header.set_memory_limit_source(limit_source);
  header.set_page_size(4096);
  header.set_unwinder("libunwind");
  header.set_max_depth(64);
  header.set_track_mmap(true);
  header.set_snapshot_interval_ns(5'000'000'000ull);
  return header;
}

SyntheticWriter::SyntheticWriter(const std::string& path, int compression_level) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) Die("cannot create " + path);
  format::CompressionSettings settings;
  settings.level = compression_level;
  if (encoder_.Start(settings, &WriteToFile, file_) != format::EncodeStatus::kOk) {
    Die("cannot start zstd");
  }
}

SyntheticWriter::~SyntheticWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

uint64_t SyntheticWriter::Checked(format::EncodeStatus status) {
  if (file_ == nullptr) Die("write after Close");
  if (status != format::EncodeStatus::kOk) Die("cannot write the synthetic file");
  return encoder_.bytes_written();
}

uint64_t SyntheticWriter::WriteRecord(const std::string& bytes) {
  std::string framed;
  format::AppendVarint(bytes.size(), &framed);
  framed += bytes;
  return WriteUnframed(framed);
}

uint64_t SyntheticWriter::WriteMessage(const google::protobuf::MessageLite& message) {
  return Checked(encoder_.Append(message));
}

uint64_t SyntheticWriter::WriteUnframed(const std::string& bytes) {
  return Checked(encoder_.AppendUnframed(bytes));
}

uint64_t SyntheticWriter::Close(bool end_frame) {
  if (file_ == nullptr) return encoder_.bytes_written();
  if (end_frame) Checked(encoder_.AppendUnframed("", /*end_frame=*/true));
  encoder_.Stop();
  std::fclose(file_);
  file_ = nullptr;
  return encoder_.bytes_written();
}

namespace {
uint64_t ModuleLoadAddress(uint32_t module_id) {
  return 0x7f0000000000ull + (uint64_t{module_id} << 24);
}
}  // namespace

SyntheticProfile::SyntheticProfile(const std::string& path, const proto::Header& header,
                                   int compression_level)
    : writer_(path, compression_level), header_(header) {
  writer_.WriteMessage(header_);
}

uint32_t SyntheticProfile::AddStack(const std::vector<FrameSpec>& frames,
                                    proto::AllocationKind kind) {
  proto::Stack stack;
  stack.set_id(next_stack_id_++);
  stack.set_kind(kind);
  kinds_[stack.id()] = kind;
  for (const FrameSpec& spec : frames) {
    uint32_t module_id = 0;
    if (!spec.module_path.empty()) {
      auto [it, inserted] = module_ids_.emplace(spec.module_path, module_ids_.size() + 1);
      module_id = it->second;
      if (inserted) {
        proto::Module module;
        module.set_id(module_id);
        module.set_path(spec.module_path);
        module.set_load_address(ModuleLoadAddress(module_id));
        module.set_size(1 << 24);  // spans every module_offset below (24 bits)
        // A GNU build id as the preload records it (lower-case hex): 20 bytes, from the module id.
        char build_id[41];
        std::snprintf(build_id, sizeof build_id, "%08x%032x", module_id, 0xc1u);
        module.set_build_id(build_id);
        pending_modules_.push_back(module);
      }
    }
    auto key = std::make_tuple(spec.function, spec.file, spec.line, spec.module_path);
    auto [it, inserted] = frame_ids_.emplace(key, frame_ids_.size() + 1);
    if (inserted) {
      proto::Frame frame;
      frame.set_id(it->second);
      // Inside its module as the preload records it: address = load address + module offset.
      const uint64_t offset = next_address_ & 0xffffff;
      frame.set_address(module_id != 0 ? ModuleLoadAddress(module_id) + offset : next_address_);
      frame.set_module_id(module_id);
      frame.set_function(spec.function);
      frame.set_file(spec.file);
      frame.set_line(spec.line);
      frame.set_module_offset(offset);
      next_address_ += 0x40;
      pending_frames_.push_back(frame);
    }
    stack.add_frame_ids(it->second);
  }
  pending_stacks_.push_back(stack);
  proto::StackStats zero;
  zero.set_stack_id(stack.id());
  current_[stack.id()] = zero;
  return stack.id();
}

void SyntheticProfile::SetCounters(uint32_t stack_id, const proto::StackStats& counters) {
  proto::StackStats& current = current_[stack_id];
  current = counters;
  current.set_stack_id(stack_id);
}

void SyntheticProfile::SetLive(uint32_t stack_id, uint64_t live_bytes, uint64_t live_count,
                               uint64_t live_samples) {
  proto::StackStats& current = current_[stack_id];
  current.set_stack_id(stack_id);
  // Keep the cumulative totals consistent with the live values: growth is an allocation, a drop
  // is a free.
  if (live_bytes > current.live_bytes()) {
    current.set_allocated_bytes(current.allocated_bytes() + live_bytes - current.live_bytes());
  } else {
    current.set_freed_bytes(current.freed_bytes() + current.live_bytes() - live_bytes);
  }
  if (live_count > current.live_count()) {
    current.set_allocated_count(current.allocated_count() + live_count - current.live_count());
  } else {
    current.set_freed_count(current.freed_count() + current.live_count() - live_count);
  }
  current.set_live_bytes(live_bytes);
  current.set_live_count(live_count);
  current.set_live_samples(live_samples);
}

void SyntheticProfile::OpenBirthBucket(uint64_t requests, double seconds) {
  proto::BirthBucket bucket;
  bucket.set_index(birth_buckets_++);
  bucket.set_start_monotonic_ns(header_.start_monotonic_ns() + static_cast<uint64_t>(seconds * 1e9));
  bucket.set_start_requests(requests);
  pending_buckets_.push_back(bucket);
}

std::vector<double> EarlySnapshotTimes(double interval, double until) {
  const uint64_t interval_ns = static_cast<uint64_t>(interval * 1e9 + 0.5);
  std::vector<double> times;
  uint64_t period_ns = format::FirstSnapshotPeriod(interval_ns);
  uint64_t t_ns = period_ns;
  while (static_cast<double>(t_ns) * 1e-9 <= until + 1e-9) {
    times.push_back(static_cast<double>(t_ns) * 1e-9);
    period_ns = format::NextSnapshotPeriod(period_ns, interval_ns);
    t_ns += period_ns;
  }
  return times;
}

bool BirthBucketSchedule::OpensAt(double seconds) {
  if (opened_ >= capacity_) return false;
  const uint64_t now_ns = kStartMonotonicNs + static_cast<uint64_t>(seconds * 1e9);
  if (!format::BirthBucketDue(now_ns, open_since_ns_, kStartMonotonicNs)) return false;
  open_since_ns_ = now_ns;
  ++opened_;
  return true;
}

uint64_t SyntheticProfile::WriteSnapshot(const SnapshotFacts& facts, bool final) {
  proto::Snapshot snapshot;
  snapshot.set_sequence(sequence_++);
  const uint64_t elapsed_ns = static_cast<uint64_t>(facts.seconds * 1e9);
  snapshot.set_wall_time_unix_ns(header_.start_time_unix_ns() + elapsed_ns);
  snapshot.set_monotonic_ns(header_.start_monotonic_ns() + elapsed_ns);
  snapshot.set_requests(facts.requests);
  snapshot.set_rss_bytes(facts.rss_bytes);
  if (facts.cgroup_memory_current) snapshot.set_cgroup_memory_current(*facts.cgroup_memory_current);
  snapshot.set_memory_in_use_source(facts.memory_in_use_source);
  snapshot.set_memory_limit_bytes(facts.memory_limit_bytes);
  snapshot.set_memory_limit_source(facts.memory_limit_source);
  snapshot.set_cgroup_process_count(facts.cgroup_process_count);
  for (auto& module : pending_modules_) *snapshot.add_new_modules() = module;
  for (auto& frame : pending_frames_) *snapshot.add_new_frames() = frame;
  for (auto& stack : pending_stacks_) *snapshot.add_new_stacks() = stack;
  pending_modules_.clear();
  pending_frames_.clear();
  pending_stacks_.clear();
  for (auto& bucket : pending_buckets_) *snapshot.add_new_birth_buckets() = bucket;
  pending_buckets_.clear();
  // As the preload: heap live counts the kinds that can leak; shared and reserved have totals.
  uint64_t heap_live = 0, shared_live = 0, reserved_live = 0;
  for (const auto& [id, counters] : current_) {
    const proto::AllocationKind kind = kinds_.count(id) ? kinds_[id] : proto::HEAP;
    (kind == proto::SHARED_ANON ? shared_live
     : kind == proto::RESERVED  ? reserved_live
                                : heap_live) += counters.live_bytes();
    if (listed_.ShouldList(id, format::StackCounters::FromProto(counters), final)) {
      *snapshot.add_stacks() = counters;
    }
  }
  snapshot.set_heap_live_bytes(heap_live);
  snapshot.set_shared_anonymous_live_bytes(shared_live);
  snapshot.set_reserved_live_bytes(reserved_live);
  *snapshot.mutable_drops() = facts.drops;
  snapshot.set_final(final);
  snapshot.set_trigger(final ? "exit" : "interval");
  return writer_.WriteMessage(snapshot);
}

}  // namespace clwleak::testing
