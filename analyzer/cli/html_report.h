// The HTML report of clw-leak-analyze (`--format html -o report.html`): one self-contained page
// that loads nothing from the network. Server-rendered (readable without scripts): the headline
// answers, the leaking sites table, bounded growth and the run's facts. Drawn by the inlined
// libraries (html_assets.h): each file's memory over time with the growth projected to the limit
// and the OOM time marked (uPlot), and the flame graph of leaked bytes with the stacks and values
// of --format folded (d3-flame-graph). Several files: the fleet's answers, a row of answers per
// file, the fleet's sites and flame graph, then one section per file. docs/html-report.md says
// how the page is put together. Called by main.cc.
#pragma once

#include <string>
#include <vector>

#include "html_assets.h"
#include "report.h"

namespace clwleak::cli {

// Returns false with *error set when `assets` are not available (a build without npm).
// `generator` names the program and version for the page's footer.
bool RenderHtml(const std::vector<analysis::FileReport>& files,
                const analysis::AggregateReport* aggregate, const analysis::GateReport& gate,
                const std::string& generator, const web::HtmlAssets& assets, std::string* page,
                std::string* error);

}  // namespace clwleak::cli
