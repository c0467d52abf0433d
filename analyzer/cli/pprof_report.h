// The pprof report of clw-leak-analyze (`--format pprof -o leaks.pb.gz`): a gzip-compressed
// profile.proto (proto/pprof, Google's public schema) that `go tool pprof`, Grafana Pyroscope,
// Parca and speedscope open. One sample per allocation stack, with the values
//   leaked_space/bytes   the stack's leak per --per requests (per hour when the file has no request
//                        counts and no --request-rate); 0 for stacks that are not `leak`
//   inuse_space/bytes, inuse_objects/count   live at the last snapshot (estimates when sampled)
//   alloc_space/bytes, alloc_objects/count   allocated since the process started
//   peak_inuse_space/bytes   live at the snapshot with the most memory in use (the peak)
// and the labels `classification`, `module` (attribution) and, with several inputs, `file`.
// leaked_space is the default sample type. Mappings are the modules the preload recorded (path,
// build id, load address and size); locations are the frames' return addresses; functions carry
// the names, files and lines symbolized in the worker, so pprof needs no binaries (every mapping
// says has_functions). Several files go into one profile, each with its own mappings; pprof then
// sums the files' stacks, so leaked_space is the sum of the files' rates.
// Called by main.cc.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace clwleak::cli {

// Builds the serialized (uncompressed) profile. The files are read again for what the report model
// does not keep (allocation totals, build ids, frame ids); returns false with *error set when that
// fails.
bool BuildPprofProfile(const std::vector<analysis::FileReport>& files, std::string* serialized,
                       std::string* error);

// gzip (RFC 1952) of `data`, as pprof expects on disk.
std::string Gzip(const std::string& data);

}  // namespace clwleak::cli
