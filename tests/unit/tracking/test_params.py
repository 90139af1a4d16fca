"""Params: normalisation, the repr warning, conflicts with both values, redaction."""

from __future__ import annotations

import enum
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack.model import ParamSource
from nbtrack.tracking.ledger import REDACTED, ParamLedger, ParamWarning, looks_secret, normalise


class Color(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (0.01, 0.01),
        (20, 20),
        (True, True),
        (None, None),
        ("adam", "adam"),
        ((1, 2, 3), [1, 2, 3]),
        ({"layers": (64, 32), "act": "relu"}, {"layers": [64, 32], "act": "relu"}),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7),
        (np.bool_(True), True),
        (Color.RED, "red"),
        (Path("data/train.csv"), "data/train.csv"),
        ({1: "a"}, {"1": "a"}),
    ],
)
def test_supported_values_are_stored_as_json_data(given: object, stored: object) -> None:
    value = normalise("p", given)
    assert value == stored
    assert type(value) is type(stored)


def test_numpy_scalars_become_python_numbers() -> None:
    assert type(normalise("n", np.int32(3))) is int
    assert type(normalise("x", np.float64(0.25))) is float


def test_other_objects_are_stored_as_repr_with_a_warning_naming_the_key() -> None:
    class Model:
        def __repr__(self) -> str:
            return "Model(depth=3)"

    with pytest.warns(ParamWarning, match="param 'model'"):
        assert normalise("model", Model()) == "Model(depth=3)"


def test_a_set_inside_a_list_is_stored_as_repr_with_a_warning() -> None:
    with pytest.warns(ParamWarning, match="'features'"):
        assert normalise("features", [{1}]) == ["{1}"]


def test_logging_a_different_value_names_both_values_and_the_run() -> None:
    ledger = ParamLedger("3f9c2a1b" + "0" * 24)
    ledger.commit(ledger.prepare({"lr": 0.01}))
    with pytest.raises(nbtrack.ParamError) as caught:
        ledger.prepare({"lr": 0.1})
    assert str(caught.value) == (
        "param 'lr' was already logged as 0.01 for run 3f9c2a1b; refusing to change it to 0.1"
    )
    assert caught.value.key == "lr"


def test_logging_the_same_value_again_is_a_no_op() -> None:
    ledger = ParamLedger("a" * 32)
    ledger.commit(ledger.prepare({"epochs": 20, "layers": [1, 2]}))
    assert ledger.prepare({"epochs": 20, "layers": (1, 2)}) == []
    assert ledger.prepare({"epochs": 20.0}) == []  # 20 and 20.0 are one number


def test_true_and_one_are_different_param_values() -> None:
    ledger = ParamLedger("a" * 32)
    ledger.commit(ledger.prepare({"flag": 1}))
    with pytest.raises(nbtrack.ParamError):
        ledger.prepare({"flag": True})


def test_a_conflicting_batch_records_nothing() -> None:
    ledger = ParamLedger("a" * 32)
    ledger.commit(ledger.prepare({"lr": 0.01}))
    with pytest.raises(nbtrack.ParamError):
        ledger.prepare({"epochs": 3, "lr": 0.5})
    assert "epochs" not in ledger


def test_param_names_must_be_non_empty_strings() -> None:
    ledger = ParamLedger("a" * 32)
    with pytest.raises(nbtrack.ParamError, match="non-empty strings"):
        ledger.prepare({"": 1})
    with pytest.raises(nbtrack.ParamError, match="non-empty strings, not 3"):
        ledger.prepare({3: 1})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "name",
    ["password", "db.password", "DB_PASSWD", "HF_TOKEN", "auth_token", "authToken", "api_key",
     "OPENAI_APIKEY", "client_secret", "aws.secret_access_key", "api-key"],
)  # fmt: skip
def test_secret_looking_names_are_recognised(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["lr", "max_tokens", "tokenizer", "num_tokens", "keyboard"])
def test_ordinary_names_are_not_secrets(name: str) -> None:
    assert not looks_secret(name)


def test_secret_params_are_stored_redacted() -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_params({"db.password": "hunter2", "HF_TOKEN": "hf_abc", "lr": 0.1})
    stored = {p.key: p.value for p in nbtrack.get_run(run.id).params}
    assert stored == {"db.password": REDACTED, "HF_TOKEN": REDACTED, "lr": 0.1}


def test_a_redacted_param_still_conflicts_without_showing_either_value() -> None:
    with nbtrack.start_run():
        nbtrack.log_param("api_key", "sk-one")
        nbtrack.log_param("api_key", "sk-one")  # same value: fine
        with pytest.raises(nbtrack.ParamError) as caught:
            nbtrack.log_param("api_key", "sk-two")
    assert "redacted" in str(caught.value)
    assert "sk-" not in str(caught.value)


def test_redaction_can_be_turned_off_per_call() -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_param("token", "public-demo-token", redact=False)
    assert nbtrack.get_run(run.id).params[0].value == "public-demo-token"


def test_redaction_can_be_turned_off_in_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_REDACT_SECRETS", "false")
    with nbtrack.start_run() as run:
        nbtrack.log_param("password", "not-really")
    assert nbtrack.get_run(run.id).params[0].value == "not-really"


def test_params_round_trip_through_the_store_with_their_source() -> None:
    with nbtrack.start_run() as run:
        run.log_params({"layers": (64, 32), "opt": {"name": "adam"}}, source=ParamSource.FILE)
        nbtrack.log_param("seed", np.int64(1))
    stored = {p.key: p for p in nbtrack.get_run(run.id).params}
    assert stored["layers"].value == [64, 32]
    assert stored["opt"].value == {"name": "adam"}
    assert stored["layers"].source is ParamSource.FILE
    assert stored["seed"].value == 1
    assert stored["seed"].source is ParamSource.CODE


def test_the_magics_can_ask_what_is_logged_and_whether_a_value_differs() -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_param("lr", 0.01)
        assert run.param("lr") is not None
        assert run.param("lr").value == 0.01  # type: ignore[union-attr]
        assert run.param("epochs") is None
        assert not run.param_differs("lr", 0.01)
        assert run.param_differs("lr", 0.1)
        assert not run.param_differs("epochs", 3)  # not logged: nothing to differ from
        assert set(run.params) == {"lr"}


def test_a_param_name_longer_than_the_store_keeps_is_refused() -> None:
    ledger = ParamLedger("a" * 32)
    with pytest.raises(nbtrack.ParamError, match="251 characters long; the limit is 250"):
        ledger.prepare({"p" * 251: 1})
