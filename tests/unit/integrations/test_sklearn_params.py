"""An estimator's params as JSON a comparison can show: dotted names, readable values."""

from __future__ import annotations

import enum
import functools
import json
import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from nbtrack.integrations.sklearn.params import (
    LIST_LIMIT,
    REPR_LIMIT,
    estimator_params,
    json_safe,
    search_params,
)


def scale(values: object) -> object:
    return values


class Colour(enum.Enum):
    RED = "red"


class Chatty:
    def __repr__(self) -> str:
        return "x" * (REPR_LIMIT + 1)


class Broken:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (3, 3),
        (0.5, 0.5),
        ("lbfgs", "lbfgs"),
        (np.int64(4), 4),
        (np.float32(0.5), 0.5),
        (np.bool_(False), False),
        (np.str_("l2"), "l2"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (Colour.RED, "red"),
        (np.float64, "float64"),  # a class: dtype=np.float64
        (LogisticRegression(C=2.0), "LogisticRegression"),
        (scale, "scale"),
        (functools.partial(scale, 1), "partial(scale)"),
        (np.zeros((3, 2)), "ndarray of shape (3, 2), dtype float64"),
        ({"a": 1, 2: [0.5, None]}, {"a": 1, "2": [0.5, None]}),
        ((1, "two", (3,)), [1, "two", [3]]),
        ({3, 1, 2}, [1, 2, 3]),
        (list(range(LIST_LIMIT + 1)), f"list of {LIST_LIMIT + 1} items"),
        (KFold(n_splits=4), "KFold(n_splits=4, random_state=None, shuffle=False)"),
        (np.random.RandomState(0), "RandomState"),  # its repr holds a memory address
        (Chatty(), "Chatty"),
        (Broken(), "Broken"),
    ],
)
def test_json_safe_values(value: object, expected: object) -> None:
    converted = json_safe(value)
    assert converted == expected
    assert json.loads(json.dumps(converted)) == converted  # really JSON


def test_a_lambda_keeps_its_qualified_name() -> None:
    assert json_safe(lambda x: x).endswith("<lambda>")  # type: ignore[union-attr]


def test_a_self_containing_list_stops_at_the_depth_limit() -> None:
    loop: list[object] = []
    loop.append(loop)
    text = json.dumps(json_safe(loop))
    assert text.count("[") < 10
    assert '"list"' in text


def test_nested_names_are_dotted_and_sorted() -> None:
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("fn", FunctionTransformer(scale)),
            ("clf", LogisticRegression()),
        ]
    )
    params = estimator_params(pipe)
    assert list(params) == sorted(params)
    assert params["clf.C"] == 1.0
    assert params["fn.func"] == "scale"
    assert params["scale"] == "StandardScaler"
    assert not any("__" in name for name in params)
    assert set(params) == {name.replace("__", ".") for name in pipe.get_params(deep=True)}


def test_search_params_before_and_after_the_search() -> None:
    search = GridSearchCV(LogisticRegression(), {"C": [0.5, 1.0]})
    assert search_params(search) == {}
    search.best_params_ = {"C": 0.5, "clf__penalty": "l2"}  # as fit leaves it
    assert search_params(search) == {"best_params.C": 0.5, "best_params.clf.penalty": "l2"}
    assert search_params(LogisticRegression()) == {}


def test_the_name_limit_is_the_ledgers() -> None:
    from nbtrack.integrations.sklearn.params import MAX_KEY_LENGTH
    from nbtrack.tracking import ledger

    assert ledger.MAX_KEY_LENGTH == MAX_KEY_LENGTH


def test_a_name_too_long_for_the_store_is_left_out() -> None:
    class Deep(LogisticRegression):
        def get_params(self, deep: bool = True) -> dict[str, object]:
            return {"a" * 251: 1, "short": math.pi}

    assert estimator_params(Deep()) == {"short": math.pi}
