// nbtrack ui: what every page shares. No inline script anywhere (the CSP forbids it):
// a page's data arrives as <script type="application/json" id="page-data">.
"use strict";
window.nbtrack = (function () {
  // the JSON a template put into #page-data (or {} when it has none)
  function pageData() {
    const node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  // the view's state lives in the URL: change it without a reload or a history entry
  function setQuery(params) {
    const url = new URL(window.location.href);
    for (const [key, value] of Object.entries(params)) {
      url.searchParams.delete(key);
      if (value === null || value === undefined || value === "") continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
    }
    window.history.replaceState(null, "", url.toString());
  }

  async function fetchJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
    const body = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  // a POST of the edit routes: the CSRF token from <body data-csrf>
  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": document.body.dataset.csrf },
      body: new URLSearchParams(fields).toString(),
    });
    const body = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function toast(text) {
    const node = document.createElement("div");
    node.className = "toast";
    node.setAttribute("role", "status");
    node.textContent = text;
    document.body.appendChild(node);
    setTimeout(() => node.remove(), 2500);
  }

  // "Copy link": the clipboard API where the page is a secure context (loopback),
  // else a selected text field the user copies from
  async function copyLink() {
    const url = window.location.href;
    try {
      await navigator.clipboard.writeText(url);
      toast("Link copied");
    } catch (err) {
      window.prompt("Copy this link:", url);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("copy-link");
    if (button) button.addEventListener("click", copyLink);
  });

  return { pageData, setQuery, fetchJSON, post, toast, copyLink };
})();
