// /compare: the metric picker shows the ticked metrics at once (a new URL, the
// charts' x/smooth kept). Without this script the picker's "Show" button does the same.
"use strict";
(function () {
  function choose(form) {
    const url = new URL(window.location.href);
    url.searchParams.delete("metric");
    const boxes = Array.from(form.querySelectorAll("input[name=metric]"));
    const ticked = boxes.filter((box) => box.checked).map((box) => box.value);
    // every metric ticked is the default view: keep the link short
    if (ticked.length < boxes.length) for (const key of ticked) url.searchParams.append("metric", key);
    window.location.assign(url.toString());
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form.metric-picker");
    if (!form) return;
    form.addEventListener("change", () => choose(form));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      choose(form);
    });
  });
})();
