// protobuf_host: a host that uses protobuf itself and makes it log. It serializes a pprof Profile
// whose string table (proto3 `string`) holds a byte that is not UTF-8, so protobuf writes an ERROR
// line on stderr from this, the host's, thread. Under the preload that line must still appear,
// unchanged: the preload's protobuf log filter passes the host's messages on.
#include <stdio.h>

#include "profile.pb.h"

int main() {
  perftools::profiles::Profile profile;
  profile.add_string_table("");
  profile.add_string_table("caf\xe9");
  const std::string bytes = profile.SerializeAsString();
  printf("serialized=%zu\n", bytes.size());
  return 0;
}
