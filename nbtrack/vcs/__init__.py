"""Notebooks under version control: setup, pairing checks and a cell-aware diff.

* ``init``     — jupytext pairing config, nbdime git drivers, .gitattributes,
                 .gitignore and pre-commit hooks, written or merged, idempotent.
* ``sync``     — paired .ipynb / text files brought in step through jupytext.
* ``revisions``— ``git diff``-style arguments to notebook pairs, then the
                 engine (``engine``, ``align``, ``diffmodel``) and renderers
                 (``render_terminal``, ``render_markdown``, ``render_html``,
                 ``render_json``).

Nothing is imported here eagerly: the diff path must start fast, and init /
sync pull in jupytext only when they run.
"""
