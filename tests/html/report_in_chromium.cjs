// The HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// pages written by clw-leak-analyze --format html from synthetic worker files whose leaks are
// known (client_send leaks 6,200 bytes per request; with --second-leak 1800, Session::Remember
// leaks 1,800 more). Checks, page by page: nothing but the file itself is requested, no console
// error; the headline answers match the text report; the chart is drawn with its series, the
// projection and the OOM marker at the JSON report's figures; the flame graph holds the folded
// report's stacks and values, shows a frame's value on hover and zooms on click; names from the
// snapshot (`operator<<`, `</script>`) stay text. Screenshots go to $HTML_TEST_OUTPUT.
// Run by ctest (tests/html/CMakeLists.txt); exits 77 (skipped) when Chromium or playwright-core
// is missing.
"use strict";

const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { test, before, after } = require("node:test");

const SKIP = 77;
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`report_in_chromium: ${name} is not set (run it through ctest)`);
    process.exit(2);
  }
  return value;
};
const analyzer = env("CLW_LEAK_ANALYZE");
const writer = env("SYNTHETIC_WORKER_FILE");
const output = env("HTML_TEST_OUTPUT");

function findChromium() {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((c) => c && fs.existsSync(c));
}
const chromiumPath = findChromium();
if (!chromiumPath) {
  console.log("skipped: Chromium not found (/usr/bin/chromium; apt-get install chromium, or set CHROMIUM)");
  process.exit(SKIP);
}
let playwright;
try {
  playwright = require(path.join(env("CLWLEAK_WEB_NODE_MODULES"), "playwright-core"));
} catch (error) {
  console.log(`skipped: playwright-core is not installed in the build tree (${error.message})`);
  process.exit(SKIP);
}

fs.rmSync(output, { recursive: true, force: true });
fs.mkdirSync(output, { recursive: true });

const run = (program, args) => execFileSync(program, args, { encoding: "utf8" });
function workerFile(name, args) {
  const file = path.join(output, name);
  run(writer, [file, ...args]);
  return file;
}
function htmlReport(name, files) {
  const page = path.join(output, name);
  run(analyzer, ["--format", "html", "-o", page, ...files]);
  return page;
}

// A page opened in a fresh context, with every request and console error recorded.
async function open(browser, file) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const seen = { requests: [], errors: [] };
  page.on("request", (request) => seen.requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") seen.errors.push(message.text());
  });
  page.on("pageerror", (error) => seen.errors.push(String(error)));
  const url = "file://" + file;
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => window.clwReport !== undefined);
  return { page, context, seen, url };
}

function assertSelfContained(seen, url) {
  assert.deepEqual(seen.errors, [], "console errors");
  assert.deepEqual(seen.requests, [url], "the page requested something besides itself");
}

let browser;
before(async () => {
  browser = await playwright.chromium.launch({ executablePath: chromiumPath, headless: true });
});
after(async () => {
  if (browser) await browser.close();
});

test("one worker: answers, chart with projection and OOM marker, sites, flame graph", async () => {
  const file = workerFile("worker.pb", ["--second-leak", "1800"]);
  const report = htmlReport("report.html", [file]);
  const json = JSON.parse(run(analyzer, ["--format", "json", file]));
  const folded = run(analyzer, ["--format", "folded", file]);
  const text = run(analyzer, [file]);
  const { page, context, seen, url } = await open(browser, report);

  // Headline answers, as the text report says them.
  const answer = (name) => page.locator(`[data-answer="${name}"]`).textContent();
  assert.equal(await answer("verdict"), "Native memory leak detected in libclient.so (and 1 more module)");
  assert.match(await answer("leaked"), /^7\.63 MiB per 1000 requests \(95% CI 7\.63–7\.63\); /);
  assert.equal(await answer("site"), "client_send (client.c:42) in libclient.so");
  const textOom = /Estimated time to OOM: (.+?) \(/.exec(text)[1];
  assert.ok((await answer("oom")).startsWith(textOom + " (95% CI"), await answer("oom"));
  assert.equal(await answer("memory"), /\((limit .+ in use)\)\n/.exec(text)[1]);

  // The leaking sites table: client_send first at 6,200 B per request, then Session::Remember.
  const rows = page.locator("table.clw-sites tbody tr");
  assert.equal(await rows.count(), 2);
  const cells = await rows.nth(0).locator("td").allTextContents();
  assert.ok(cells[1].startsWith("client_send"), cells[1]);
  assert.equal(cells[2], "client.c:42");
  assert.equal(cells[3], "libclient.so");
  assert.equal(cells[4], "5.91 MiB (95% CI 5.91–5.91)");
  assert.equal(cells[5], "851 MiB per hour");
  assert.ok((await rows.nth(1).locator("td").nth(1).textContent()).startsWith("Session::Remember(Token const&)"));

  // The chart: a canvas of non-zero size, the five series, data from the JSON report's timeline,
  // the projection from the last memory in use to the limit at the OOM time.
  const canvas = page.locator(".clw-chart canvas");
  assert.equal(await canvas.count(), 1);
  const box = await canvas.boundingBox();
  assert.ok(box.width > 300 && box.height > 200, JSON.stringify(box));
  const chart = await page.evaluate(() => {
    const { plot, oomSeconds, lastSeconds } = window.clwReport.charts[0];
    const x = Math.round(plot.valToPos(oomSeconds, "x", true));
    const pixels = plot.ctx.getImageData(x - 1, plot.bbox.top, 3, plot.bbox.height).data;
    let red = 0;  // pixels of the OOM line (#d1242f) in the column at the OOM time
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i] > 170 && pixels[i + 1] < 90 && pixels[i + 2] < 90) red += 1;
    }
    const marker = plot.over.querySelector(".clw-oom-marker");
    return {
      labels: plot.series.map((s) => s.label),
      data: plot.data,
      oomSeconds,
      lastSeconds,
      red,
      marker: { text: marker.textContent, hidden: marker.hidden, left: parseFloat(marker.style.left) },
      plotWidth: plot.over.clientWidth,
    };
  });
  assert.deepEqual(chart.labels, [
    "time",
    "memory in use (cgroup memory.current)",
    "heap live (estimate)",
    "projected growth",
    "memory limit",
    "OOM",
  ]);
  const timeline = json.timeline;
  assert.equal(timeline.length, 100);  // 100 snapshots: all kept (grid of 256)
  const [xs, inUse, heap, projection, limit, oom] = chart.data;
  assert.deepEqual(xs.slice(0, -1), timeline.map((p) => p.seconds));
  assert.deepEqual(inUse.slice(0, -1), timeline.map((p) => p.in_use_bytes));
  assert.deepEqual(heap.slice(0, -1), timeline.map((p) => p.heap_live_bytes));
  const near = (a, b) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);
  near(chart.lastSeconds, 500);
  near(chart.oomSeconds, timeline.at(-1).seconds + json.time_to_oom_s);
  assert.equal(xs.at(-1), chart.oomSeconds);
  assert.equal(projection.at(-2), json.memory.in_use_bytes);
  assert.equal(projection.at(-1), 2 * 1024 ** 3);
  assert.equal(oom.at(-1), 2 * 1024 ** 3);
  assert.equal(oom.filter((v) => v !== null).length, 1);
  assert.equal(limit[0], 2 * 1024 ** 3);
  assert.ok(chart.red >= 20, `the OOM line is drawn (${chart.red} red pixels)`);
  assert.equal(chart.marker.text, "OOM in " + textOom);
  assert.equal(chart.marker.hidden, false);
  assert.ok(chart.marker.left > chart.plotWidth * 0.9 && chart.marker.left <= chart.plotWidth + 1);

  // The flame graph: the folded report's stacks and values, root at the top.
  const stacks = folded.trim().split("\n").map((line) => {
    const cut = line.lastIndexOf(" ");
    return { frames: line.slice(0, cut).split(";"), value: Number(line.slice(cut + 1)) };
  });
  assert.equal(stacks.length, 2);
  const flame = await page.evaluate(() => {
    const { root } = window.clwReport.flame;
    const values = {};
    const walk = (node) => {
      values[node.name] = node.value;
      node.children.forEach(walk);
    };
    walk(root);
    return values;
  });
  assert.equal(flame["all leaks"], stacks[0].value + stacks[1].value);
  assert.equal(flame.client_send, 6200000);
  assert.equal(flame["Session::Remember(Token const&)"], 1800000);
  for (const stack of stacks) {
    for (const frame of stack.frames) {
      assert.equal(await page.locator(`#clw-flame g.frame[name="${frame}"]`).count() >= 1, true, frame);
    }
  }
  const frame = page.locator('#clw-flame g.frame[name="client_send"]');
  assert.equal(await frame.count(), 1);
  const svgWidth = Number(await page.locator("#clw-flame svg").getAttribute("width"));
  const widthOf = async () => Number(await frame.locator("rect").getAttribute("width"));
  // The graph animates its first layout (transitionDuration 250 ms): read the width once it has
  // held still for longer than a transition, not while it is still growing.
  let before = -1;
  for (let attempt = 0, settled = false; !settled; attempt++) {
    assert.ok(attempt < 20, "the flame graph's layout never settled");
    const width = await widthOf();
    await page.waitForTimeout(300);
    settled = width > 0 && width === (await widthOf());
    before = width;
  }
  assert.ok(Math.abs(before / svgWidth - 0.775) < 0.01, `client_send is 77.5% wide: ${before}/${svgWidth}`);

  // Hover: the value, in the report's unit.
  await frame.locator("rect").hover();
  assert.equal(await page.locator("#clw-flame-details").textContent(),
               "client_send: 5.91 MiB per 1000 requests (77.5% of the leak)");
  assert.equal(await frame.locator("title").textContent(),
               "client_send: 5.91 MiB per 1000 requests (77.5% of the leak)");

  // Click: zooms to client_send, which then spans the whole graph; its sibling branch is gone.
  await frame.locator("rect").click();
  await page.waitForFunction((full) => {
    const rect = document.querySelector('#clw-flame g.frame[name="client_send"] rect');
    return Math.abs(Number(rect.getAttribute("width")) - full) < 1;
  }, svgWidth, { timeout: 5000 });
  const remember = page.locator('#clw-flame g.frame[name="Session::Remember(Token const&)"] rect');
  assert.ok((await remember.count()) === 0 || Number(await remember.getAttribute("width")) < 1);
  await page.locator("#clw-flame-reset").click();
  await page.waitForFunction((full) => {
    const rect = document.querySelector('#clw-flame g.frame[name="client_send"] rect');
    return Number(rect.getAttribute("width")) < full * 0.8;
  }, svgWidth, { timeout: 5000 });

  // Beside it, the flame graph of memory held at the end: the JSON report's held figures.
  const held = await page.evaluate(() => {
    const { root } = window.clwReport.heldFlame;
    const values = {};
    const walk = (node) => {
      values[node.name] = node.value;
      node.children.forEach(walk);
    };
    walk(root);
    return values;
  });
  const topHeld = json.held.end.sites[0];
  assert.equal(topHeld.function, "client_send");
  assert.equal(held.client_send, Math.round(topHeld.live_bytes));
  assert.ok(Math.abs(held["all memory held"] - json.held.end.heap_live_bytes) <=
            0.01 * json.held.end.heap_live_bytes, JSON.stringify(held));
  assert.ok((await page.locator('#clw-held-flame g.frame[name="client_send"]').count()) >= 1);
  // The held section names the same top holder.
  const heldRow = page.locator("table.clw-held-sites tr").nth(1).locator("td");
  assert.ok((await heldRow.nth(0).textContent()).startsWith("client_send (client.c:42)"));

  await page.screenshot({ path: path.join(output, "html-report.png"), fullPage: true });
  assertSelfContained(seen, url);
  await context.close();
});

test("names from the snapshot stay text: operator<<, </script>, quotes, ampersands", async () => {
  const name = 'operator<< </script><script>window.pwned=1</script> & "q" \'s\'';
  const sourceFile = 'src/<b>x</b>&"q".cc';
  const file = workerFile("hostile.pb", ["--leak-function", name, "--leak-file", sourceFile]);
  const report = htmlReport("hostile.html", [file]);
  const html = fs.readFileSync(report, "utf8");
  assert.equal((html.match(/<script/g) || []).length, 3, "only the data, library and page scripts");
  assert.ok(!html.includes("<script>window.pwned"));
  const { page, context, seen, url } = await open(browser, report);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  const cell = page.locator("table.clw-sites tbody tr").nth(0).locator("td");
  assert.equal(await cell.nth(1).locator("code").first().textContent(), name);
  assert.equal(await cell.nth(2).textContent(), sourceFile + ":42");
  assert.equal(await page.locator('[data-answer="site"]').textContent(),
               `${name} (${path.basename(sourceFile)}:42) in libclient.so`);
  const names = await page.evaluate(() =>
    Array.from(document.querySelectorAll("#clw-flame g.frame"), (g) => g.getAttribute("name")));
  assert.ok(names.includes(name), JSON.stringify(names));
  await page.screenshot({ path: path.join(output, "hostile.png"), fullPage: true });
  assertSelfContained(seen, url);
  await context.close();
});

test("two workers: the fleet's answers, one row and one chart per file, the pooled flame graph", async () => {
  const first = workerFile("fleet-1.pb", ["--seed", "1"]);
  const second = workerFile("fleet-2.pb", ["--seed", "2"]);
  const report = htmlReport("fleet.html", [first, second]);
  const { page, context, seen, url } = await open(browser, report);
  assert.equal(await page.locator("#fleet h2").textContent(), "Across 2 files");
  assert.equal(await page.locator('#fleet [data-answer="verdict"]').textContent(),
               "Native memory leak detected in libclient.so");
  assert.equal(await page.locator("table.clw-files tbody tr").count(), 2);
  assert.equal(await page.locator("section.clw-file").count(), 2);
  assert.equal(await page.locator(".clw-chart canvas").count(), 2);
  const heights = await page.locator(".clw-chart canvas").evaluateAll((all) => all.map((c) => c.height));
  assert.ok(heights.every((h) => h > 0));
  assert.equal(await page.evaluate(() => window.clwReport.flame.root.value), 6200000);
  assert.equal(await page.locator('#clw-flame g.frame[name="client_send"]').count(), 1);
  assertSelfContained(seen, url);
  await context.close();
});
