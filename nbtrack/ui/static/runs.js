// The runs page: selection (in the URL as ?selected=ID, kept by every link and form
// of the page), Compare, the column picker's URL, and live status of RUNNING runs.
// Everything a run wrote is set with textContent / setAttribute, never as markup.
"use strict";
(function () {
  const data = nbtrack.pageData();
  let selected = Array.isArray(data.selected) ? data.selected.slice() : [];

  function boxes() {
    return Array.from(document.querySelectorAll("input.select-run"));
  }

  // a link of this page, its ?selected= replaced by the current selection
  function withSelection(href) {
    const url = new URL(href, window.location.href);
    url.searchParams.delete("selected");
    for (const id of selected) url.searchParams.append("selected", id);
    return url.pathname + url.search;
  }

  function syncForms() {
    for (const form of document.querySelectorAll("form[method='get']")) {
      for (const old of form.querySelectorAll("input[type='hidden'][name='selected']")) old.remove();
      for (const id of selected) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "selected";
        input.value = id;
        form.appendChild(input);
      }
    }
  }

  function showSelection() {
    const onPage = new Set(boxes().map((box) => box.value));
    const here = selected.filter((id) => onPage.has(id)).length;
    const count = document.getElementById("selection-count");
    if (count) {
      const elsewhere = selected.length - here;
      let text = selected.length ? `${selected.length} selected` : "No runs selected";
      if (elsewhere) text += ` (${elsewhere} on other pages)`;
      if (selected.length === 1) text += ": select one more to compare";
      count.textContent = text;
    }
    const compare = document.getElementById("compare-button");
    if (compare) compare.disabled = selected.length < 2;
    const clear = document.getElementById("clear-selection");
    if (clear) clear.disabled = selected.length === 0;
    const all = document.getElementById("select-page");
    if (all) {
      all.checked = onPage.size > 0 && here === onPage.size;
      all.indeterminate = here > 0 && here < onPage.size;
    }
    for (const box of boxes()) {
      box.checked = selected.includes(box.value);
      const row = box.closest("tr");
      if (row) row.classList.toggle("selected", box.checked);
    }
  }

  function selectionChanged() {
    nbtrack.setQuery({ selected: selected });
    for (const link of document.querySelectorAll("a.nav-link")) {
      link.setAttribute("href", withSelection(link.getAttribute("href")));
    }
    syncForms();
    showSelection();
  }

  function compare() {
    if (selected.length < 2) return;
    const query = new URLSearchParams();
    for (const id of selected) query.append("run", id);
    query.set("baseline", selected[0]);
    window.location.assign("/compare?" + query.toString());
  }

  // the picker submits ?columns=K,K (one parameter), the rest of the view kept
  function applyColumns(event) {
    event.preventDefault();
    const checked = Array.from(event.target.querySelectorAll("input[type='checkbox'][name='columns']:checked"));
    const url = new URL(window.location.href);
    url.searchParams.set("columns", checked.map((box) => box.value).join(","));
    url.searchParams.delete("page");
    window.location.assign(url.pathname + url.search);
  }

  // -- live status ----------------------------------------------------------------
  // Rows RUNNING when the page loaded are watched until their run has ended: one that
  // turns CRASHED (a late heartbeat) is still watched, as it may yet come back and finish.
  function runningRows() {
    return Array.from(document.querySelectorAll("tr[data-live='yes']"));
  }

  function update(row, run) {
    row.dataset.status = run.status;
    if (run.ended) row.dataset.live = "no";
    const status = row.querySelector(".status-text");
    if (status) {
      status.textContent = run.status;
      status.className = "status-text status-" + run.status;
    }
    const duration = row.querySelector("td.duration");
    if (duration) duration.textContent = run.duration;
    for (const cell of row.querySelectorAll("td[data-metric]")) {
      const key = cell.dataset.metric;
      if (!Object.prototype.hasOwnProperty.call(run.metrics, key)) continue;
      const text = run.metrics[key].text;
      cell.textContent = text;
      cell.setAttribute("title", text);
      cell.classList.remove("missing");
      cell.classList.add("num");
    }
  }

  async function poll() {
    const rows = runningRows();
    const note = document.getElementById("live-note");
    if (!rows.length) {
      if (note) note.hidden = true;
      return;
    }
    const byId = new Map(rows.map((row) => [row.dataset.run, row]));
    const query = new URLSearchParams();
    for (const id of byId.keys()) query.append("run", id);
    try {
      const body = await nbtrack.fetchJSON("/api/runs?" + query.toString());
      for (const run of body.runs) {
        const row = byId.get(run.id);
        if (row) update(row, run);
      }
      const left = runningRows().length;
      if (note) {
        note.hidden = left === 0;
        const every = Math.round((data.pollMs || 2000) / 1000);
        note.textContent = `Live: ${left} unfinished run${left === 1 ? "" : "s"}, updated every ${every} s`;
      }
    } catch (err) {
      if (note) {
        note.hidden = false;
        note.textContent = "Live updates paused: " + err.message;
      }
    }
    window.setTimeout(poll, data.pollMs || 2000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const box of boxes()) {
      box.addEventListener("change", () => {
        selected = selected.filter((id) => id !== box.value);
        if (box.checked) selected.push(box.value);
        selectionChanged();
      });
    }
    const all = document.getElementById("select-page");
    if (all) {
      all.addEventListener("change", () => {
        const ids = boxes().map((box) => box.value);
        selected = selected.filter((id) => !ids.includes(id));
        if (all.checked) selected.push(...ids);
        selectionChanged();
      });
    }
    const clear = document.getElementById("clear-selection");
    if (clear) {
      clear.addEventListener("click", () => {
        selected = [];
        selectionChanged();
      });
    }
    const button = document.getElementById("compare-button");
    if (button) button.addEventListener("click", compare);
    const picker = document.getElementById("picker-form");
    if (picker) picker.addEventListener("submit", applyColumns);
    showSelection();
    for (const row of document.querySelectorAll("tr[data-run]")) {
      if (row.dataset.status === "RUNNING") row.dataset.live = "yes";
    }
    if (runningRows().length) window.setTimeout(poll, data.pollMs || 2000);
  });
})();
