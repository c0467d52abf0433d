// OpenMetrics text exposition: metric families with HELP and TYPE lines, samples with escaped label
// values, `# EOF` at the end. Used by `--format prometheus` (prometheus_report.cc) and by
// clw-leak-exporter; what the families are and how they are named is leak_metrics.h. Not
// thread-safe: one Exposition per rendering.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace clwleak::cli {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kGauge, kCounter };

// A sample's labels are rendered when it is added (`{name="value",...}`, escaped; empty without
// labels): a page of many processes is then one string per sample, not one per label.
struct Sample {
  std::string labels;
  double value = 0;
};

// One metric family: its samples in the order they were added. A counter's samples are written
// with the `_total` suffix that OpenMetrics requires; its family name has none.
struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;
};

class Exposition {
 public:
  // Families are written in the order they were added, each with all its samples together
  // (OpenMetrics forbids interleaving families). The pointer stays valid while *this lives.
  Family* Add(const std::string& name, const std::string& help,
              MetricType type = MetricType::kGauge);
  // Families without samples are left out. `openmetrics` false: Prometheus text format 0.0.4
  // instead (a counter's HELP and TYPE name its samples' `_total` name; no `# EOF`).
  std::string Render(bool openmetrics = true) const;

 private:
  std::deque<Family> families_;  // a deque: Add() never moves the families handed out before
};

// Adds a sample unless the value is missing or not finite (a figure the analysis does not know is
// left out rather than written as NaN).
void Put(Family* family, const Labels& labels, std::optional<double> value);

// Labels rendered once for many samples: `base` (e.g. a process's labels) then `extra`.
class RenderedLabels {
 public:
  explicit RenderedLabels(const Labels& base);
  // `{base...}`, or `{base...,name="value"}`.
  std::string With() const { return inner_.empty() ? std::string() : "{" + inner_ + "}"; }
  std::string With(const std::string& name, const std::string& value) const;

 private:
  std::string inner_;
};
void PutRendered(Family* family, std::string labels, std::optional<double> value);

// Escapes host bytes with EscapeBytes (byte_escape.h), so that the value is valid UTF-8 as
// OpenMetrics requires, then backslash, double quote and newline, per OpenMetrics.
std::string EscapeLabelValue(const std::string& value);

// A label name as OpenMetrics allows it ([a-zA-Z_][a-zA-Z0-9_]*): other bytes become '_'.
std::string SanitizeLabelName(const std::string& name);

}  // namespace clwleak::cli
