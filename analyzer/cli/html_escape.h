// Escaping for the HTML report: text and attribute values from the snapshot (function names such
// as `operator<<`, paths with quotes), and JSON placed inside a <script> element, where a name
// holding `</script>` or `<!--` must not end or change the element. Called by html_report.cc.
#pragma once

#include <string>
#include <string_view>

namespace clwleak::cli {

// Escapes host bytes with EscapeBytes (byte_escape.h), then replaces & < > " ' by character
// references: valid UTF-8, safe in element content and quoted attributes.
std::string EscapeHtml(std::string_view text);

// JSON text made safe inside <script type="application/json">: '<', '>' and '&' (which can only
// appear inside JSON strings) become \u003c, \u003e, \u0026, and U+2028/U+2029 become \u2028 and
// \u2029. JSON.parse gives back the same value.
std::string EscapeJsonForScript(std::string_view json);

}  // namespace clwleak::cli
