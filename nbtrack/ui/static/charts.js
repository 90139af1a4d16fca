// nbtrack ui: interactive metric charts over the vendored uPlot (window.uPlot).
//
// A page emits <div class="nbtrack-chart" data-metric="KEY" data-runs="ID ID"> elements and
// one <div class="chart-controls">. This script mounts one chart per element (the runs
// overlaid, a legend with each run's value at the cursor, drag to zoom x, double-click to
// reset), fetches /api/series (downsampled on the server), and owns the controls: x axis
// (?x=step|time|relative), smoothing (?smooth=0..0.99) and a log y axis (?logy=1), read
// from the URL on load and written back with nbtrack.setQuery. While a charted run is RUNNING it polls /api/status
// every 2 s and redraws what grew, without a reload; it stops when every run has ended.
// User text (labels, metric names, messages) only ever goes in through textContent.
"use strict";
window.nbtrackCharts = (function () {
  const X_AXES = ["step", "time", "relative"];
  const POLL_MS = 2000;
  const HEIGHT = 300;
  const UNITS = { 1: "s", 60: "min", 3600: "h" };
  // Tableau 10: distinct on white, in order
  const COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

  const state = { x: "step", smooth: 0, logy: false, charts: [], timer: null, seen: "" };

  // the controls' state from the URL (anything else reads as the default)
  function readQuery() {
    const query = new URLSearchParams(window.location.search);
    const x = query.get("x");
    state.x = X_AXES.includes(x) ? x : "step";
    const smooth = Number.parseFloat(query.get("smooth"));
    state.smooth = Number.isFinite(smooth) ? Math.min(0.99, Math.max(0, smooth)) : 0;
    state.logy = query.get("logy") === "1";
  }

  // compare.curves.ema's rule: TensorBoard's debiased EMA over the finite values;
  // null (NaN/inf on the server) stays null; a constant series is left alone
  function ema(values, weight) {
    const out = values.slice();
    const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
    if (weight < 1e-9 || finite.length === 0 || finite.every((v) => v === finite[0])) return out;
    let acc = 0;
    let k = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      acc = weight * acc + (1 - weight) * v;
      k += 1;
      out[i] = acc / (1 - Math.pow(weight, k));
    }
    return out;
  }

  function number(v) {
    if (v === null || v === undefined) return "—";
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(4);
    return String(Number(v.toPrecision(6)));
  }

  function shortened(text, most) {
    return text.length <= most ? text : text.slice(0, most - 1) + "…";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // -- controls -----------------------------------------------------------------------
  function buildControls(holder) {
    const xs = element("span", "chart-x");
    xs.setAttribute("role", "radiogroup");
    xs.setAttribute("aria-label", "x axis");
    xs.appendChild(element("span", "chart-control-name", "x axis"));
    for (const axis of X_AXES) {
      const label = element("label");
      const input = element("input");
      input.type = "radio";
      input.name = "chart-x";
      input.value = axis;
      input.checked = axis === state.x;
      input.addEventListener("change", () => {
        if (!input.checked) return;
        state.x = axis;
        window.nbtrack.setQuery({ x: axis === "step" ? null : axis });
        refreshAll();
      });
      label.append(input, document.createTextNode(" " + axis));
      xs.appendChild(label);
    }
    const smoothing = element("label", "chart-smooth");
    smoothing.appendChild(element("span", "chart-control-name", "smoothing"));
    const slider = element("input");
    slider.type = "range";
    slider.min = "0";
    slider.max = "0.99";
    slider.step = "0.01";
    slider.value = String(state.smooth);
    slider.setAttribute("aria-label", "smoothing");
    const shown = element("output", "chart-smooth-value", state.smooth.toFixed(2));
    slider.addEventListener("input", () => {
      state.smooth = Number.parseFloat(slider.value);
      shown.textContent = state.smooth.toFixed(2);
      window.nbtrack.setQuery({ smooth: state.smooth > 0 ? state.smooth.toFixed(2) : null });
      for (const chart of state.charts) draw(chart);
    });
    smoothing.append(slider, shown);
    const logy = element("label", "chart-logy");
    const box = element("input");
    box.type = "checkbox";
    box.checked = state.logy;
    box.addEventListener("change", () => {
      state.logy = box.checked;
      window.nbtrack.setQuery({ logy: state.logy ? "1" : null });
      for (const chart of state.charts) draw(chart);
    });
    logy.append(box, document.createTextNode(" log y"));
    const live = element("span", "chart-live", "live: updating every 2 s");
    live.hidden = true;
    holder.append(xs, smoothing, logy, live);
    state.liveNote = live;
  }

  // -- one chart ----------------------------------------------------------------------
  function mount(node) {
    const metric = node.dataset.metric || "";
    const runs = (node.dataset.runs || "").split(/\s+/).filter(Boolean);
    node.replaceChildren();
    const body = element("div", "chart-body");
    const note = element("div", "chart-note muted");
    // a chart in a <figure> with a caption is named by it; else it names its metric itself
    const figure = node.closest("figure");
    if (!(figure && figure.querySelector("figcaption"))) node.append(element("div", "chart-title", metric));
    node.append(body, note);
    const chart = { node, metric, runs, body, note, data: null, plot: null, shape: "", zoomed: false };
    // uPlot resets the zoom on a double-click: new points then widen the x axis again
    body.addEventListener("dblclick", () => { chart.zoomed = false; });
    return chart;
  }

  async function load(chart) {
    const query = new URLSearchParams();
    for (const run of chart.runs) query.append("run", run);
    query.set("metric", chart.metric);
    query.set("x", state.x);
    const width = chart.body.clientWidth || 800;
    query.set("points", String(Math.min(2000, Math.max(100, Math.round(width * 1.5)))));
    // an answer that a later request (another x axis, the next poll) overtook is dropped
    const asked = (chart.asked = (chart.asked || 0) + 1);
    try {
      const data = await window.nbtrack.fetchJSON("/api/series?" + query.toString());
      if (asked !== chart.asked) return;
      chart.data = data;
      chart.node.classList.remove("chart-failed");
    } catch (err) {
      if (asked !== chart.asked) return;
      chart.data = null;
      chart.node.classList.add("chart-failed");
      chart.note.textContent = "Could not load " + chart.metric + ": " + err.message;
      return;
    }
    draw(chart);
  }

  // the unit relative time is shown in (compare.curves.time_unit's rule)
  function timeUnit(xs) {
    const span = xs.length ? xs[xs.length - 1] - xs[0] : 0;
    if (span >= 3 * 3600) return 3600;
    if (span >= 3 * 60) return 60;
    return 1;
  }

  function draw(chart) {
    const body = chart.data;
    if (!body) return;
    const colour = new Map(body.runs.map((r, i) => [r.run, COLOURS[i % COLOURS.length]]));
    const drawn = body.runs.filter((r) => r.xs.length > 0);
    describe(chart, body, drawn);
    const smooth = state.smooth > 0;
    if (drawn.length === 0) {
      destroy(chart);
      return;
    }
    const tables = drawn.map((r) => [r.xs, r.ys]);
    const joined = window.uPlot.join(tables);
    const raws = joined.slice(1);
    let columns = [joined[0], ...raws];
    const series = [{ label: body.x }];
    drawn.forEach((r) => series.push(line(chart, r, colour.get(r.run), smooth ? "raw" : "main")));
    if (smooth) {
      raws.forEach((ys) => columns.push(ema(ys, state.smooth)));
      drawn.forEach((r) => series.push(line(chart, r, colour.get(r.run), "smoothed", drawn.length)));
    }
    chart.columns = columns;
    // a log axis holds positive values only: the others become gaps, and the note says so
    const positive = (v) => typeof v === "number" && v > 0;
    const log = state.logy && raws.some((ys) => ys.some(positive));
    if (log) {
      const hidden = raws.reduce((n, ys) => n + ys.filter((v) => typeof v === "number" && v <= 0).length, 0);
      const says = hidden === 1 ? "1 value ≤ 0 is" : hidden + " values ≤ 0 are";
      if (hidden) chart.note.textContent += (chart.note.textContent ? " " : "") + says + " not drawn on the log axis.";
      columns = columns.map((ys, i) => (i === 0 ? ys : ys.map((v) => (typeof v === "number" && v <= 0 ? null : v))));
    } else if (state.logy) {
      chart.note.textContent += (chart.note.textContent ? " " : "") + "No value above 0: the y axis stays linear.";
    }
    const shape = [body.x, smooth, log, ...drawn.map((r) => r.run)].join(" ");
    if (chart.plot && chart.shape === shape) {
      chart.plot.setData(columns, !chart.zoomed);
      return;
    }
    destroy(chart);
    chart.shape = shape;
    chart.zoomed = false;
    chart.plot = new window.uPlot(options(chart, body, drawn, series, colour, log), columns, chart.body);
  }

  // role: "main" (no smoothing), "raw" (faint, behind) or "smoothed" (its raw value beside it)
  function line(chart, run, colour, role, runs) {
    const raw = role === "raw";
    // a null the run logged is NaN, or ±inf where the server listed its x (in the latest data)
    // (read from the columns before a log axis turned values <= 0 into gaps)
    const logged = (i, idx) => {
      const v = chart.columns[i][idx];
      if (v === undefined) return "—";
      if (v !== null) return number(v);
      const x = chart.columns[0][idx];
      const now = chart.data.runs.find((r) => r.run === run.run) || run;
      return now.posinf.includes(x) ? "+inf" : now.neginf.includes(x) ? "-inf" : "NaN";
    };
    const value = (u, v, i, idx) => {
      if (idx === null || idx === undefined || !chart.columns) return "—";
      const shown = logged(i, idx);
      return role === "smoothed" && shown !== "—" ? shown + " (raw " + logged(i - runs, idx) + ")" : shown;
    };
    return {
      label: run.label,
      stroke: raw ? colour + "40" : colour,
      width: raw ? 1 : 1.5,
      class: raw ? "chart-raw" : "chart-run",
      spanGaps: false,
      // uPlot's default shows a line's points when they are few for its width (an isolated
      // point between two gaps is drawn then); the faint raw line never shows them
      ...(raw ? { points: { show: false } } : {}),
      value: value,
    };
  }

  function options(chart, body, drawn, series, colour, log) {
    const unit = body.x === "relative" ? timeUnit(drawn.flatMap((r) => [r.xs[0], r.xs[r.xs.length - 1]]).sort((a, b) => a - b)) : 1;
    const xAxis = { label: body.x_label, labelSize: 20 };
    if (body.x === "relative") {
      xAxis.values = (u, splits) => splits.map((v) => number(v / unit));
      series[0].value = (u, v) => (v === null || v === undefined ? "—" : number(v / unit) + " " + UNITS[unit]);
    } else if (body.x === "step") {
      series[0].value = (u, v) => number(v);
    }
    return {
      width: Math.max(200, chart.body.clientWidth),
      height: HEIGHT,
      scales: { x: { time: body.x === "time" }, y: log ? { distr: 3 } : {} },
      series: series,
      axes: [xAxis, { label: shortened(body.metric, 40), labelSize: 20, size: 60 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, dataIdx: nearest },
      hooks: {
        draw: [(u) => markInfinities(u, drawn, colour)],
        setSelect: [() => { chart.zoomed = true; }],
        setSeries: [(u, i, opts) => pairSeries(u, drawn.length, i, opts)],
      },
    };
  }

  // each run's value at the cursor: its point nearest the cursor's x (runs need not share xs)
  function nearest(u, seriesIdx, hovered) {
    const ys = u.data[seriesIdx];
    const xs = u.data[0];
    // undefined: no point of this run at that x (another run's); null: its NaN or ±inf
    if (ys[hovered] !== undefined) return hovered;
    let best = hovered;
    let distance = Infinity;
    for (let j = hovered - 1; j >= 0; j--) {
      if (ys[j] === undefined) continue;
      best = j;
      distance = xs[hovered] - xs[j];
      break;
    }
    for (let j = hovered + 1; j < ys.length; j++) {
      if (ys[j] === undefined) continue;
      if (xs[j] - xs[hovered] < distance) best = j;
      break;
    }
    return best;
  }

  // a run hidden from the legend hides its faint raw line too
  function pairSeries(u, runs, i, opts) {
    if (u.series.length <= runs + 1 || opts === undefined || opts.show === undefined) return;
    const partner = i > runs ? i - runs : null;
    if (partner !== null && u.series[partner].show !== opts.show) u.setSeries(partner, { show: opts.show });
  }

  // +inf / -inf: a triangle at the top / bottom edge at its x, in the run's colour
  function markInfinities(u, drawn, colour) {
    const ctx = u.ctx;
    const size = 5 * window.devicePixelRatio;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    drawn.forEach((r, i) => {
      if (!u.series[i + 1].show) return;
      ctx.fillStyle = colour.get(r.run);
      for (const [xs, up] of [[r.posinf, true], [r.neginf, false]]) {
        for (const x of xs) {
          const cx = u.valToPos(x, "x", true);
          if (cx < left || cx > left + width) continue;
          const edge = up ? top : top + height;
          const tip = up ? edge : edge;
          const base = up ? edge + 1.6 * size : edge - 1.6 * size;
          ctx.beginPath();
          ctx.moveTo(cx, tip);
          ctx.lineTo(cx - size, base);
          ctx.lineTo(cx + size, base);
          ctx.closePath();
          ctx.fill();
        }
      }
    });
    ctx.restore();
  }

  // the line under a chart: runs without points, downsampling, infinities
  function describe(chart, body, drawn) {
    const parts = [];
    const empty = body.runs.filter((r) => r.xs.length === 0).map((r) => r.label);
    if (drawn.length === 0) parts.push("No points of " + body.metric + " yet.");
    else if (empty.length) parts.push("No points of " + body.metric + " in: " + empty.join(", ") + ".");
    const cut = drawn.filter((r) => r.downsampled);
    if (cut.length) {
      const sizes = cut.map((r) => r.label + " " + r.shown.toLocaleString("en") + " of " + r.points.toLocaleString("en"));
      parts.push("Downsampled (LTTB): " + sizes.join(", ") + " points.");
    }
    const infinite = drawn.filter((r) => r.posinf.length || r.neginf.length).map((r) => r.label);
    if (infinite.length) parts.push("±inf values of " + infinite.join(", ") + " are marked ▲/▼ at the edge.");
    chart.note.textContent = parts.join(" ");
  }

  function destroy(chart) {
    if (chart.plot) chart.plot.destroy();
    chart.plot = null;
    chart.shape = "";
  }

  // -- live ---------------------------------------------------------------------------
  function allRuns() {
    return [...new Set(state.charts.flatMap((c) => c.runs))];
  }

  function anyLive() {
    return state.charts.some((c) => c.data && c.data.runs.some((r) => r.live));
  }

  async function refreshAll() {
    await Promise.all(state.charts.map(load));
    schedule();
  }

  function schedule() {
    const live = anyLive();
    if (state.liveNote) state.liveNote.hidden = !live;
    if (live && state.timer === null) state.timer = window.setTimeout(poll, POLL_MS);
  }

  async function poll() {
    state.timer = null;
    const query = new URLSearchParams();
    for (const run of allRuns()) query.append("run", run);
    try {
      const status = await window.nbtrack.fetchJSON("/api/status?" + query.toString());
      const seen = JSON.stringify(status.runs.map((r) => [r.run, r.status, r.metrics]));
      if (seen !== state.seen) {
        state.seen = seen;
        await Promise.all(state.charts.map(load));
      }
    } catch (err) {
      if (state.liveNote) state.liveNote.textContent = "live: " + err.message + " (retrying)";
    }
    schedule();
  }

  // -- start --------------------------------------------------------------------------
  function resize() {
    for (const chart of state.charts) {
      if (chart.plot) chart.plot.setSize({ width: Math.max(200, chart.body.clientWidth), height: HEIGHT });
    }
  }

  function start() {
    readQuery();
    const nodes = document.querySelectorAll(".nbtrack-chart");
    const holder = document.querySelector(".chart-controls");
    if (holder && nodes.length) buildControls(holder);
    state.charts = Array.from(nodes, mount);
    let pending = null;
    window.addEventListener("resize", () => {
      window.clearTimeout(pending);
      pending = window.setTimeout(resize, 100);
    });
    refreshAll();
  }

  document.addEventListener("DOMContentLoaded", start);
  return { ema, state, refreshAll };
})();
