// The preload's protobuf log filter (preload/protobuf_log.h): a message raised while the thread
// runs preload code is dropped, any other goes to the handler installed before; and end to end, a
// host that makes protobuf log (programs/protobuf_host.cc) writes the same bytes on stderr with
// and without the preload.
#include "protobuf_log.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "program_runner.h"
#include "thread_state.h"

namespace clwleak {

// The preload's thread state lives in capture.cc, which this test does not link.
__thread ThreadState t_thread __attribute__((tls_model("initial-exec")));

namespace {

std::vector<std::string> g_host_messages;

void HostHandler(google::protobuf::LogLevel, const char*, int, const std::string& message) {
  g_host_messages.push_back(message);
}

TEST(ProtobufLogFilter, DropsMessagesFromPreloadCodeAndPassesTheHostsOn) {
  google::protobuf::LogHandler* original = google::protobuf::SetLogHandler(&HostHandler);
  InstallProtobufLogFilter();
  GOOGLE_LOG(ERROR) << "from the host";
  {
    BusyScope busy;  // what the writer thread and every path into the writer hold
    GOOGLE_LOG(ERROR) << "about a snapshot";
  }
  GOOGLE_LOG(WARNING) << "from the host again";
  google::protobuf::SetLogHandler(original);
  EXPECT_EQ(g_host_messages, (std::vector<std::string>{"from the host", "from the host again"}));
}

TEST(ProtobufLogFilter, AHostThatMakesProtobufLogWritesTheSameStderrUnderThePreload) {
  testing::ProgramOptions options;
  options.argv = {PROTOBUF_HOST};
  options.preload = false;
  const testing::ProgramResult bare = testing::RunProgram(options);
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  ASSERT_NE(bare.err.find("invalid UTF-8"), std::string::npos) << bare.err;
  options.preload = true;
  options.env = {{"CLWLEAK_OUTPUT", testing::MakeTempDir("protobuf-host") + "/%p.pb"},
                 {"CLWLEAK_SAMPLE_RATE", "1"}};
  const testing::ProgramResult profiled = testing::RunProgram(options);
  EXPECT_EQ(profiled.exit_code, 0);
  EXPECT_EQ(profiled.out, bare.out);
  EXPECT_EQ(profiled.err, bare.err);
}

}  // namespace
}  // namespace clwleak
