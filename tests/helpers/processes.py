"""Asking whether a process a test started (or a notebook forked) still runs."""

from __future__ import annotations

from pathlib import Path


def process_gone(pid: int) -> bool:
    """True when *pid* no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status
