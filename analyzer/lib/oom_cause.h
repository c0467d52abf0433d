// The cause of a process's memory pressure, in the terms operators use for a worker killed at its
// memory limit (clw-worker-oom): a leak, large payloads loaded whole, memory that follows the load
// (too many tasks at once), or a limit too small for a steady workload. Judged from the finished
// report (sites, verdict, timeline, held memory); pure, thread-safe. Called by analysis.cc.
//
// The rules, in order (the first that fits decides):
//   under pressure: the process was killed (no final snapshot), or its peak memory in use reached
//            kPressureShare of the limit. The causes other than a leak are judged only then.
//   large payloads: at the peak (else at the end) one stack holds at least kPayloadShare of the
//            heap in blocks of kPayloadMinBytes or more on average, at least kPayloadRatio times
//            the average live block of everything else;
//   leak:    the run's verdict is `leak`, and the process was not under pressure or its leaking
//            sites hold at least kLeakHeldShare of the heap at the peak (else the leak is the
//            cause only when none of the rules below fits);
//   load spikes: over the run after its first tenth (at least kMinLoadPoints intervals between
//            the timeline's points: the request rate over each, the heap live bytes at its end),
//            taking the rate's lower quartile as the normal load: the median heap over the
//            intervals at high load (rate at least kHighLoadRatio times normal; at least
//            kMinHighLoadIntervals of them) is at least kHighLoadHeapRatio times the median heap
//            at normal load (rate at most kNormalLoadRatio times normal), and the heap moves by at
//            least kLoadRangeShare of its peak;
//   limit too small: memory in use at the end is at least kNearLimitShare of the limit, and over
//            the second half of the run it stayed within kFlatShareOfLimit of the limit;
//   undetermined: under pressure, no leak, and none of the above.
#pragma once

#include "report.h"

namespace clwleak::analysis {

inline constexpr double kPressureShare = 0.70;   // the operators' "warning" utilization
// Under pressure, a leak whose sites hold less than this share of the heap at the peak did not
// bring the process there.
inline constexpr double kLeakHeldShare = 0.10;
inline constexpr double kNearLimitShare = 0.85;  // their "critical" utilization
inline constexpr double kPayloadShare = 0.40;
inline constexpr double kPayloadMinBytes = 1024.0 * 1024.0;
inline constexpr double kPayloadRatio = 8.0;
inline constexpr double kHighLoadRatio = 1.5;
inline constexpr double kNormalLoadRatio = 1.2;
inline constexpr double kHighLoadHeapRatio = 1.5;
inline constexpr size_t kMinHighLoadIntervals = 2;
inline constexpr double kLoadRangeShare = 0.2;
inline constexpr size_t kMinLoadPoints = 6;
inline constexpr double kFlatShareOfLimit = 0.10;

// How the file ended (Ending in report.h) from what the reader saw.
Ending EndingOf(bool complete, bool cut_mid_record, bool exec);
bool EndedAbnormally(Ending ending);

// Judges file's cause; needs file.sites, verdict, leak, memory, timeline, ending and held.
OomCauseReport JudgeOomCause(const FileReport& file);

}  // namespace clwleak::analysis
