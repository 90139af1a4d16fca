"""git in a test's own repository, as a test user.

git(repo, "commit", "-q", "-m", "first")
head = git(repo, "rev-parse", "HEAD")
"""

from __future__ import annotations

import subprocess
from pathlib import Path

#: who commits in the tests' repositories (the machine's git config is not asked)
IDENTITY = ("-c", "user.name=Test User", "-c", "user.email=test@example.com")


def git(root: Path, *args: str) -> str:
    """``git *args`` in *root*: its stdout, stripped; if git fails, so does the test."""
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=root, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()
