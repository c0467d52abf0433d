// Parsing of every CLWLEAK_* variable (preload/config.h).
#include "config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace clwleak {
namespace {

std::map<std::string, std::string>* g_env;

const char* Lookup(const char* name) {
  auto found = g_env->find(name);
  return found == g_env->end() ? nullptr : found->second.c_str();
}

Config Parse(std::map<std::string, std::string> env) {
  g_env = &env;
  return ParseConfig(&Lookup);
}

TEST(Config, Defaults) {
  Config config = Parse({});
  EXPECT_STREQ(config.output_template, "clwleak.%e.%p.pb");
  EXPECT_EQ(config.sample_rate, kDefaultSampleRate);
  EXPECT_EQ(config.interval_nanos, 5000000000u);
  EXPECT_EQ(config.max_depth, 64u);
  EXPECT_EQ(config.unwinder, Unwinder::kLibunwind);
  EXPECT_TRUE(config.stack_cache);
  EXPECT_TRUE(config.track_mmap);
  EXPECT_EQ(config.children, ChildPolicy::kFollow);
  EXPECT_FALSE(config.disabled);
  EXPECT_EQ(config.memory_limit, 0u);
  EXPECT_EQ(config.table_capacity, 1u << 17);
}

TEST(Config, EveryVariable) {
  Config config = Parse({{"CLWLEAK_OUTPUT", "/tmp/x.%p"},
                         {"CLWLEAK_SAMPLE_RATE", "1"},
                         {"CLWLEAK_INTERVAL", "250ms"},
                         {"CLWLEAK_MEMORY_LIMIT", "4GiB"},
                         {"CLWLEAK_MAX_DEPTH", "16"},
                         {"CLWLEAK_UNWIND", "fp"},
                         {"CLWLEAK_STACK_CACHE", "0"},
                         {"CLWLEAK_MMAP", "0"},
                         {"CLWLEAK_REQUEST_COUNTER_FILE", "/run/requests"},
                         {"CLWLEAK_CHILDREN", "off"},
                         {"CLWLEAK_DISABLE", "1"}});
  EXPECT_STREQ(config.output_template, "/tmp/x.%p");
  EXPECT_TRUE(config.exact());
  EXPECT_EQ(config.table_capacity, 1u << 21);  // exact mode holds every live allocation
  EXPECT_EQ(config.interval_nanos, 250000000u);
  EXPECT_EQ(config.memory_limit, 4ull << 30);
  EXPECT_EQ(config.max_depth, 16u);
  EXPECT_EQ(config.unwinder, Unwinder::kFramePointer);
  EXPECT_FALSE(config.stack_cache);
  EXPECT_FALSE(config.track_mmap);
  EXPECT_STREQ(config.request_counter_file, "/run/requests");
  EXPECT_EQ(config.children, ChildPolicy::kOff);
  EXPECT_TRUE(config.disabled);
}

TEST(Config, MalformedValuesFallBackToDefaults) {
  Config config = Parse({{"CLWLEAK_SAMPLE_RATE", "fast"},
                         {"CLWLEAK_INTERVAL", "0s"},
                         {"CLWLEAK_MAX_DEPTH", "1000"},
                         {"CLWLEAK_UNWIND", "magic"},
                         {"CLWLEAK_STACK_CACHE", "often"},
                         {"CLWLEAK_MMAP", "yes please"},
                         {"CLWLEAK_CHILDREN", "sometimes"},
                         {"CLWLEAK_MEMORY_LIMIT", "-5"}});
  EXPECT_EQ(config.sample_rate, kDefaultSampleRate);
  EXPECT_EQ(config.interval_nanos, kDefaultIntervalNanos);
  EXPECT_EQ(config.max_depth, kDefaultMaxDepth);
  EXPECT_EQ(config.unwinder, Unwinder::kLibunwind);
  EXPECT_TRUE(config.stack_cache);
  EXPECT_TRUE(config.track_mmap);
  EXPECT_EQ(config.children, ChildPolicy::kFollow);
  EXPECT_EQ(config.memory_limit, 0u);
}

std::vector<std::pair<std::string, std::string>> LabelsOf(const Config& config) {
  std::vector<std::pair<std::string, std::string>> labels;
  LabelView label;
  for (const char* cursor = config.labels; NextLabel(&cursor, &label);) {
    labels.emplace_back(std::string(label.key, label.key_length),
                        std::string(label.value, label.value_length));
  }
  return labels;
}

TEST(Config, LabelsAreKeptInOrder) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(LabelsOf(Parse({})), Pairs{});
  EXPECT_EQ(LabelsOf(Parse({{"CLWLEAK_LABELS", ""}})), Pairs{});
  EXPECT_EQ(LabelsOf(Parse({{"CLWLEAK_LABELS", "pod=web-7f9c,namespace=shop,version=1.4.2"}})),
            (Pairs{{"pod", "web-7f9c"}, {"namespace", "shop"}, {"version", "1.4.2"}}));
  // Values may hold '=', be empty, and be any bytes but ','.
  EXPECT_EQ(LabelsOf(Parse({{"CLWLEAK_LABELS", "_a1=x=y,empty=,u=\xc3\xa9 z"}})),
            (Pairs{{"_a1", "x=y"}, {"empty", ""}, {"u", "\xc3\xa9 z"}}));
}

TEST(Config, MalformedLabelsAreIgnoredWhole) {
  for (const char* text : {"pod", "=v", "pod=a,", ",pod=a", "pod=a,,b=c", "1pod=a", "po-d=a",
                           "pod=a,pod=b", "a b=c"}) {
    Config config = Parse({{"CLWLEAK_LABELS", text}});
    EXPECT_STREQ(config.labels, "") << text;
    EXPECT_TRUE(LabelsOf(config).empty()) << text;
  }
  std::string too_many;
  for (int i = 0; i <= kMaxLabels; ++i) too_many += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_STREQ(Parse({{"CLWLEAK_LABELS", too_many}}).labels, "");
  EXPECT_STREQ(Parse({{"CLWLEAK_LABELS", std::string(2000, 'k') + "=v"}}).labels, "");
  // The most that fits is kept.
  std::string most;
  for (int i = 0; i < kMaxLabels; ++i) most += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_EQ(LabelsOf(Parse({{"CLWLEAK_LABELS", most}})).size(), static_cast<size_t>(kMaxLabels));
}

// The preload's wrappers over common/quantity.h (its own tests cover the grammar).
TEST(Config, Sizes) {
  uint64_t bytes = 0;
  EXPECT_TRUE(ParseSize("4096", &bytes));
  EXPECT_EQ(bytes, 4096u);
  EXPECT_TRUE(ParseSize("64Ki", &bytes));
  EXPECT_EQ(bytes, 65536u);
  EXPECT_TRUE(ParseSize("64KiB", &bytes));
  EXPECT_EQ(bytes, 65536u);
  EXPECT_TRUE(ParseSize("64K", &bytes));
  EXPECT_EQ(bytes, 64000u);
  EXPECT_TRUE(ParseSize("1.5Mi", &bytes));
  EXPECT_EQ(bytes, 3u << 19);
  EXPECT_TRUE(ParseSize("2GiB", &bytes));
  EXPECT_EQ(bytes, 2ull << 30);
  EXPECT_FALSE(ParseSize("", &bytes));
  EXPECT_FALSE(ParseSize("K", &bytes));
  EXPECT_FALSE(ParseSize("12Q", &bytes));
  EXPECT_FALSE(ParseSize("15MB", &bytes));  // ambiguous
  EXPECT_FALSE(ParseSize("99999999999999999999", &bytes));
  EXPECT_FALSE(ParseSize("99999999999Ti", &bytes));  // overflows 64 bits
  EXPECT_FALSE(ParseSize(nullptr, &bytes));
}

TEST(Config, Durations) {
  uint64_t nanos = 0;
  EXPECT_TRUE(ParseDuration("5s", &nanos));
  EXPECT_EQ(nanos, 5000000000u);
  EXPECT_TRUE(ParseDuration("500ms", &nanos));
  EXPECT_EQ(nanos, 500000000u);
  EXPECT_TRUE(ParseDuration("2m", &nanos));
  EXPECT_EQ(nanos, 120000000000u);
  EXPECT_TRUE(ParseDuration("7", &nanos));
  EXPECT_EQ(nanos, 7000000000u);
  EXPECT_TRUE(ParseDuration("1d", &nanos));
  EXPECT_EQ(nanos, 86400000000000u);
  EXPECT_FALSE(ParseDuration("0", &nanos));
  EXPECT_FALSE(ParseDuration("5 s x", &nanos));
  EXPECT_FALSE(ParseDuration("fast", &nanos));
}

}  // namespace
}  // namespace clwleak
