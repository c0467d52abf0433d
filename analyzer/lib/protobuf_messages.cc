// Routing of the protobuf runtime's messages; see protobuf_messages.h.
#include "protobuf_messages.h"

#include <google/protobuf/stubs/logging.h>

namespace clwleak::analysis {
namespace {

ProtobufMessageSink g_sink = nullptr;

void HandProtobufMessageToSink(google::protobuf::LogLevel level, const char* /*filename*/,
                               int /*line*/, const std::string& message) {
  if (g_sink != nullptr) g_sink(message, level == google::protobuf::LOGLEVEL_FATAL);
}

}  // namespace

void RouteProtobufMessages(ProtobufMessageSink sink) {
  g_sink = sink;
  google::protobuf::SetLogHandler(&HandProtobufMessageToSink);
}

}  // namespace clwleak::analysis
