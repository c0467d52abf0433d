// The protobuf log filter; see protobuf_log.h.
#include "protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <string>

#include "thread_state.h"

namespace clwleak {
namespace {

// The handler before ours; nullptr when messages were being discarded (SetLogHandler returns
// nullptr for its null handler). Written once, before ours is installed.
google::protobuf::LogHandler* g_host_handler = nullptr;

void FilterProtobufMessage(google::protobuf::LogLevel level, const char* filename, int line,
                           const std::string& message) {
  if (t_thread.busy != 0) return;  // about the preload's own snapshots: never the host's business
  if (g_host_handler != nullptr) g_host_handler(level, filename, line, message);
}

}  // namespace

void InstallProtobufLogFilter() {
  google::protobuf::LogHandler* current = google::protobuf::SetLogHandler(&FilterProtobufMessage);
  if (current == &FilterProtobufMessage) return;  // installed already (start-up runs once)
  g_host_handler = current;
}

}  // namespace clwleak
