"""``nbtrack ui``: a web app over the run store, a door like the CLI.

For: people looking at runs in a browser and passing links around: the runs
table (filter, sort, columns, selection), one run, a comparison of runs, a
notebook diff, each view's whole state in its URL. Every read goes through
:class:`nbtrack.compare.reader.Reader` and the compare layer; the only writes
(with ``--allow-edit``) go through :class:`nbtrack.tracking.edit.RunEditor`.
Server-rendered Jinja2 pages (autoescape), a little JavaScript of our own and
the vendored uPlot (``static/vendor/uplot``, its licence beside it): nothing
is loaded from another origin.
Not for: SQL, comparisons or downsampling (the compare layer does them).

* ``app``: ``create_app``, the Starlette application: routes of every page,
  the middleware, the store opened once for the app's life.
* ``state``: ``reader_of``, the app's reader as an endpoint reads it.
* ``config``: ``UiConfig``, what ``nbtrack ui`` was started with.
* ``server``: ``serve``, uvicorn on the host and port, the token made and
  the URL printed.
* ``security``: the token gate (constant-time compare, cookie after the
  first visit, 403 otherwise), the response headers (a strict
  Content-Security-Policy) and the CSRF check of a POST.
* ``templating``: the Jinja2 environment (autoescape, user text made
  printable) and ``page``, a template as an HTML response.
* ``runs_page``: ``/``, the runs table; ``paging``: its pages (keyset after a
  cursor, or by offset for ``?page=N``) and the pager.
* ``run_page``: ``/runs/{id}``, one run.
* ``compare_page``: ``/compare``, runs side by side.
* ``diff_page``: ``/diff``, the side-by-side notebook diff of two runs' code.
* ``series``: ``/api/...``, the JSON the pages' scripts fetch (downsampled
  metric series, run status for live updates).
* ``artifacts``: ``/runs/{id}/artifacts/{name}``, an artifact's bytes
  (images inline, HTML/SVG and everything else as downloads).
* ``edit``: the POST routes of ``--allow-edit`` (rename, tag, note, delete).
"""
