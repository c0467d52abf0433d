// Config: every CLWLEAK_* environment variable of DESIGN.md, parsed in one place.
//
// Parsed once by the runtime at start-up (and again in a forked child, which inherits it). Parsing
// never allocates: it may run before the host's allocator is usable. A malformed value produces one
// `[clwleak]` warning naming the variable and the default used instead.
//
//   CLWLEAK_OUTPUT                output path template (%p pid, %e exe name, %h host, %t start time)
//   CLWLEAK_SAMPLE_RATE           mean bytes between samples (a size: 256Ki, 1Mi); 1 = exact mode
//   CLWLEAK_INTERVAL              snapshot period: 5s, 500ms, 2m
//   CLWLEAK_MEMORY_LIMIT          memory limit, a size (4Gi, 512Mi, 2G, 4GiB)
//   CLWLEAK_MAX_DEPTH             frames kept per stack (1..256)
//   CLWLEAK_UNWIND                libunwind | fp
//   CLWLEAK_STACK_CACHE           1 | 0 | always: reuse verified stacks instead of unwinding them
//                                 again, while that pays (1), never (0), or on every stack even
//                                 when it does not pay (always: for tests and measurements)
//                                 (libunwind only; an addition to DESIGN.md, see stack_cache.h)
//   CLWLEAK_MMAP                  1 | 0: track anonymous mmap/munmap/mremap
//   CLWLEAK_REQUEST_COUNTER_FILE  file holding a decimal request count, read at each snapshot
//   CLWLEAK_CHILDREN              follow | off
//   CLWLEAK_DISABLE               1: pure pass-through
//   CLWLEAK_LABELS                k=v,...: labels recorded in the header (keys [A-Za-z_][A-Za-z0-9_]*,
//                                 values without ','; at most kMaxLabels pairs)
//   CLWLEAK_TABLE_CAPACITY        live sampled allocations the table holds (an addition to DESIGN.md;
//                                 default 2^17, 2^21 in exact mode)
#pragma once

#include <cstddef>
#include <cstdint>

namespace clwleak {

enum class Unwinder { kLibunwind, kFramePointer };
enum class ChildPolicy { kFollow, kOff };

// The default sampling rate: mean bytes between samples. Chosen from bench/ (see docs/sampling.md).
constexpr uint64_t kDefaultSampleRate = 256 * 1024;
constexpr uint64_t kDefaultIntervalNanos = 5ull * 1000 * 1000 * 1000;
constexpr uint32_t kDefaultMaxDepth = 64;
constexpr uint32_t kMaxSupportedDepth = 256;

struct Config {
  char output_template[1024] = "clwleak.%e.%p.pb";
  uint64_t sample_rate = kDefaultSampleRate;
  uint64_t interval_nanos = kDefaultIntervalNanos;
  uint64_t memory_limit = 0;  // 0: not given by CLWLEAK_MEMORY_LIMIT
  uint32_t max_depth = kDefaultMaxDepth;
  Unwinder unwinder = Unwinder::kLibunwind;
  bool stack_cache = true;
  bool stack_cache_always = false;  // CLWLEAK_STACK_CACHE=always: no budget (stack_cache_budget.h)
  bool track_mmap = true;
  char request_counter_file[1024] = "";
  ChildPolicy children = ChildPolicy::kFollow;
  bool disabled = false;
  uint64_t table_capacity = 0;  // 0: chosen from the sample rate
  char labels[1024] = "";       // CLWLEAK_LABELS, validated; "" when unset or malformed

  bool exact() const { return sample_rate == 1; }
};

// Reads the environment through `lookup` (getenv in production; a table in tests).
using EnvLookup = const char* (*)(const char* name);
Config ParseConfig(EnvLookup lookup);

constexpr int kMaxLabels = 32;

// One `key=value` of CLWLEAK_LABELS, as views into the text (not NUL-terminated).
struct LabelView {
  const char* key = nullptr;
  size_t key_length = 0;
  const char* value = nullptr;
  size_t value_length = 0;
};
// Walks validated labels text: stores the pair at *cursor in *label, advances *cursor past it and
// returns true; false at the end. Never allocates.
bool NextLabel(const char** cursor, LabelView* label);
// True when `text` is `k=v,...` with valid, distinct keys and at most kMaxLabels pairs ("" too).
bool ValidLabels(const char* text);

// Sizes as common/quantity.h reads them: "4096", "64Ki", "512Mi", "1.5Gi", "2G" (decimal),
// "4GiB". False when malformed or ambiguous ("100MB").
bool ParseSize(const char* text, uint64_t* bytes);
// "5s", "500ms", "2m", "250us", "1h", "1d"; a bare number is seconds (common/quantity.h). False
// when malformed or zero.
bool ParseDuration(const char* text, uint64_t* nanos);

// A memory limit read from `variable` (CLW_MEMORY_LIMIT): true with *bytes set; false when unset,
// or after one warning naming the variable, what is wrong and that the detected limit is used.
bool ReadMemoryLimitVariable(const char* variable, const char* value, uint64_t* bytes);

}  // namespace clwleak
