// Parsing of the CLWLEAK_* variables; see config.h for the table.
#include "config.h"

#include <string.h>

#include "base.h"
#include "quantity.h"

namespace clwleak {
namespace {

// Parses the leading decimal digits of `text`; returns the rest, or nullptr on overflow/no digits.
const char* ParseDecimal(const char* text, uint64_t* value) {
  uint64_t result = 0;
  const char* p = text;
  while (*p >= '0' && *p <= '9') {
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (result > (UINT64_MAX - digit) / 10) return nullptr;
    result = result * 10 + digit;
    ++p;
  }
  if (p == text) return nullptr;
  *value = result;
  return p;
}

void WarnBadValue(const char* variable, const char* value, const char* default_text,
                  const char* reason = nullptr) {
  FixedMessage message;
  message.Append("ignoring malformed ").Append(variable).Append("='").Append(value).Append("'");
  if (reason != nullptr) message.Append(" (").Append(reason).Append(")");
  message.Append(", using the default ").Append(default_text);
  Warn(message.c_str());
}

// A size variable: true with *bytes set, or one warning naming what is wrong and the default.
bool ReadSizeVariable(const char* variable, const char* value, const char* default_text,
                      uint64_t* bytes) {
  quantity::QuantityError problem;
  if (quantity::ParseSize(value, strlen(value), bytes, &problem)) return true;
  WarnBadValue(variable, value, default_text, quantity::DescribeError(problem, false));
  return false;
}

void CopyString(char* destination, size_t capacity, const char* source) {
  size_t n = strlen(source);
  if (n >= capacity) n = capacity - 1;
  memcpy(destination, source, n);
  destination[n] = '\0';
}

}  // namespace

bool NextLabel(const char** cursor, LabelView* label) {
  const char* p = *cursor;
  if (p == nullptr || *p == '\0') return false;
  const char* equals = strchr(p, '=');
  if (equals == nullptr) return false;
  const char* end = strchr(equals, ',');
  if (end == nullptr) end = equals + strlen(equals);
  label->key = p;
  label->key_length = static_cast<size_t>(equals - p);
  label->value = equals + 1;
  label->value_length = static_cast<size_t>(end - equals - 1);
  *cursor = *end == ',' ? end + 1 : end;
  return true;
}

bool ValidLabels(const char* text) {
  if (*text == '\0') return true;
  const char* cursor = text;
  LabelView labels[kMaxLabels];
  int count = 0;
  for (;;) {
    const char* start = cursor;
    LabelView label;
    if (!NextLabel(&cursor, &label) || count == kMaxLabels) return false;
    if (label.key_length == 0) return false;
    for (size_t i = 0; i < label.key_length; ++i) {
      const char c = label.key[i];
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    for (int i = 0; i < count; ++i) {
      if (labels[i].key_length == label.key_length &&
          memcmp(labels[i].key, label.key, label.key_length) == 0) {
        return false;  // the same key twice: which one the operator meant is unknowable
      }
    }
    labels[count++] = label;
    if (*cursor == '\0') return cursor[-1] != ',';  // a trailing ',' is malformed
    if (cursor == start) return false;
  }
}

bool ParseSize(const char* text, uint64_t* bytes) {
  return text != nullptr && quantity::ParseSize(text, strlen(text), bytes, nullptr);
}

bool ParseDuration(const char* text, uint64_t* nanos) {
  uint64_t result = 0;
  if (text == nullptr || !quantity::ParseDuration(text, strlen(text), &result, nullptr)) {
    return false;
  }
  if (result == 0) return false;
  *nanos = result;
  return true;
}

bool ReadMemoryLimitVariable(const char* variable, const char* value, uint64_t* bytes) {
  if (value == nullptr) return false;
  if (!ReadSizeVariable(variable, value, "(detected limit)", bytes)) return false;
  if (*bytes > 0) return true;
  WarnBadValue(variable, value, "(detected limit)", "must be above zero");
  return false;
}

Config ParseConfig(EnvLookup lookup) {
  Config config;
  const char* value;

  if ((value = lookup("CLWLEAK_DISABLE")) != nullptr && *value != '\0') {
    if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0) {
      config.disabled = true;
    } else if (strcmp(value, "0") != 0 && strcmp(value, "false") != 0 && strcmp(value, "no") != 0) {
      WarnBadValue("CLWLEAK_DISABLE", value, "0");
    }
  }
  if ((value = lookup("CLWLEAK_OUTPUT")) != nullptr) {
    if (*value != '\0' && strlen(value) < sizeof(config.output_template)) {
      CopyString(config.output_template, sizeof(config.output_template), value);
    } else {
      WarnBadValue("CLWLEAK_OUTPUT", value, "clwleak.%e.%p.pb");
    }
  }
  if ((value = lookup("CLWLEAK_SAMPLE_RATE")) != nullptr) {
    uint64_t rate;
    if (ReadSizeVariable("CLWLEAK_SAMPLE_RATE", value, "256Ki", &rate)) {
      if (rate >= 1) config.sample_rate = rate;
      else WarnBadValue("CLWLEAK_SAMPLE_RATE", value, "256Ki", "must be at least 1");
    }
  }
  if ((value = lookup("CLWLEAK_INTERVAL")) != nullptr) {
    uint64_t nanos;
    quantity::QuantityError problem;
    if (!quantity::ParseDuration(value, strlen(value), &nanos, &problem)) {
      WarnBadValue("CLWLEAK_INTERVAL", value, "5s", quantity::DescribeError(problem, true));
    } else if (nanos < 1000000ull) {
      WarnBadValue("CLWLEAK_INTERVAL", value, "5s", "must be at least 1ms");
    } else {
      config.interval_nanos = nanos;
    }
  }
  if ((value = lookup("CLWLEAK_MEMORY_LIMIT")) != nullptr) {
    uint64_t limit;
    if (ReadSizeVariable("CLWLEAK_MEMORY_LIMIT", value, "(detected limit)", &limit)) {
      if (limit > 0) config.memory_limit = limit;
      else WarnBadValue("CLWLEAK_MEMORY_LIMIT", value, "(detected limit)", "must be above zero");
    }
  }
  if ((value = lookup("CLWLEAK_MAX_DEPTH")) != nullptr) {
    uint64_t depth;
    const char* rest = ParseDecimal(value, &depth);
    if (rest != nullptr && *rest == '\0' && depth >= 1 && depth <= kMaxSupportedDepth) {
      config.max_depth = static_cast<uint32_t>(depth);
    } else {
      WarnBadValue("CLWLEAK_MAX_DEPTH", value, "64");
    }
  }
  if ((value = lookup("CLWLEAK_UNWIND")) != nullptr) {
    if (strcmp(value, "libunwind") == 0) config.unwinder = Unwinder::kLibunwind;
    else if (strcmp(value, "fp") == 0) config.unwinder = Unwinder::kFramePointer;
    else WarnBadValue("CLWLEAK_UNWIND", value, "libunwind");
  }
  if ((value = lookup("CLWLEAK_STACK_CACHE")) != nullptr) {
    if (strcmp(value, "1") == 0) config.stack_cache = true;
    else if (strcmp(value, "0") == 0) config.stack_cache = false;
    else if (strcmp(value, "always") == 0) config.stack_cache = config.stack_cache_always = true;
    else WarnBadValue("CLWLEAK_STACK_CACHE", value, "1");
  }
  if ((value = lookup("CLWLEAK_MMAP")) != nullptr) {
    if (strcmp(value, "1") == 0) config.track_mmap = true;
    else if (strcmp(value, "0") == 0) config.track_mmap = false;
    else WarnBadValue("CLWLEAK_MMAP", value, "1");
  }
  if ((value = lookup("CLWLEAK_REQUEST_COUNTER_FILE")) != nullptr && *value != '\0') {
    if (strlen(value) < sizeof(config.request_counter_file)) {
      CopyString(config.request_counter_file, sizeof(config.request_counter_file), value);
    } else {
      WarnBadValue("CLWLEAK_REQUEST_COUNTER_FILE", value, "(unset)");
    }
  }
  if ((value = lookup("CLWLEAK_CHILDREN")) != nullptr) {
    if (strcmp(value, "follow") == 0) config.children = ChildPolicy::kFollow;
    else if (strcmp(value, "off") == 0) config.children = ChildPolicy::kOff;
    else WarnBadValue("CLWLEAK_CHILDREN", value, "follow");
  }
  if ((value = lookup("CLWLEAK_TABLE_CAPACITY")) != nullptr) {
    uint64_t capacity;
    if (ReadSizeVariable("CLWLEAK_TABLE_CAPACITY", value, "(chosen from the sample rate)",
                         &capacity)) {
      if (capacity >= 16 && capacity <= (1ull << 28)) config.table_capacity = capacity;
      else WarnBadValue("CLWLEAK_TABLE_CAPACITY", value, "(chosen from the sample rate)",
                        "must be between 16 and 2^28");
    }
  }
  if ((value = lookup("CLWLEAK_LABELS")) != nullptr && *value != '\0') {
    if (strlen(value) < sizeof(config.labels) && ValidLabels(value)) {
      CopyString(config.labels, sizeof(config.labels), value);
    } else {
      WarnBadValue("CLWLEAK_LABELS", value, "(no labels)");
    }
  }
  if (config.table_capacity == 0) {
    config.table_capacity = config.exact() ? (1ull << 21) : (1ull << 17);
  }
  return config;
}

}  // namespace clwleak
