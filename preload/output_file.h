// OutputFile: names and creates the snapshot file.
//
// The path comes from CLWLEAK_OUTPUT's template. The file is created with O_CREAT|O_EXCL|O_NOFOLLOW
// and mode 0600: a symlink or file planted under that name in a shared directory is never followed
// or overwritten. When the name is taken (a re-exec of the same program keeps its pid), ".1", ".2",
// ... are appended.
//
// Called from the writer thread only.
#pragma once

#include <cstdint>
#include <string>

namespace clwleak {

// Expands %p (pid), %e (executable name), %h (host), %t (start time, unix seconds) and %% in
// `path_template`; any other %x is kept as it is.
std::string ExpandOutputTemplate(const std::string& path_template, int pid,
                                 const std::string& executable_name, const std::string& host,
                                 uint64_t start_unix_seconds);

// Creates the file (or the first free "<path>.N"). Returns the descriptor, or -1 with errno set;
// *created_path receives the name actually used.
int CreateOutputFile(const std::string& path, std::string* created_path);

}  // namespace clwleak
