"""JSON rendering of a notebook diff, for tools and bots.

A stable document (``"format": "nbtrack-diff", "version": 1``) built from
``diffmodel.to_jsonable``; image payloads are left out (their sizes and
hashes are in each output's summary).
"""

from __future__ import annotations

import json

from nbtrack.vcs.diffmodel import DiffResult, to_jsonable

__all__ = ["render_json"]


def render_json(result: DiffResult) -> str:
    return json.dumps(to_jsonable(result), indent=2, ensure_ascii=False) + "\n"
