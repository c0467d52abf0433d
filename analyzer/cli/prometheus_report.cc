// The Prometheus (OpenMetrics) report; see prometheus_report.h.
#include "prometheus_report.h"

#include "gate_text.h"
#include "leak_metrics.h"

namespace clwleak::cli {

std::string RenderPrometheus(const std::vector<analysis::FileReport>& files,
                             const analysis::GateReport& gate) {
  Exposition metrics;
  // Families are created first and filled file by file, so each family's samples stay together
  // (OpenMetrics forbids interleaving families).
  LeakMetrics leak_metrics(&metrics);
  Family* gate_passed =
      metrics.Add("clwleak_gate_passed",
                  "1 when every requested gate passed, 0 when one failed or was "
                  "inconclusive (unless --inconclusive=pass); absent when no gate "
                  "was requested.");
  Family* gate_outcome = metrics.Add(
      "clwleak_gate_outcome",
      "The gates' outcome as a state set (passed, failed, inconclusive); absent when no gate was "
      "requested.");

  for (const analysis::FileReport& file : files) {
    leak_metrics.Add(FiguresOf(file), ProcessLabels(file.path, file.labels));
  }
  if (gate.evaluated) {
    Put(gate_passed, {}, gate.passed ? 1.0 : 0.0);
    for (analysis::GateOutcome state :
         {analysis::GateOutcome::kPassed, analysis::GateOutcome::kFailed,
          analysis::GateOutcome::kInconclusive}) {
      Put(gate_outcome, {{"outcome", GateOutcomeName(state)}}, gate.outcome == state ? 1.0 : 0.0);
    }
  }
  return metrics.Render();
}

}  // namespace clwleak::cli
