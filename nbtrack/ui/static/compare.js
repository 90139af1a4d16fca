// /compare: the metric picker shows the ticked metrics at once (a new URL, the charts'
// x/smooth kept; without this script its "Show" button does the same), and while a
// compared run is RUNNING its status cell follows /api/status; once every run has
// ended the page offers a reload for the final numbers (the tables are the server's).
"use strict";
(function () {
  const POLL_MS = 3000;

  function choose(form) {
    const url = new URL(window.location.href);
    url.searchParams.delete("metric");
    const boxes = Array.from(form.querySelectorAll("input[name=metric]"));
    const ticked = boxes.filter((box) => box.checked).map((box) => box.value);
    // every metric ticked is the default view: keep the link short
    if (ticked.length < boxes.length) for (const key of ticked) url.searchParams.append("metric", key);
    window.location.assign(url.toString());
  }

  function statusCells() {
    const cells = new Map();
    for (const cell of document.querySelectorAll("td.run-status[data-run]")) cells.set(cell.dataset.run, cell);
    return cells;
  }

  function ended() {
    const note = document.getElementById("live-note");
    if (!note) return;
    note.textContent = "Every run has ended: ";
    const link = document.createElement("a");
    link.href = window.location.pathname + window.location.search;
    link.id = "reload";
    link.textContent = "reload for their final numbers";
    note.appendChild(link);
    note.hidden = false;
  }

  async function poll(cells) {
    const query = new URLSearchParams();
    for (const id of cells.keys()) query.append("run", id);
    let live = true;
    try {
      const body = await nbtrack.fetchJSON("/api/status?" + query.toString());
      live = false;
      for (const run of body.runs) {
        const cell = cells.get(run.run);
        if (cell && cell.textContent !== run.status) {
          cell.textContent = run.status;
          cell.className = "run-status status-" + run.status;
        }
        if (run.live) live = true;
      }
    } catch (err) {
      // a failed poll (server restarting): try again at the next tick
    }
    if (live) setTimeout(() => poll(cells), POLL_MS);
    else ended();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form.metric-picker");
    if (form) {
      const button = form.querySelector("button[type=submit]");
      if (button) button.hidden = true;
      form.addEventListener("change", () => choose(form));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        choose(form);
      });
    }
    const cells = statusCells();
    const running = Array.from(cells.values()).some((cell) => cell.textContent === "RUNNING");
    if (running) setTimeout(() => poll(cells), POLL_MS);
  });
})();
