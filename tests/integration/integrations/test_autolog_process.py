"""Autolog in fresh interpreters: what ``import nbtrack`` and ``autolog()`` import, and
a Python without scikit-learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def python(code: str, cwd: Path, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NBTRACK_STORE": str(store)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_module_imported_after_autolog_is_recorded_and_nothing_extra_is_imported(
    project_root: Path, tmp_path: Path
) -> None:
    code = """
import json, sys
import nbtrack
before = "sklearn" in sys.modules
from sklearn.datasets import load_iris
nbtrack.autolog()
imported_by_autolog = "sklearn.ensemble" in sys.modules
tracking_by_autolog = "nbtrack.tracking" in sys.modules  # paid at the first fit instead
from sklearn.ensemble import RandomForestClassifier   # imported after autolog()
X, y = load_iris(return_X_y=True)
RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
run = nbtrack.active_run()
run.flush()
stored = nbtrack.get_run(run.id)
print(json.dumps({
    "sklearn_imported_by_nbtrack": before,
    "ensemble_imported_by_autolog": imported_by_autolog,
    "tracking_imported_by_autolog": tracking_by_autolog,
    "n_estimators": {p.key: p.value for p in stored.params}.get("n_estimators"),
    "estimator": stored.tags.get("estimator"),
}))
"""
    done = python(code, project_root, tmp_path / "runs.db")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "sklearn_imported_by_nbtrack": False,
        "ensemble_imported_by_autolog": False,
        "tracking_imported_by_autolog": False,
        "n_estimators": 3,
        "estimator": "RandomForestClassifier",
    }


@pytest.mark.parametrize("call", ["nbtrack.autolog()", "nbtrack.autolog(log_models=True)"])
def test_without_scikit_learn_autolog_is_one_sentence_saying_how_to_install_it(
    project_root: Path, tmp_path: Path, call: str
) -> None:
    code = f"""
import sys
sys.modules["sklearn"] = None   # as if scikit-learn were not installed
import nbtrack
nbtrack.autolog(disable=True)   # nothing to undo: fine
try:
    {call}
except nbtrack.UsageError as error:
    print(error)
else:
    print("no error")
print(nbtrack.active_run())
"""
    done = python(code, project_root, tmp_path / "runs.db")
    assert done.returncode == 0, done.stderr
    message, active = done.stdout.strip().splitlines()
    assert message == (
        "scikit-learn is not installed, and nbtrack.autolog() records scikit-learn fits;"
        " install it with: pip install scikit-learn"
    )
    assert active == "None"  # no run was started for nothing
