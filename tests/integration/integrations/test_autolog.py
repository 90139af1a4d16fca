"""``nbtrack.autolog()`` with real scikit-learn estimators, read back from a real store.

Every expected value is computed by scikit-learn itself in the test (the
estimator's own ``score``, ``get_params``, ``best_params_``), never written
down by hand.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import nbtrack
from nbtrack.config import Settings
from nbtrack.errors import UsageError
from nbtrack.integrations.sklearn import AutologWarning, state
from nbtrack.integrations.sklearn.params import estimator_params
from nbtrack.model import Run
from nbtrack.tracking.api import get_tracker
from tests.helpers.runs import params_of

X, Y = load_iris(return_X_y=True)
X_SCALED = StandardScaler().fit_transform(X)


@pytest.fixture(autouse=True)
def _autolog_off_after(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Work in a project; leave scikit-learn unpatched and no run behind (classes are global)."""
    monkeypatch.chdir(project_root)
    yield
    nbtrack.autolog(disable=True)
    get_tracker().end_run()


def stored() -> Run:
    """The active run as the store has it (flushed first)."""
    run = nbtrack.active_run()
    assert run is not None, "autolog started no run"
    assert run.flush()
    return get_tracker().store().get_run(run.id)


def metrics_of(run: Run) -> dict[str, tuple[float, int]]:
    """``{key: (last value, number of points)}``."""
    return {m.key: (m.last, m.count) for m in run.metrics}


def test_a_fit_records_params_training_score_and_duration(settings: Settings) -> None:
    nbtrack.autolog()
    model = LogisticRegression(C=0.5, max_iter=300).fit(X_SCALED, Y)

    run = stored()
    expected = estimator_params(model)
    assert {key: value for key, (value, _) in params_of(run).items()} == expected
    assert params_of(run)["C"] == (0.5, "code")
    metrics = metrics_of(run)
    assert metrics["training_score"] == (pytest.approx(model.score(X_SCALED, Y)), 1)
    assert metrics["training_accuracy"] == metrics["training_score"]
    assert 0 < metrics["fit_seconds"][0] < 60
    assert run.tags["autolog"] == "sklearn"
    assert run.tags["estimator"] == "LogisticRegression"


def test_a_regressor_records_its_r2() -> None:
    X_reg, y_reg = load_diabetes(return_X_y=True)
    nbtrack.autolog()
    model = Ridge(alpha=0.3).fit(X_reg, y_reg)
    metrics = metrics_of(stored())
    assert metrics["training_r2"] == (pytest.approx(model.score(X_reg, y_reg)), 1)
    assert "training_accuracy" not in metrics


def test_autolog_does_not_change_what_the_estimators_learn() -> None:
    def fit_both() -> tuple[Any, Any]:
        logistic = LogisticRegression(max_iter=300).fit(X_SCALED, Y)
        pipe = Pipeline([("scale", StandardScaler()), ("sgd", SGDClassifier(random_state=3))])
        return logistic, pipe.fit(X, Y)

    plain_logistic, plain_pipe = fit_both()
    nbtrack.autolog(log_models=True)
    logged_logistic, logged_pipe = fit_both()

    assert np.array_equal(plain_logistic.coef_, logged_logistic.coef_)
    assert np.array_equal(plain_pipe[-1].coef_, logged_pipe[-1].coef_)
    assert np.array_equal(plain_pipe.predict(X), logged_pipe.predict(X))
    assert np.array_equal(
        plain_logistic.predict_proba(X_SCALED), logged_logistic.predict_proba(X_SCALED)
    )


def test_a_pipeline_is_recorded_once_with_dotted_step_params() -> None:
    nbtrack.autolog()
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", SGDClassifier(alpha=0.01, random_state=0))]
    )
    pipe.fit(X, Y)

    run = stored()
    params = params_of(run)
    assert params["clf.alpha"] == (0.01, "code")
    assert params["scale.with_mean"] == (True, "code")
    assert params["clf"] == ("SGDClassifier", "code")
    assert params["steps"][0] == [["scale", "StandardScaler"], ["clf", "SGDClassifier"]]
    assert "alpha" not in params  # the steps' own fits were not recorded on their own
    metrics = metrics_of(run)
    assert metrics["fit_seconds"][1] == 1
    assert metrics["training_score"] == (pytest.approx(pipe.score(X, Y)), 1)
    assert run.tags["estimator"] == "Pipeline"


def test_a_column_transformer_inside_a_pipeline_has_its_nested_names() -> None:
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 3, size=len(Y)).reshape(-1, 1)
    data = np.hstack([X, colour])
    data[::17, 0] = np.nan  # something for the imputer to do
    numeric = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
    prepare = ColumnTransformer(
        [("num", numeric, [0, 1, 2, 3]), ("cat", OneHotEncoder(handle_unknown="ignore"), [4])]
    )
    model = Pipeline([("prepare", prepare), ("clf", LogisticRegression(max_iter=300))])
    nbtrack.autolog()
    model.fit(data, Y)

    params = params_of(stored())
    assert params["prepare.num.impute.strategy"] == ("mean", "code")
    assert params["prepare.num.scale.with_std"] == (True, "code")
    assert params["prepare.cat.handle_unknown"] == ("ignore", "code")
    assert params["prepare.transformers"][0] == [
        ["num", "Pipeline", [0, 1, 2, 3]],
        ["cat", "OneHotEncoder", [4]],
    ]
    assert params["clf.max_iter"] == (300, "code")


def test_a_grid_search_records_its_best_params_and_cv_score_once() -> None:
    nbtrack.autolog()
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 0.1, 1.0]}, cv=3)
    search.fit(X_SCALED, Y)

    run = stored()
    params = params_of(run)
    assert params["best_params.C"] == (search.best_params_["C"], "code")
    assert params["estimator"] == ("LogisticRegression", "code")
    assert params["estimator.C"] == (1.0, "code")  # the base estimator's, not a candidate's
    assert params["param_grid"] == ({"C": [0.01, 0.1, 1.0]}, "code")
    metrics = metrics_of(run)
    assert metrics["best_cv_score"] == (pytest.approx(search.best_score_), 1)
    assert metrics["fit_seconds"][1] == 1  # 9 candidate fits and the refit were not recorded
    assert len(get_tracker().list_runs()) == 1


def test_a_grid_search_on_joblib_threads_is_recorded_once() -> None:
    from joblib import parallel_backend

    nbtrack.autolog()
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=3, n_jobs=2)
    with parallel_backend("threading", n_jobs=2):
        search.fit(X_SCALED, Y)

    run = stored()
    assert metrics_of(run)["fit_seconds"][1] == 1
    assert "C" not in params_of(run)  # no clone's fit was recorded from a worker thread


def test_partial_fit_calls_are_steps_scored_on_their_batch() -> None:
    nbtrack.autolog()
    model = SGDClassifier(random_state=0)
    batches = np.array_split(np.random.default_rng(1).permutation(len(Y)), 3)
    expected = []
    for batch in batches:
        model.partial_fit(X_SCALED[batch], Y[batch], classes=np.unique(Y))
        expected.append(model.score(X_SCALED[batch], Y[batch]))

    run = stored()
    history = get_tracker().store().metric_history(run.id, "training_score")
    assert [point.step for point in history] == [0, 1, 2]
    assert [point.value for point in history] == pytest.approx(expected)
    assert params_of(run)["alpha"] == (model.alpha, "code")


def test_a_refit_with_other_params_moves_on_to_a_new_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    nbtrack.autolog()
    LogisticRegression(C=1.0, max_iter=300).fit(X_SCALED, Y)
    first = stored()
    LogisticRegression(C=1.0, max_iter=300).fit(X_SCALED, Y)  # the same model again: same run
    assert stored().id == first.id
    LogisticRegression(C=0.1, max_iter=300).fit(X_SCALED, Y)
    second = stored()

    assert second.id != first.id
    assert params_of(second)["C"] == (0.1, "code")
    assert params_of(get_tracker().store().get_run(first.id))["C"] == (1.0, "code")
    assert metrics_of(get_tracker().store().get_run(first.id))["fit_seconds"][1] == 2
    out = capsys.readouterr().out
    assert f"ended run {first.id[:8]} and started run {second.id[:8]}" in out
    assert "C 1.0 -> 0.1" in out


def test_a_run_the_user_started_is_kept_and_differing_params_are_left_out() -> None:
    nbtrack.autolog()
    with nbtrack.start_run(name="mine") as mine:
        LogisticRegression(C=1.0, max_iter=300).fit(X_SCALED, Y)
        with pytest.warns(AutologWarning, match=r"C 1\.0 -> 0\.1.*not logged"):
            LogisticRegression(C=0.1, max_iter=300).fit(X_SCALED, Y)
        assert nbtrack.active_run() is mine
        assert stored().id == mine.id
    run = get_tracker().store().get_run(mine.id)
    assert params_of(run)["C"] == (1.0, "code")
    assert metrics_of(run)["fit_seconds"][1] == 2  # both fits' metrics are there


def test_log_models_stores_the_fitted_estimator() -> None:
    nbtrack.autolog(log_models=True)
    model = LogisticRegression(max_iter=300).fit(X_SCALED, Y)
    run = stored()
    assert [a.name for a in run.artifacts] == ["LogisticRegression.pkl"]
    loaded = nbtrack.load_artifact(run.id, "LogisticRegression.pkl", allow_pickle=True)
    assert np.array_equal(loaded.predict(X_SCALED), model.predict(X_SCALED))


def test_disable_puts_the_original_methods_back_and_records_nothing() -> None:
    originals = (LogisticRegression.fit, SGDClassifier.partial_fit, Pipeline.fit)
    nbtrack.autolog()
    assert LogisticRegression.fit is not originals[0]
    nbtrack.autolog(disable=True)
    assert (LogisticRegression.fit, SGDClassifier.partial_fit, Pipeline.fit) == originals
    assert "__init_subclass__" not in BaseEstimator.__dict__
    LogisticRegression(max_iter=300).fit(X_SCALED, Y)
    assert nbtrack.active_run() is None
    assert not state().enabled


def test_autolog_twice_wraps_once_and_records_once() -> None:
    nbtrack.autolog()
    wrapped = state().wrapped
    first = LogisticRegression.fit
    nbtrack.autolog()
    assert state().wrapped == wrapped
    assert LogisticRegression.fit is first
    LogisticRegression(max_iter=300).fit(X_SCALED, Y)
    assert metrics_of(stored())["fit_seconds"][1] == 1
    nbtrack.autolog(disable=True)
    nbtrack.autolog(disable=True)  # off twice is harmless too


def test_a_failing_fit_raises_its_own_exception_and_records_nothing() -> None:
    bad = X_SCALED.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN") as plain:
        LogisticRegression().fit(bad, Y)
    nbtrack.autolog()
    with pytest.raises(ValueError, match="NaN") as logged:
        LogisticRegression().fit(bad, Y)
    assert str(logged.value) == str(plain.value)
    assert nbtrack.active_run() is None  # nothing recorded, not even a run started


class Fragile(ClassifierMixin, BaseEstimator):
    """An estimator defined after sklearn's own: fits, predicts, but its score breaks."""

    def __init__(self, raise_in_fit: BaseException | None = None) -> None:
        self.raise_in_fit = raise_in_fit

    def fit(self, X: Any, y: Any) -> Fragile:
        if self.raise_in_fit is not None:
            raise self.raise_in_fit
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> Any:
        return np.full(len(X), self.classes_[0])

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        raise RuntimeError("score is broken")


def test_trouble_while_recording_warns_once_and_the_fit_returns_as_usual() -> None:
    nbtrack.autolog()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # count every warning issued, not Python's once-per-place
        first = Fragile().fit(X, Y)
        second = Fragile().fit(X, Y)
    assert [(w.category, str(w.message)) for w in caught] == [
        (AutologWarning, "nbtrack.autolog could not score Fragile.fit: score is broken")
    ]
    assert isinstance(first, Fragile)
    assert isinstance(second, Fragile)
    run = stored()  # what could be recorded was
    assert params_of(run)["raise_in_fit"] == (None, "code")
    assert metrics_of(run)["fit_seconds"][1] == 2
    assert "training_score" not in metrics_of(run)


def test_the_users_exception_object_itself_propagates() -> None:
    nbtrack.autolog()
    error = KeyError("the user's own")
    with pytest.raises(KeyError) as caught:
        Fragile(raise_in_fit=error).fit(X, Y)
    assert caught.value is error
    assert nbtrack.active_run() is None


def test_a_class_defined_after_autolog_is_recorded() -> None:
    nbtrack.autolog()

    class Late(Fragile):
        def fit(self, X: Any, y: Any) -> Late:
            self.classes_ = np.unique(y)
            return self

        def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
            return 0.25

    assert "fit" in Late.__dict__
    assert hasattr(Late.fit, "__wrapped__")
    Late().fit(X, Y)
    assert metrics_of(stored())["training_score"] == (0.25, 1)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_options_that_are_not_booleans_are_a_usage_error(value: object) -> None:
    with pytest.raises(UsageError, match=r"autolog\(log_models=\.\.\.\) takes True or False"):
        nbtrack.autolog(log_models=value)  # type: ignore[arg-type]
    assert not state().enabled


def test_a_store_that_cannot_be_opened_is_a_warning_at_the_users_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", "mysql://nowhere/runs")
    nbtrack.autolog()
    with pytest.warns(AutologWarning, match="could not record LogisticRegression.fit.*mysql") as w:
        model = LogisticRegression(max_iter=300).fit(X_SCALED, Y)
    assert w[0].filename == __file__  # shown where the user called fit, not inside nbtrack
    assert model.score(X_SCALED, Y) > 0.9  # the fit itself went ahead
    assert nbtrack.active_run() is None


def test_a_transformer_defined_after_autolog_keeps_set_output_through_off_and_on() -> None:
    from sklearn.base import TransformerMixin

    nbtrack.autolog()

    class Halve(TransformerMixin, BaseEstimator):
        def fit(self, X: Any, y: Any = None) -> Halve:
            self.n_features_in_ = np.asarray(X).shape[1]
            return self

        def transform(self, X: Any) -> Any:
            return np.asarray(X) / 2

        def fit_transform(self, X: Any, y: Any = None) -> Any:
            return self.fit(X, y).transform(X)

        def get_feature_names_out(self, input_features: Any = None) -> Any:
            return np.array([f"h{i}" for i in range(self.n_features_in_)], dtype=object)

    def as_frame() -> Any:
        return Halve().set_output(transform="pandas").fit_transform(X[:5])

    assert list(as_frame().columns) == ["h0", "h1", "h2", "h3"]
    nbtrack.autolog(disable=True)
    assert list(as_frame().columns) == ["h0", "h1", "h2", "h3"]  # set_output's wrapper kept
    get_tracker().end_run()
    nbtrack.autolog()
    frame = as_frame()
    assert list(frame.columns) == ["h0", "h1", "h2", "h3"]
    assert np.allclose(frame.to_numpy(), X[:5] / 2)
    assert metrics_of(stored())["fit_seconds"][1] == 1  # recorded once, not by two wrappers


def test_a_model_that_does_not_pickle_is_a_warning_and_the_rest_is_recorded() -> None:
    from sklearn.preprocessing import FunctionTransformer

    nbtrack.autolog(log_models=True)
    pipe = Pipeline([("same", FunctionTransformer(lambda x: x)), ("clf", Ridge())])
    with pytest.warns(AutologWarning, match=r"could not record Pipeline\.fit: .*pickle"):
        pipe.fit(X, Y)
    run = stored()
    assert run.artifacts == ()
    assert params_of(run)["same.func"][0].endswith("<lambda>")
    assert metrics_of(run)["training_score"] == (pytest.approx(pipe.score(X, Y)), 1)


def test_another_model_class_gets_a_run_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    nbtrack.autolog()
    LogisticRegression(max_iter=300).fit(X_SCALED, Y)
    first = stored()
    Ridge().fit(X_SCALED, Y)
    second = stored()
    assert second.id != first.id
    assert first.tags["estimator"] == "LogisticRegression"
    assert second.tags["estimator"] == "Ridge"
    assert "C" not in params_of(second)  # nothing of the first model carried over
    assert f"Ridge (after LogisticRegression): ended run {first.id[:8]}" in capsys.readouterr().out
