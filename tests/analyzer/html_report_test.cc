// Tests of `clw-leak-analyze --format html` without a browser (tests/html drives Chromium): the
// escaping functions, and the page the binary writes from the synthetic worker (6,200 bytes per
// request leaked in client_send): self-contained (no external URL, no src/href out of the page,
// exactly the data, library and page scripts), the answers and the sites table in the markup,
// the flame graph's data equal to --format folded, names from the snapshot escaped. A build
// without npm has no HTML report: then --format html must exit 2 saying so.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "cli_runner.h"
#include "html_escape.h"
#include "synthetic_worker.h"
#include "test_paths.h"

namespace clwleak {
namespace {

using testing::CommandRun;
using testing::RunAnalyzer;
using testing::Slurp;
using testing::TempPath;
using testing::WorkerFile;
using testing::WorkerScenario;
using testing::WriteSyntheticWorker;

TEST(HtmlEscape, TextAndAttributes) {
  EXPECT_EQ(cli::EscapeHtml("operator<<(std::ostream&, T const&) \"q\" 's'"),
            "operator&lt;&lt;(std::ostream&amp;, T const&amp;) &quot;q&quot; &#39;s&#39;");
  EXPECT_EQ(cli::EscapeHtml("plain"), "plain");
}

TEST(HtmlEscape, JsonInsideAScriptElementCannotEndIt) {
  const nlohmann::json value = {{"name", "</script><!-- a & b > c \u2028"}};
  const std::string escaped = cli::EscapeJsonForScript(value.dump());
  EXPECT_EQ(escaped,
            "{\"name\":\"\\u003c/script\\u003e\\u003c!-- a \\u0026 b \\u003e c \\u2028\"}");
  EXPECT_EQ(nlohmann::json::parse(escaped), value);  // JSON.parse gives the same value back
}

#ifdef CLWLEAK_HAVE_HTML_REPORT

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The JSON inside <script id="clw-report-data">.
nlohmann::json PageData(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"clw-report-data\">";
  const size_t begin = page.find(open);
  EXPECT_NE(begin, std::string::npos);
  const size_t end = page.find("</script>", begin);
  return nlohmann::json::parse(page.substr(begin + open.size(), end - begin - open.size()));
}

TEST(HtmlReport, OneSelfContainedPageWithTheAnswersAndTheFoldedStacks) {
  const std::string path = TempPath("report.html");
  CommandRun run = RunAnalyzer({"--format", "html", "-o", path, WorkerFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  const std::string page = Slurp(path);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_EQ(Count(page, "<script"), 3u);
  EXPECT_EQ(Count(page, "</script>"), 3u);
  EXPECT_EQ(Count(page, "<style>"), 2u);

  // Nothing outside the page: the only URLs are XML namespace names d3 uses to create SVG
  // elements (identifiers, never fetched); no src= and no href= except in-page anchors.
  std::smatch match;
  std::string rest = page;
  const std::regex url("https?://[^\"'\\s)]*");
  while (std::regex_search(rest, match, url)) {
    EXPECT_EQ(match.str().rfind("http://www.w3.org/", 0), 0u) << match.str();
    rest = match.suffix();
  }
  EXPECT_EQ(Count(page, " src="), 0u);
  EXPECT_EQ(Count(page, " href=\""), Count(page, " href=\"#"));
  EXPECT_EQ(Count(page, "@import"), 0u);

  EXPECT_NE(page.find("<dd data-answer=\"verdict\" class=\"clw-verdict-leak\">Native memory leak "
                      "detected in libclient.so</dd>"),
            std::string::npos);
  EXPECT_NE(page.find("<dd data-answer=\"leaked\">5.91 MiB per 1000 requests (95% CI 5.91–5.91); "
                      "851 MiB per hour</dd>"),
            std::string::npos);
  EXPECT_NE(page.find("<dd data-answer=\"site\">client_send (client.c:42) in libclient.so</dd>"),
            std::string::npos);
  EXPECT_NE(page.find("<td><code>client.c:42</code></td><td>libclient.so</td><td class=\"num\">"
                      "5.91 MiB (95% CI 5.91–5.91)</td><td class=\"num\">851 MiB per hour</td>"),
            std::string::npos);

  // The flame graph draws --format folded's stacks and values.
  const nlohmann::json data = PageData(page);
  CommandRun folded = RunAnalyzer({"--format", "folded", WorkerFile()});
  ASSERT_EQ(folded.exit_code, 0);
  std::string lines;
  for (const auto& stack : data["flame"]["stacks"]) {
    std::string line;
    for (const auto& frame : stack["frames"])
      line += (line.empty() ? "" : ";") + frame.get<std::string>();
    lines += line + " " + std::to_string(stack["value"].get<long long>()) + "\n";
  }
  EXPECT_EQ(lines, folded.out);
  EXPECT_EQ(data["flame"]["unit"], "per 1000 requests");
  ASSERT_EQ(data["charts"].size(), 1u);
  EXPECT_EQ(data["charts"][0]["timeline"].size(), 100u);
  EXPECT_EQ(data["charts"][0]["limit_bytes"].get<double>(), 2.0 * (1 << 30));
  EXPECT_GT(data["charts"][0]["oom_s"].get<double>(), 0);
}

TEST(HtmlReport, NamesFromTheSnapshotAreEscapedInMarkupAndData) {
  WorkerScenario scenario;
  scenario.leak_function = "operator<< </script><script>alert(1)</script>";
  scenario.leak_file = "a&b/\"q\".cc";
  const std::string file = TempPath("hostile.pb");
  WriteSyntheticWorker(file, scenario);
  const std::string path = TempPath("hostile.html");
  CommandRun run = RunAnalyzer({"--format", "html", "-o", path, file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = Slurp(path);
  EXPECT_EQ(Count(page, "<script"), 3u);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("<code>operator&lt;&lt; &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
                      "</code>"),
            std::string::npos);
  EXPECT_NE(page.find("<code>a&amp;b/&quot;q&quot;.cc:42</code>"), std::string::npos);
  const nlohmann::json data = PageData(page);
  EXPECT_EQ(data["flame"]["stacks"][0]["frames"][4], scenario.leak_function);
}

TEST(HtmlReport, SeveralFilesGiveTheFleetThenEachFile) {
  const std::string second = TempPath("html_second.pb");
  WorkerScenario scenario;
  scenario.seed = 2;
  WriteSyntheticWorker(second, scenario);
  const std::string path = TempPath("fleet.html");
  CommandRun run = RunAnalyzer({"--format", "html", "-o", path, WorkerFile(), second});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = Slurp(path);
  EXPECT_NE(page.find("<section id=\"fleet\">\n<h2>Across 2 files</h2>"), std::string::npos);
  EXPECT_EQ(Count(page, "<section class=\"clw-file\""), 2u);
  EXPECT_EQ(Count(page, "<div class=\"clw-chart\""), 2u);
  EXPECT_EQ(Count(page, "<div id=\"clw-flame\">"), 1u);
  EXPECT_NE(page.find("leaking in 2 of 2 files"), std::string::npos);
  const nlohmann::json data = PageData(page);
  EXPECT_EQ(data["charts"].size(), 2u);
  CommandRun folded = RunAnalyzer({"--format", "folded", WorkerFile(), second});
  ASSERT_EQ(data["flame"]["stacks"].size(), 1u);
  EXPECT_EQ(folded.out.substr(folded.out.rfind(' ') + 1),
            std::to_string(data["flame"]["stacks"][0]["value"].get<long long>()) + "\n");
}

#else

TEST(HtmlReport, ThisBuildHasNoHtmlReportAndSaysWhy) {
  CommandRun run = RunAnalyzer({"--format", "html", "-o", TempPath("none.html"), WorkerFile()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("clw-leak-analyze: --format html: this build of clw-leak-analyze has no "
                         "HTML report: "),
            std::string::npos)
      << run.err;
}

#endif

}  // namespace
}  // namespace clwleak
