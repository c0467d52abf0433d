// Keeps the protobuf runtime's messages about the preload's own work off the host's stderr.
//
// protobuf reports problems it meets (GOOGLE_LOG: a string field that is not UTF-8, a message
// over 2 GiB) by writing to stderr from inside the call, whichever thread made it. The preload
// writes only `bytes` fields, about which protobuf never complains, and this filter makes sure
// that nothing else it might say about the preload's snapshots reaches the host either.
//
// Called once by start-up, before the first snapshot is built. The process has one protobuf log
// handler, shared with a host that uses protobuf itself, so the filter does not replace it: it
// drops a message raised while the thread runs preload code (ThreadState::busy, which the writer
// thread always holds and every other path into the writer takes) and passes every other message,
// the host's own, to the handler that was installed before, unchanged. A host that installs a
// handler of its own later simply replaces the filter.
#pragma once

namespace clwleak {

// google::protobuf::SetLogHandler is one exchange of a pointer (no lock, no allocation): safe in
// the preload's constructor.
void InstallProtobufLogFilter();

}  // namespace clwleak
