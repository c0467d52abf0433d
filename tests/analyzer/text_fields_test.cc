// The snapshot format's text fields carry any bytes: proto/clwleak.proto declares none of them
// `string` (which protobuf requires to be UTF-8), and a file whose every text field holds all 256
// byte values is written and read back unchanged, without protobuf logging anything.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "snapshot_reader.h"
#include "synthetic_writer.h"
#include "test_paths.h"

namespace clwleak::analysis {
namespace {

int g_protobuf_messages = 0;

void CountProtobufMessage(google::protobuf::LogLevel, const char*, int, const std::string&) {
  ++g_protobuf_messages;
}

// Every byte value, in a different order for each field so that no two fields are equal.
std::string AllBytes(int rotation) {
  std::string bytes(256, '\0');
  for (int i = 0; i < 256; ++i) bytes[i] = static_cast<char>((i + rotation) % 256);
  return bytes;
}

TEST(TextFields, TheFormatDeclaresNoStringField) {
  std::ifstream in(CLWLEAK_PROTO);
  ASSERT_TRUE(in) << CLWLEAK_PROTO;
  const std::regex string_field(R"(^\s*(repeated\s+|optional\s+)?string\s+\w+\s*=)");
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    EXPECT_FALSE(std::regex_search(line, string_field))
        << "proto/clwleak.proto:" << line_number << ": text from a host is bytes; declare it "
        << "`bytes`: " << line;
  }
}

TEST(TextFields, EveryTextFieldRoundTripsAnyBytesWithoutAProtobufMessage) {
  google::protobuf::LogHandler* previous = google::protobuf::SetLogHandler(&CountProtobufMessage);
  g_protobuf_messages = 0;

  proto::Header header = testing::MakeHeader(1);
  header.set_clwleak_version(AllBytes(1));
  header.set_exe(AllBytes(2));
  header.clear_cmdline();
  header.add_cmdline(AllBytes(3));
  header.add_cmdline(AllBytes(4));
  header.set_host(AllBytes(5));
  header.set_memory_limit_source(AllBytes(6));
  header.set_unwinder(AllBytes(7));
  proto::Snapshot snapshot;
  snapshot.set_final(true);
  snapshot.set_trigger(AllBytes(8));
  proto::Module* module = snapshot.add_new_modules();
  module->set_id(1);
  module->set_path(AllBytes(9));
  module->set_build_id(AllBytes(10));
  proto::Frame* frame = snapshot.add_new_frames();
  frame->set_id(1);
  frame->set_module_id(1);
  frame->set_function(AllBytes(11));
  frame->set_file(AllBytes(12));
  proto::Stack* stack = snapshot.add_new_stacks();
  stack->set_id(1);
  stack->add_frame_ids(1);
  snapshot.add_stacks()->set_stack_id(1);

  const std::string path = testing::TempPath("all_bytes.pb");
  {
    testing::SyntheticWriter writer(path);
    writer.WriteMessage(header);
    writer.WriteMessage(snapshot);
    writer.Close();
  }
  const WholeFile file = ReadWholeFile(path);
  google::protobuf::SetLogHandler(previous);

  ASSERT_TRUE(file.opened) << file.error;
  EXPECT_TRUE(file.complete) << file.error;
  EXPECT_EQ(file.header.clwleak_version(), AllBytes(1));
  EXPECT_EQ(file.header.exe(), AllBytes(2));
  ASSERT_EQ(file.header.cmdline_size(), 2);
  EXPECT_EQ(file.header.cmdline(0), AllBytes(3));
  EXPECT_EQ(file.header.cmdline(1), AllBytes(4));
  EXPECT_EQ(file.header.host(), AllBytes(5));
  EXPECT_EQ(file.header.memory_limit_source(), AllBytes(6));
  EXPECT_EQ(file.header.unwinder(), AllBytes(7));
  EXPECT_EQ(file.last_snapshot.trigger(), AllBytes(8));
  ASSERT_EQ(file.state.modules.count(1), 1u);
  EXPECT_EQ(file.state.modules.at(1).path(), AllBytes(9));
  EXPECT_EQ(file.state.modules.at(1).build_id(), AllBytes(10));
  ASSERT_EQ(file.state.frames.count(1), 1u);
  EXPECT_EQ(file.state.frames.at(1).function(), AllBytes(11));
  EXPECT_EQ(file.state.frames.at(1).file(), AllBytes(12));
  EXPECT_EQ(g_protobuf_messages, 0);
}

}  // namespace
}  // namespace clwleak::analysis
