// Where the protobuf runtime's own messages go. protobuf reports a problem it meets (GOOGLE_LOG:
// a `string` field that is not UTF-8, a message over 2 GiB) by writing to stderr from inside the
// call that met it. clw-leak-analyze and the analyzer's fuzz target hand such messages to a
// function of theirs instead, which words them as the program's own or treats them as a fault:
// no library writes to the user's terminal by itself.
#pragma once

#include <string>

namespace clwleak::analysis {

// `text` is protobuf's message; `fatal` when protobuf aborts the process after the call.
using ProtobufMessageSink = void (*)(const std::string& text, bool fatal);

// Sends every later protobuf message to `sink`. Not thread-safe: call once, at start-up.
void RouteProtobufMessages(ProtobufMessageSink sink);

}  // namespace clwleak::analysis
