// nbtrack ui --allow-edit: the run page's edit controls (templates/_edit_run.html.j2).
// Each change is one POST through nbtrack.post() (it carries the page's CSRF token);
// a refusal is shown inline as text, a success reloads the page so it shows the change
// (the panel opens again after that reload: the run's id is kept in sessionStorage).
"use strict";
(function () {
  const section = document.getElementById("edit-run");
  if (!section) return;
  const runId = section.dataset.run;
  const errorBox = document.getElementById("edit-error");
  const REOPEN = "nbtrack-edit-open";
  if (sessionStorage.getItem(REOPEN) === runId) section.open = true;
  sessionStorage.removeItem(REOPEN);

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  async function send(action, fields, busy) {
    errorBox.hidden = true;
    if (busy) busy.disabled = true;
    try {
      await nbtrack.post("/api/runs/" + encodeURIComponent(runId) + "/" + action, fields);
      sessionStorage.setItem(REOPEN, runId);
      window.location.reload();
    } catch (err) {
      showError(err.message);
      if (busy) busy.disabled = false;
    }
  }

  for (const form of section.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields = Object.fromEntries(new FormData(form).entries());
      send(form.dataset.action, fields, form.querySelector("button[type=submit]"));
    });
  }
  for (const button of section.querySelectorAll("button.edit-remove-tag")) {
    button.addEventListener("click", () => send("tags", { remove: button.dataset.key }, button));
  }
  const clicks = { "edit-clear-note": ["note", { note: "" }], "edit-delete": ["delete", {}], "edit-restore": ["restore", {}] };
  for (const [id, [action, fields]] of Object.entries(clicks)) {
    const button = document.getElementById(id);
    if (button) button.addEventListener("click", () => send(action, fields, button));
  }
})();
