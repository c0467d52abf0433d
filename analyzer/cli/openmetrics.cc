// OpenMetrics text exposition; see openmetrics.h.
#include "openmetrics.h"

#include <cmath>
#include <cstdio>

#include "byte_escape.h"

namespace clwleak::cli {
namespace {

// Integers as integers (byte counts stay exact up to 2^53), other values with 15 significant
// digits (more would print the binary rounding of a division, 892799999.99999988).
void AppendValue(double value, std::string* out) {
  char text[40];
  if (value == std::floor(value) && std::fabs(value) < 9e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.15g", value);
  }
  *out += text;
}

void AppendLabel(const std::string& name, const std::string& value, std::string* out) {
  if (!out->empty()) *out += ',';
  *out += name;
  *out += "=\"";
  *out += EscapeLabelValue(value);
  *out += '"';
}

}  // namespace

RenderedLabels::RenderedLabels(const Labels& base) {
  for (const auto& [name, value] : base) AppendLabel(name, value, &inner_);
}

std::string RenderedLabels::With(const std::string& name, const std::string& value) const {
  std::string inner = inner_;
  AppendLabel(name, value, &inner);
  return "{" + inner + "}";
}

Family* Exposition::Add(const std::string& name, const std::string& help, MetricType type) {
  families_.push_back(Family{name, help, type, {}});
  return &families_.back();
}

std::string Exposition::Render(bool openmetrics) const {
  std::string out;
  for (const Family& family : families_) {
    if (family.samples.empty()) continue;
    const bool counter = family.type == MetricType::kCounter;
    // HELP text is escaped exactly like a label value (backslash, newline, double quote).
    const std::string described = counter && !openmetrics ? family.name + "_total" : family.name;
    out += "# HELP " + described + " " + EscapeLabelValue(family.help) + "\n";
    out += "# TYPE " + described + (counter ? " counter\n" : " gauge\n");
    for (const Sample& sample : family.samples) {
      out += family.name;
      if (counter) out += "_total";
      out += sample.labels;
      out += ' ';
      AppendValue(sample.value, &out);
      out += '\n';
    }
  }
  return openmetrics ? out + "# EOF\n" : out;
}

void Put(Family* family, const Labels& labels, std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return;
  PutRendered(family, RenderedLabels(labels).With(), value);
}

void PutRendered(Family* family, std::string labels, std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return;
  family->samples.push_back(Sample{std::move(labels), *value});
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : EscapeBytes(value)) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string SanitizeLabelName(const std::string& name) {
  std::string out = name.empty() ? "_" : name;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) out[i] = '_';
  }
  return out;
}

}  // namespace clwleak::cli
