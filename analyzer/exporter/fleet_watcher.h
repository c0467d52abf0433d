// FleetWatcher: the set of files clw-leak-exporter follows. Each Poll() lists the watched
// directories, starts following new files, reads what every followed file appended, notices
// files that were truncated, replaced, removed or turned to garbage (counting each in the read
// errors and going on with the others), ages out files without a new snapshot for the retention,
// and publishes what the metrics page shows. Poll() runs on one thread; View() may be called from
// any thread (the HTTP server's).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "exporter_options.h"
#include "file_follower.h"

namespace clwleak::exporter {

// What the metrics page shows of one process (file).
struct PublishedProcess {
  std::string file;                                    // the file's name in its directory
  cli::Labels labels;                                  // file, CLWLEAK_LABELS, pid, exe
  std::shared_ptr<const cli::ProcessFigures> figures;  // null until the first analysis
  bool up = true;                                      // the file reads without error
  double last_snapshot_wall_s = 0;
};

struct FleetView {
  std::vector<PublishedProcess> processes;
  size_t files_followed = 0;
  std::map<std::string, uint64_t> read_errors;  // by ReadProblemName
  uint64_t snapshots_read = 0;
};

class FleetWatcher {
 public:
  explicit FleetWatcher(const ExporterOptions& options);
  ~FleetWatcher();

  // One pass over the directories and files. `now_s`: a steady clock, in seconds.
  void Poll(double now_s);
  FleetView View() const;

 private:
  struct Retired {  // a file aged out: followed again only when it changes
    ino_t inode;
    uint64_t size;
  };
  void Count(ReadProblem problem);
  void Publish();

  ExporterOptions options_;
  FollowerSettings settings_;
  std::map<std::string, std::unique_ptr<FileFollower>> followers_;  // by path
  std::map<std::string, Retired> retired_;
  std::set<std::string> over_limit_;  // paths counted as too_many_files
  std::map<std::string, uint64_t> read_errors_;
  uint64_t snapshots_read_ = 0;
  std::set<std::string> unreadable_directories_;

  mutable std::mutex published_mutex_;
  FleetView published_;
};

}  // namespace clwleak::exporter
