// nbtrack ui: the page of one run. Pages through a series of logged figures (a slider,
// buttons and the arrow keys; the page's URL names the step shown), and while the run is RUNNING polls /api/status for its status and its metrics'
// last values (the curves are charts.js's). Everything the run wrote goes in as textContent;
// the only URLs set are the /runs/<id>/artifacts/<name> ones the server built.
"use strict";
(function () {
  const POLL_MS = 2000;
  const data = window.nbtrack.pageData();

  // Python's f"{v:.4g}" (what the server shows): 0.9312, 1.235e+06, nan, inf
  function number(v) {
    if (v === "NaN" || (typeof v === "number" && Number.isNaN(v))) return "nan";
    if (v === "Infinity" || v === Infinity) return "inf";
    if (v === "-Infinity" || v === -Infinity) return "-inf";
    if (typeof v !== "number") return "—";
    if (v === 0) return "0";
    const strip = (text) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);
    const [mantissa, power] = v.toExponential(3).split("e");
    const exponent = Number.parseInt(power, 10);
    if (exponent < -4 || exponent >= 4) {
      const sign = exponent < 0 ? "-" : "+";
      return strip(mantissa) + "e" + sign + String(Math.abs(exponent)).padStart(2, "0");
    }
    return strip(v.toFixed(Math.max(0, 3 - exponent)));
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // the server's local time to the minute, as the page shows every time: 2026-12-02 15:47
  function timeText(seconds) {
    const d = new Date((seconds + (data.utc_offset || 0)) * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }

  // duration_text's rule: 850ms, 12.5s, 3m 07s, 2h 05m
  function durationText(seconds) {
    if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
    if (seconds < 60) return `${seconds.toFixed(1)}s`;
    const total = Math.round(seconds);
    const minutes = Math.floor(total / 60);
    if (minutes < 60) return `${minutes}m ${pad(total % 60)}s`;
    return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
  }

  // -- figures: one slider per series of images --------------------------------------
  // the image each series shows when it is not its last, as the page's query:
  // ?figure=NAME&step=N (paired in order; step is empty for a series of numbered names)
  const chosen = new Map();

  function writeQuery() {
    const picks = [...chosen.values()];
    const stepped = picks.some((p) => p.step !== null);
    window.nbtrack.setQuery({
      figure: picks.map((p) => p.name),
      step: stepped ? picks.map((p) => (p.step === null ? "" : String(p.step))) : null,
    });
  }

  // the link to this page showing this series at this step (and nothing else chosen)
  function permalink(item) {
    const query = new URLSearchParams({ figure: item.name });
    if (item.step !== null) query.set("step", String(item.step));
    return `${window.location.pathname}?${query.toString()}#figures`;
  }

  function mountSeries(node) {
    const items = (data.series || [])[Number(node.dataset.series)];
    const slider = node.querySelector(".figure-slider");
    if (!items || !slider) return;
    const img = node.querySelector("img");
    const link = node.querySelector(".figure-link");
    const label = node.querySelector(".figure-step");
    const perma = node.querySelector(".figure-permalink");
    const stepped = node.dataset.stepped === "true";
    function pick(item, last) {
      if (last) chosen.delete(node.dataset.series);
      else chosen.set(node.dataset.series, { name: item.name, step: stepped ? item.step : null });
    }
    function show(index) {
      const i = Math.max(0, Math.min(items.length - 1, index));
      const item = items[i];
      slider.value = String(i);
      img.setAttribute("src", item.url);
      img.setAttribute("alt", item.name);
      link.setAttribute("href", item.url);
      if (perma) perma.setAttribute("href", permalink(item));
      const place = `${i + 1} of ${items.length}`;
      if (stepped) {
        // the title is the name: the label says which step ("final": logged without one)
        label.textContent = `${item.step === null ? "final" : `step ${item.step}`} (${place})`;
      } else {
        const step = item.step === null ? "" : `step ${item.step}, `;
        label.textContent = `${item.name} (${step}${place})`;
      }
      pick(item, i === items.length - 1);
      writeQuery();
    }
    const start = Number(slider.value);
    pick(items[start], start === items.length - 1);
    slider.addEventListener("input", () => show(Number(slider.value)));
    node.querySelector(".figure-prev").addEventListener("click", () => show(Number(slider.value) - 1));
    node.querySelector(".figure-next").addEventListener("click", () => show(Number(slider.value) + 1));
    // the keyboard anywhere in the series (the slider pages with its own keys)
    const keys = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10 };
    node.addEventListener("keydown", (event) => {
      if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return;
      const at = Number(slider.value);
      if (event.key in keys) show(at + keys[event.key]);
      else if (event.key === "Home") show(0);
      else if (event.key === "End") show(items.length - 1);
      else return;
      event.preventDefault();
    });
  }

  // -- live: status and last values while the run is RUNNING --------------------------
  function setCell(row, className, text) {
    const cell = row.querySelector(`td.${className}`);
    if (!cell || cell.textContent === text) return;
    cell.textContent = text;
    cell.classList.toggle("nonfinite", ["nan", "inf", "-inf"].includes(text));
    cell.classList.add("updated");
    setTimeout(() => cell.classList.remove("updated"), 1200);
  }

  function metricRow(body, key) {
    for (const row of body.querySelectorAll("tr[data-key]")) {
      if (row.dataset.key === key) return row;
    }
    const row = document.createElement("tr");
    row.dataset.key = key;
    const name = document.createElement("td");
    name.className = "key";
    name.textContent = key;
    row.appendChild(name);
    for (const part of ["last", "min", "max", "count", "last-step"]) {
      const cell = document.createElement("td");
      cell.className = `num ${part}`;
      row.appendChild(cell);
    }
    body.appendChild(row);
    document.getElementById("metrics-count").textContent = `(${body.rows.length})`;
    document.getElementById("metrics-table").hidden = false;
    document.getElementById("no-metrics").hidden = true;
    return row;
  }

  function showMetrics(metrics) {
    const body = document.getElementById("metrics-table").tBodies[0];
    for (const [key, m] of Object.entries(metrics || {})) {
      const row = metricRow(body, key);
      setCell(row, "last", number(m.last));
      setCell(row, "count", String(m.count));
      setCell(row, "last-step", m.last_step === null ? "—" : String(m.last_step));
    }
  }

  function showStatus(run) {
    const badge = document.getElementById("run-status");
    if (badge.textContent !== run.status) {
      badge.textContent = run.status;
      badge.className = `status-badge status-${run.status}`;
    }
    if (run.ended_at !== null && run.ended_at !== undefined) {
      const ended = document.getElementById("fact-ended");
      if (ended) ended.textContent = timeText(run.ended_at);
      const duration = document.getElementById("fact-duration");
      if (duration && data.started_at) {
        duration.textContent = durationText(Math.max(0, run.ended_at - data.started_at));
      }
    }
    showMetrics(run.metrics);
    if (run.live) return true;
    const notice = document.getElementById("live-notice");
    notice.textContent = `The run ended: ${run.status}. `;
    const reload = document.createElement("a");
    reload.setAttribute("href", window.location.pathname + window.location.search);
    reload.textContent = "Reload for its final summary.";
    notice.appendChild(reload);
    notice.hidden = false;
    return false;
  }

  async function poll() {
    let again = true;
    try {
      const body = await window.nbtrack.fetchJSON(`/api/status?run=${encodeURIComponent(data.run)}`);
      const run = (body.runs || []).find((r) => r.run === data.run);
      if (run) again = showStatus(run);
    } catch (err) {
      // a server restart or a dropped connection: try again on the next tick
    }
    if (again) setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("figure.figure-series").forEach(mountSeries);
    // a link's step that a series lacks shows its last: the URL then says what is shown
    if ((data.series || []).length) writeQuery();
    if (data.live) setTimeout(poll, POLL_MS);
  });
})();
