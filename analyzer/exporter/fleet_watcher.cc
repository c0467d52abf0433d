// The set of followed files; see fleet_watcher.h.
#include "fleet_watcher.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "byte_escape.h"

namespace clwleak::exporter {
namespace {

struct Entry {
  std::string path;
  std::string name;
  struct stat info;
};

// The regular files of `directory` whose names match `pattern`. False when it cannot be listed.
bool ListFiles(const std::string& directory, const std::string& pattern, std::vector<Entry>* out) {
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return false;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    Entry file{directory + "/" + name, name, {}};
    if (stat(file.path.c_str(), &file.info) != 0 || !S_ISREG(file.info.st_mode)) continue;
    out->push_back(std::move(file));
  }
  closedir(dir);
  return true;
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

FleetWatcher::FleetWatcher(const ExporterOptions& options) : options_(options) {
  settings_.analysis.per_requests = options.per_requests;
  settings_.analysis.series_points = options.series_points;
  settings_.analysis_interval_s = options.analysis_interval_s;
  settings_.header_grace_s = options.header_grace_s;
}

FleetWatcher::~FleetWatcher() = default;

void FleetWatcher::Count(ReadProblem problem) {
  if (problem != ReadProblem::kNone) ++read_errors_[ReadProblemName(problem)];
}

void FleetWatcher::Poll(double now_s) {
  std::vector<Entry> entries;
  for (const std::string& directory : options_.watch) {
    if (!ListFiles(directory, options_.pattern, &entries)) {
      // Said once per directory while it stays unreadable; it may appear later (a volume mount).
      if (unreadable_directories_.insert(directory).second) {
        std::cerr << "clw-leak-exporter: cannot list " << cli::EscapeBytes(directory) << ": "
                  << std::strerror(errno) << "\n";
      }
    } else {
      unreadable_directories_.erase(directory);
    }
  }

  std::set<std::string> present;
  for (const Entry& entry : entries) {
    present.insert(entry.path);
    const uint64_t size = static_cast<uint64_t>(entry.info.st_size);
    auto found = followers_.find(entry.path);
    if (found != followers_.end() && found->second->inode() != entry.info.st_ino) {
      // Another file took the name: the old one's series end, the new file is a new process.
      Count(ReadProblem::kReplaced);
      followers_.erase(found);
      found = followers_.end();
    } else if (found != followers_.end() && size < found->second->bytes_read()) {
      // Shorter than what was read: truncated in place (or rewritten). Whatever it holds now is
      // read from its start as a new file.
      Count(ReadProblem::kTruncated);
      followers_.erase(found);
      found = followers_.end();
    }
    if (found == followers_.end()) {
      auto retired = retired_.find(entry.path);
      if (retired != retired_.end()) {
        if (retired->second.inode == entry.info.st_ino && retired->second.size == size) continue;
        retired_.erase(retired);
      }
      if (followers_.size() >= options_.max_files) {
        if (over_limit_.insert(entry.path).second) Count(ReadProblem::kTooManyFiles);
        continue;
      }
      over_limit_.erase(entry.path);
      found =
          followers_
              .emplace(entry.path, std::make_unique<FileFollower>(entry.path, entry.info.st_dev,
                                                                  entry.info.st_ino, &settings_))
              .first;
    }
    FileFollower& follower = *found->second;
    Count(follower.Poll(now_s, size, false));
    snapshots_read_ += follower.new_snapshots();
  }

  for (auto it = followers_.begin(); it != followers_.end();) {
    FileFollower& follower = *it->second;
    if (present.count(it->first) == 0) {
      // Deleted (or renamed away). A file whose process finished it is an ordinary clean-up.
      if (!follower.complete() && follower.has_header() && !follower.failed()) {
        Count(ReadProblem::kRemoved);
      }
      it = followers_.erase(it);
      continue;
    }
    if (now_s - follower.last_activity_s() >= options_.retention_s) {
      struct stat info {};
      const uint64_t size = stat(it->first.c_str(), &info) == 0 ? info.st_size : 0;
      retired_[it->first] = Retired{follower.inode(), size};
      it = followers_.erase(it);
      continue;
    }
    ++it;
  }
  for (auto it = retired_.begin(); it != retired_.end();) {
    it = present.count(it->first) == 0 ? retired_.erase(it) : std::next(it);
  }
  for (auto it = over_limit_.begin(); it != over_limit_.end();) {
    it = present.count(*it) == 0 ? over_limit_.erase(it) : std::next(it);
  }
  Publish();
}

void FleetWatcher::Publish() {
  FleetView view;
  for (const auto& [path, follower] : followers_) {
    if (!follower->has_header()) continue;
    ++view.files_followed;
    PublishedProcess process;
    process.file = Basename(path);
    process.figures = follower->figures();
    process.labels = cli::ProcessLabels(
        process.file, follower->labels(),
        {{"pid", std::to_string(follower->pid())}, {"exe", Basename(follower->exe())}});
    process.up = !follower->failed();
    process.last_snapshot_wall_s = follower->last_snapshot_wall_s();
    view.processes.push_back(std::move(process));
  }
  view.read_errors = read_errors_;
  view.snapshots_read = snapshots_read_;
  std::lock_guard<std::mutex> lock(published_mutex_);
  published_ = std::move(view);
}

FleetView FleetWatcher::View() const {
  std::lock_guard<std::mutex> lock(published_mutex_);
  return published_;
}

}  // namespace clwleak::exporter
