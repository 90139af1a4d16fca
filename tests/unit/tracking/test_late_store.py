"""LateStore: every Store method reaches the real store once it answers, none before."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from nbtrack.config import load_settings
from nbtrack.errors import StoreError, StoreUnreachableError
from nbtrack.store.base import Store
from nbtrack.tracking.late_store import LateStore


class RealStore:
    """Stands in for the opened store: records every call and answers with its name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def method(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return f"answer of {name}"

        return method


def store_methods() -> list[str]:
    """Every public method of the Store interface, abstract or not, close last."""
    names = {n for n, v in vars(Store).items() if callable(v) and not n.startswith("_")}
    assert set(Store.__abstractmethods__) <= names
    return [*sorted(names - {"close"}), "close"]


def arguments(name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A distinct value for every parameter of ``Store.<name>``, passed as it is declared."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    parameters = list(inspect.signature(getattr(Store, name)).parameters.values())[1:]
    for parameter in parameters:
        value: Any = f"{name}.{parameter.name}"
        if parameter.name == "path":
            value = Path(value)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return tuple(args), kwargs


def late_store(url: str, project_root: Path) -> LateStore:
    return LateStore(url, load_settings(project_root))  # type: ignore[abstract]


def test_every_store_method_is_served_by_the_real_store_once_it_answers(
    down_url: str, project_root: Path
) -> None:
    # a method added to Store is served without an edit to LateStore, or this fails
    assert not LateStore.__abstractmethods__
    late = late_store(down_url, project_root)
    real = RealStore()
    late._store = real  # type: ignore[assignment]  # reached at last
    for name in store_methods():
        args, kwargs = arguments(name)
        answer = getattr(late, name)(*args, **kwargs)
        assert real.calls[-1] == (name, args, kwargs), name
        assert answer == (None if name == "close" else f"answer of {name}"), name
    assert [call[0] for call in real.calls] == store_methods()


def test_before_the_store_answers_every_method_raises_that_it_cannot_be_reached(
    down_url: str, project_root: Path
) -> None:
    late = late_store(down_url, project_root)
    for name in store_methods():
        if name == "close":
            continue
        args, kwargs = arguments(name)
        with pytest.raises(StoreUnreachableError, match="Cannot reach the PostgreSQL store"):
            getattr(late, name)(*args, **kwargs)
    assert late.opened is None
    with pytest.raises(StoreUnreachableError, match=r"model\.pkl was not stored: .* log it again"):
        late.put_artifact(project_root / "model.pkl")
    with pytest.raises(StoreUnreachableError, match="the figure was not stored"):
        late.put_artifact_bytes(b"png")


def test_a_store_that_answers_is_opened_once_and_kept(project_root: Path) -> None:
    late = late_store(f"sqlite:///{project_root / 'runs.db'}", project_root)
    assert late.opened is None
    assert late.list_runs() == []
    opened = late.opened
    assert opened is not None
    assert late.count_runs() == 0
    assert late.opened is opened
    late.close()
    assert late.opened is None


def test_a_closed_late_store_is_not_opened_again(project_root: Path) -> None:
    late = late_store(f"sqlite:///{project_root / 'runs.db'}", project_root)
    real = RealStore()
    late._store = real  # type: ignore[assignment]
    late.close()
    assert real.calls == [("close", (), {})]
    with pytest.raises(StoreError, match="is closed") as caught:
        late.get_run("abc")
    assert not isinstance(caught.value, StoreUnreachableError)
    with pytest.raises(StoreError, match="was not stored"):
        late.put_artifact_bytes(b"png")
    late.close()  # twice is fine
