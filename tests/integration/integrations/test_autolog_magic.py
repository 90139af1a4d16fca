"""``%track_autolog`` through a real IPython shell, asserting on the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError

import nbtrack
from nbtrack.integrations.sklearn import state
from tests.helpers.runs import params_of
from tests.helpers.shell import current_run_id, stored

FIT = """
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_iris(return_X_y=True)
model = make_pipeline(StandardScaler(), LogisticRegression(C=0.3)).fit(X, y)
score = model.score(X, y)
"""


@pytest.fixture
def shell(ip: Any) -> Iterator[Any]:
    """The ``ip`` shell, scikit-learn unpatched again afterwards (classes are global)."""
    yield ip
    nbtrack.autolog(disable=True)


def run(ip: Any, source: str) -> Any:
    return ip.run_cell(source, store_history=True)


def test_track_autolog_records_a_fit_in_the_notebooks_run(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(shell, "%track_autolog").error_in_exec is None
    assert "autolog is on" in capsys.readouterr().out
    assert run(shell, "%%track_params\nseed = 7").error_in_exec is None
    assert run(shell, FIT).error_in_exec is None

    stored_run = stored()
    params = params_of(stored_run)
    assert params["seed"] == (7, "notebook")  # the session's run: the params cell is in it
    assert params["logisticregression.C"] == (0.3, "code")
    metrics = {m.key: m.last for m in stored_run.metrics}
    assert metrics["training_score"] == pytest.approx(shell.user_ns["score"])
    assert stored_run.id == current_run_id()


def test_track_autolog_log_models_then_disable(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.pipeline import Pipeline

    original = Pipeline.fit
    assert run(shell, "%track_autolog --log-models  # keep the models").error_in_exec is None
    assert "and the fitted models" in capsys.readouterr().out
    assert state().log_models
    assert run(shell, FIT).error_in_exec is None
    assert [a.name for a in stored().artifacts] == ["Pipeline.pkl"]

    assert run(shell, "%track_autolog --disable").error_in_exec is None
    assert "autolog is off" in capsys.readouterr().out
    assert not state().enabled
    assert Pipeline.fit is original


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%track_autolog --bogus", "unrecognized arguments: --bogus"),
        ("%track_autolog model", "unrecognized arguments: model"),
        ("%track_autolog --disable --log-models", "cannot be combined with --log-models"),
    ],
)
def test_bad_options_are_a_usage_error_and_change_nothing(
    shell: Any, line: str, message: str
) -> None:
    result = run(shell, line)
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert not state().enabled


def test_help_names_the_options(shell: Any) -> None:
    doc = shell.find_line_magic("track_autolog").__doc__
    assert "--disable" in doc
    assert "--log-models" in doc
