// The HTML report's own script (inlined by clw-leak-analyze --format html after the libraries):
// reads the report's data from the JSON element #clw-report-data and draws,
// with uPlot, each file's memory over time with the leak's growth projected to the memory limit
// and the OOM time marked, and, with d3-flame-graph, the flame graph of leaked bytes (the stacks
// and values of --format folded) beside the flame graph of memory held at the end, with the peak of
// memory in use and the end marked on the chart. Names from the snapshot reach the page only as text (textContent,
// d3's .text()), never as markup. Exposes what it drew as window.clwReport for tests.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("clw-report-data").textContent);
  const drawn = { charts: [], flame: null, heldFlame: null };
  window.clwReport = drawn;

  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  function formatBytes(bytes) {
    if (bytes === null || bytes === undefined || !isFinite(bytes)) return "–";
    let value = Math.abs(bytes);
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
    return (bytes < 0 ? "-" : "") + value.toFixed(digits) + " " + units[unit];
  }

  function formatDuration(seconds) {
    if (!isFinite(seconds)) return "–";
    const s = Math.round(seconds);
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + (s % 60 ? " " + (s % 60) + "s" : "");
    if (s < 86400) {
      const m = Math.round((s % 3600) / 60);
      return Math.floor(s / 3600) + "h" + (m ? " " + m + "m" : "");
    }
    const h = Math.round((s % 86400) / 3600);
    return Math.floor(s / 86400) + "d" + (h ? " " + h + "h" : "");
  }

  // ---- memory over time ------------------------------------------------------------------------

  // Columns for uPlot: x = seconds; the observed series end at the last snapshot; the projection
  // runs from the last memory in use to the limit at the OOM time, where the OOM point sits.
  function chartColumns(chart) {
    const t = chart.timeline;
    const xs = t.map((p) => p.seconds);
    const inUse = t.map((p) => p.in_use_bytes);
    const heap = t.map((p) => p.heap_live_bytes);
    const projection = t.map(() => null);
    const oom = t.map(() => null);
    const projected = chart.oom_s !== null && chart.limit_bytes !== null && t.length > 0;
    if (projected) {
      const last = t[t.length - 1];
      projection[t.length - 1] = last.in_use_bytes;
      xs.push(last.seconds + chart.oom_s);
      inUse.push(null);
      heap.push(null);
      projection.push(chart.limit_bytes);
      oom.push(chart.limit_bytes);
    }
    // The limit as one segment from the first to the last x (a dash pattern over many points
    // would look solid).
    const limit = xs.map((x, i) => (i === 0 || i === xs.length - 1 ? chart.limit_bytes : null));
    return { columns: [xs, inUse, heap, projection, limit, oom], projected };
  }

  function drawChart(element) {
    const chart = data.charts[Number(element.dataset.chart)];
    if (!chart || chart.timeline.length === 0) {
      element.textContent = "No snapshot to draw.";
      return;
    }
    const { columns, projected } = chartColumns(chart);
    const lastSeconds = chart.timeline[chart.timeline.length - 1].seconds;
    const oomSeconds = projected ? lastSeconds + chart.oom_s : null;
    const noLine = () => null;
    const options = {
      width: Math.max(320, element.clientWidth),
      height: 320,
      scales: { x: { time: false } },
      axes: [
        { values: (u, ticks) => ticks.map(formatDuration), label: "time since profiling started" },
        { values: (u, ticks) => ticks.map(formatBytes), size: 80 },
      ],
      series: [
        { label: "time", value: (u, v) => formatDuration(v) },
        {
          label: "memory in use (" + chart.in_use_source + ")",
          stroke: "#1f6feb",
          width: 2,
          value: (u, v) => formatBytes(v),
        },
        { label: "heap live (estimate)", stroke: "#8250df", width: 2, value: (u, v) => formatBytes(v) },
        {
          label: "projected growth",
          stroke: "#d1242f",
          dash: [6, 4],
          width: 2,
          spanGaps: true,
          value: (u, v) => formatBytes(v),
        },
        {
          label: "memory limit",
          stroke: "#57606a",
          dash: [2, 3],
          width: 1,
          spanGaps: true,
          value: (u, v) => formatBytes(v),
          show: chart.limit_bytes !== null,
        },
        {
          label: "OOM",
          stroke: "#d1242f",
          fill: "#d1242f",
          paths: noLine,
          points: { show: true, size: 10, fill: "#d1242f" },
          value: (u, v) => (v === null ? "–" : "at " + formatDuration(oomSeconds)),
        },
      ],
      hooks: {
        draw: [
          (u) => {
            if (oomSeconds === null) return;
            const x = Math.round(u.valToPos(oomSeconds, "x", true));
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = "#d1242f";
            ctx.setLineDash([4, 4]);
            ctx.lineWidth = 1;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
            placeOomLabel(u);
          },
          (u) => markPeakAndEnd(u, chart),
        ],
      },
    };
    const u = new uPlot(options, columns, element);
    const marker = document.createElement("div");
    marker.className = "clw-oom-marker";
    marker.textContent = projected ? "OOM in " + formatDuration(chart.oom_s) : "";
    marker.hidden = !projected;
    u.over.appendChild(marker);
    function placeOomLabel(plot) {
      if (!projected || !plot.over) return;
      const left = plot.valToPos(oomSeconds, "x");
      const label = plot.over.querySelector(".clw-oom-marker");
      if (!label) return;
      label.style.left = left + "px";
      label.hidden = left < 0 || left > plot.over.clientWidth + 1;
    }
    placeOomLabel(u);

    const toggle = element.parentElement.querySelector(".clw-projection-toggle");
    if (toggle) {
      toggle.disabled = !projected;
      toggle.addEventListener("change", () => {
        const max = toggle.checked && projected ? oomSeconds : lastSeconds;
        u.setScale("x", { min: 0, max: max > 0 ? max : 1 });
      });
    }
    window.addEventListener("resize", () => {
      u.setSize({ width: Math.max(320, element.clientWidth), height: 320 });
    });
    drawn.charts.push({ plot: u, oomSeconds, lastSeconds, element });
  }

  // ---- the peak of memory in use and the end, marked on a chart ---------------------------------

  // A dotted vertical line with a label at `seconds`; the peak's is drawn only when it is not the
  // end. The end says "killed" when the process did not exit normally.
  function markPeakAndEnd(u, chart) {
    const marks = [];
    if (chart.peak_s !== null && chart.peak_s !== undefined && chart.peak_s !== chart.end_s) {
      marks.push({ seconds: chart.peak_s, label: "peak", color: "#bf8700" });
    }
    if (chart.end_s !== null && chart.end_s !== undefined) {
      const label = chart.post_mortem ? "killed" : "end";
      marks.push({ seconds: chart.end_s, label, color: "#57606a" });
    }
    const ctx = u.ctx;
    for (const mark of marks) {
      const x = Math.round(u.valToPos(mark.seconds, "x", true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.save();
      ctx.strokeStyle = mark.color;
      ctx.fillStyle = mark.color;
      ctx.setLineDash([2, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.font = 12 * (window.devicePixelRatio || 1) + "px sans-serif";
      ctx.textAlign = "right";
      ctx.fillText(mark.label, x - 3, u.bbox.top + 28 * (window.devicePixelRatio || 1));
      ctx.restore();
    }
  }

  // ---- flame graph of leaked bytes -------------------------------------------------------------

  // The folded stacks as a tree whose every node holds the total of the stacks through it.
  function flameTree(stacks) {
    const root = { name: "all leaks", value: 0, children: [] };
    for (const stack of stacks) {
      root.value += stack.value;
      let node = root;
      for (const frame of stack.frames) {
        let child = node.children.find((c) => c.name === frame);
        if (!child) {
          child = { name: frame, value: 0, children: [] };
          node.children.push(child);
        }
        child.value += stack.value;
        node = child;
      }
    }
    return root;
  }

  function drawFlame() {
    const element = document.getElementById("clw-flame");
    if (!element) return;
    const flame = data.flame;
    if (flame.stacks.length === 0) {
      element.textContent = "Nothing leaks: no stack to draw.";
      return;
    }
    const root = flameTree(flame.stacks);
    const label = (d) =>
      d.data.name + ": " + formatBytes(d.value) + " " + flame.unit + " (" +
      ((100 * d.value) / root.value).toFixed(1) + "% of the leak)";
    drawn.flame = drawFlameGraph(element, root, label, "clw-flame");
  }

  // Draws `root` into `element` with d3-flamegraph (icicle, widest first), its details line in
  // `${id}-details` and its zoom reset on the `${id}-reset` button. Returns { graph, root }.
  function drawFlameGraph(element, root, label, id) {
    const graph = flamegraph
      .default()
      .width(Math.max(320, element.clientWidth))
      .cellHeight(20)
      .inverted(true)
      .minFrameSize(1)
      .transitionDuration(250)
      .sort(true)
      .label(label)
      .setDetailsElement(document.getElementById(id + "-details"));
    d3.select(element).datum(root).call(graph);
    const reset = document.getElementById(id + "-reset");
    if (reset) reset.addEventListener("click", () => graph.resetZoom());
    return { graph, root };
  }

  // ---- flame graph of memory held at the end ----------------------------------------------------

  function drawHeldFlame() {
    const element = document.getElementById("clw-held-flame");
    if (!element || !data.held_flame) return;
    const stacks = data.held_flame.stacks;
    if (stacks.length === 0) {
      element.textContent = "Nothing held: no stack to draw.";
      return;
    }
    const root = flameTree(stacks);
    root.name = "all memory held";
    const label = (d) =>
      d.data.name + ": " + formatBytes(d.value) + " (" + ((100 * d.value) / root.value).toFixed(1) +
      "% of the memory held)";
    drawn.heldFlame = drawFlameGraph(element, root, label, "clw-held-flame");
  }

  for (const element of document.querySelectorAll(".clw-chart")) drawChart(element);
  drawFlame();
  drawHeldFlame();
})();
