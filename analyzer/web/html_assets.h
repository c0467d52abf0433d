// The scripts and styles that `clw-leak-analyze --format html` inlines into its page, carried by
// the binary. The libraries (uPlot, d3-flame-graph and the d3 modules it needs) come from npm at
// build time (analyzer/web/CMakeLists.txt runs `npm ci`, embed_assets.mjs writes them into a
// generated source); report.js and report.css are the page's own code. A build without npm has
// no assets: `available` is false and `why_unavailable` says why. Read-only, thread-safe.
#pragma once

#include <string_view>

namespace clwleak::web {

struct HtmlAssets {
  bool available = false;
  std::string_view why_unavailable;  // set when !available
  std::string_view library_script;   // minified libraries, concatenated in dependency order
  std::string_view library_style;    // uPlot's stylesheet
  std::string_view page_script;      // report.js
  std::string_view page_style;       // report.css
  std::string_view notice;           // one line per library: name, version, licence, copyright
};

const HtmlAssets& EmbeddedHtmlAssets();

}  // namespace clwleak::web
