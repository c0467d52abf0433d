// The words of gate results: one line per check that did not pass, as printed on stderr, in the
// text and HTML reports, in the JSON report's gate.failures and in JUnit failure messages. Pure
// functions over GateReport; called by main.cc and the report formatters.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace clwleak::cli {

// "--fail-on-leak 1.0 MiB per 1,000 requests" (the gate and its limit).
std::string GateName(const analysis::GateCheck& check);
// The gate, the measured value with its interval and file, and the top site, e.g.
// "--fail-on-leak 1.0 MiB per 1,000 requests: measured 5.91 MiB per 1,000 requests (95% CI
// 5.91 MiB–5.91 MiB) in w.pb; top site: client_send (client.c:42) in libclient.so, 5.91 MiB per
// 1,000 requests". Inconclusive checks say so after the gate.
std::string GateLine(const analysis::GateCheck& check);
// "grew: client_send (client.c:42) in libclient.so, 2.0 MiB → 5.91 MiB per 1,000 requests"; also
// "appeared: ..." and "disappeared: ...". The baseline gate's line lists the worst five.
std::string SiteChangeText(const analysis::GateCheck& check, const analysis::SiteChange& change);
// Lines of the checks with this outcome.
std::vector<std::string> GateLines(const analysis::GateReport& gate, analysis::GateOutcome outcome);
// "passed", "failed", "inconclusive".
std::string GateOutcomeName(analysis::GateOutcome outcome);

}  // namespace clwleak::cli
