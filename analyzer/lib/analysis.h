// The analysis of snapshot files: streams a file through SnapshotReader and SeriesRecorder, fits
// and classifies every stack after warm-up, attributes stacks to modules, sums leaks per module
// and in total, converts rates to bytes per N requests and per hour, and projects time to OOM.
// Aggregate() pools several files' reports by stack and module. Called by clw-leak-analyze, the
// tests and the benchmark. No output formatting and no flag parsing here. Thread-safe (no shared
// state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "report.h"
#include "snapshot_reader.h"
#include "suppressions.h"

namespace clwleak::analysis {

// The part of the run excluded before fitting. Default: the first 10% of the axis range, i.e. of
// the requests (or of the seconds when the file has no request counts).
struct Warmup {
  enum class Kind { kFraction, kSeconds, kRequests };
  Kind kind = Kind::kFraction;
  double value = 0.10;  // fraction in [0, 1), seconds, or requests
};

struct AnalysisOptions {
  uint64_t per_requests = 1000;             // N of "bytes per N requests"
  std::optional<uint64_t> memory_limit;     // overrides the file's limit
  std::optional<double> request_rate;       // requests per second, for files without counts
  Warmup warmup;
  size_t series_points = 256;               // grid size of SeriesRecorder
  // The smallest leak that matters, besides a week to the memory limit (verdict.h): growth that
  // cannot be judged is `inconclusive` when it could reach this, else `stable`. The CLI passes
  // the gates' limits.
  std::optional<double> material_per_n_requests;
  std::optional<double> material_per_hour;
  // Known leaks to excuse (--suppressions): matching leak/inconclusive sites go to
  // FileReport::suppressed_sites instead of `sites`.
  Suppressions suppressions;
  // Called after every snapshot read with the bytes of the file read so far and its size (0 when
  // unknown), for a progress display; called on the analysing thread. Empty: not called.
  std::function<void(uint64_t bytes_read, uint64_t file_size)> on_progress;
};

// Analyses `path`. Returns false with *error set (naming the file and the problem) when the file
// cannot be opened, its header is bad, a record in it is corrupt, or the options cannot apply to
// it (a warm-up in requests on a file without request counts). A truncated tail is not an error:
// the report says complete = false and analyses every whole snapshot.
bool AnalyzeFile(const std::string& path, const AnalysisOptions& options, FileReport* report,
                 std::string* error);

// The analysis of one file as a stream, for a reader that follows a file still being written (the
// exporter): call Observe() after every reader.Next() that returned kSnapshot, and Report() at any
// time for the answers as of the snapshots observed so far; `status` is how the stream ended (kEnd
// while following: what is read is whole). Memory is bounded by the file's stacks times
// options.series_points, however many snapshots are observed. The reader must outlive this.
// AnalyzeFile() is this over a whole file. Not thread-safe.
class FileAnalysis {
 public:
  FileAnalysis(const SnapshotReader& reader, const AnalysisOptions& options);
  ~FileAnalysis();
  FileAnalysis(const FileAnalysis&) = delete;
  FileAnalysis& operator=(const FileAnalysis&) = delete;

  void Observe();
  bool Report(ReadStatus status, FileReport* report, std::string* error) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Pools several files (a fleet): per stack and per module, bytes per N requests are pooled over
// all files' windows (sum of growth / sum of requests), bytes per hour are summed (the fleet's
// total), intervals combine as independent.
AggregateReport Aggregate(const std::vector<FileReport>& files, uint64_t per_requests);

// "client_send (client.c:42) in libclient.so", or "libclient.so+0x1f20" when unsymbolized.
std::string DescribeSite(const SiteReport& site);

}  // namespace clwleak::analysis
