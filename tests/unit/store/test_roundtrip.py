"""Every record type goes in and comes back out the same, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path

import pytest

from nbtrack.errors import RunNotFoundError, StoreError
from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Param,
    ParamSource,
    RunEvent,
    RunStatus,
    Source,
)
from nbtrack.store.base import Store


def new_run(store: Store, name: str | None = "baseline", **kwargs: object) -> str:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=name, started_at=time.time(), **kwargs)  # type: ignore[arg-type]
    return run_id


def test_created_run_reads_back_running_with_its_capture(store: Store) -> None:
    git = GitState(commit="a" * 40, branch="main", dirty=True, diff="+x\n", remote="origin")
    env = Environment(
        python="3.11.7",
        platform="Linux",
        host="box",
        user="ana",
        cwd="/w",
        argv=("python", "train.py"),
        packages={"numpy": "1.26.0"},
    )
    source = Source(
        path="train.ipynb", snapshot="# %%\nx = 1\n", snapshot_hash="sha256:ab", stale=False
    )
    run_id = new_run(store, tags={"team": "vision"}, git=git, environment=env, source=source)

    run = store.get_run(run_id)

    assert run.id == run_id
    assert run.name == "baseline"
    assert run.status is RunStatus.RUNNING
    assert run.tags == {"team": "vision"}
    assert run.git == git
    assert run.environment == env
    assert run.source == source
    assert run.notebook == "train.ipynb"


def test_params_keep_type_source_and_are_replaced_by_key(store: Store) -> None:
    run_id = new_run(store)
    store.log_params(
        run_id,
        [
            Param("lr", 0.01),
            Param("epochs", 20, ParamSource.NOTEBOOK),
            Param("optimizer", "adam", ParamSource.CLI),
            Param("layers", [64, 32]),
            Param("extra", {"a": True, "b": None}, ParamSource.FILE),
        ],
    )
    store.log_params(run_id, [Param("lr", 0.02)])

    params = {p.key: p for p in store.get_run(run_id).params}

    assert params["lr"].value == 0.02
    assert params["epochs"] == Param("epochs", 20, ParamSource.NOTEBOOK)
    assert isinstance(params["epochs"].value, int)
    assert params["optimizer"] == Param("optimizer", "adam", ParamSource.CLI)
    assert params["layers"].value == [64, 32]
    assert params["extra"] == Param("extra", {"a": True, "b": None}, ParamSource.FILE)


def test_metrics_summarise_last_min_max_count_and_keep_history(store: Store) -> None:
    run_id = new_run(store)
    t0 = time.time()
    store.log_metrics(run_id, [("loss", 1.0 / (i + 1), i, t0 + i) for i in range(10)])
    store.heartbeat(run_id, t0 + 20, [("loss", 5.0, 3, t0 + 21), ("acc", 0.9, None, t0 + 22)])

    summary = {m.key: m for m in store.get_run(run_id).metrics}
    history = store.metric_history(run_id, "loss")

    assert summary["loss"].count == 11
    assert summary["loss"].last == pytest.approx(0.1)  # step 9 is the last step
    assert summary["loss"].last_step == 9
    assert summary["loss"].min == pytest.approx(0.1)
    assert summary["loss"].max == 5.0
    assert summary["acc"].last == 0.9
    assert summary["acc"].last_step is None
    assert [m.step for m in history] == [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9]


def test_nan_and_infinities_round_trip(store: Store) -> None:
    run_id = new_run(store)
    t0 = time.time()
    store.log_metrics(
        run_id,
        [
            ("x", math.nan, 0, t0),
            ("x", math.inf, 1, t0),
            ("x", -math.inf, 2, t0),
            ("y", math.nan, 0, t0),
        ],
    )

    history = [m.value for m in store.metric_history(run_id, "x")]
    summary = {m.key: m for m in store.get_run(run_id).metrics}
    listed = store.list_runs()[0].metrics

    assert math.isnan(history[0])
    assert history[1:] == [math.inf, -math.inf]
    assert summary["x"].last == -math.inf
    assert (summary["x"].min, summary["x"].max) == (-math.inf, math.inf)
    assert math.isnan(summary["y"].last)
    assert math.isnan(summary["y"].min)  # every point NaN: no min either
    assert math.isnan(listed["y"])
    assert listed["x"] == -math.inf


def test_a_large_interleaved_batch_keeps_every_point_in_order(store: Store) -> None:
    # more rows than one multi-row INSERT takes, and not a multiple of it
    run_id = new_run(store)
    specials = [math.nan, math.inf, -math.inf, 0.0, -0.0]
    rows = [
        (key, specials[i % 5] if i % 7 == 0 else i / 10, i, 100.0 + i)
        for i in range(1001)
        for key in ("a", "b", "c")
        if not (key == "c" and i % 2)
    ]
    store.log_metrics(run_id, rows[:500])
    store.heartbeat(run_id, time.time(), rows[500:])

    summary = {m.key: m for m in store.get_run(run_id).metrics}
    for key in ("a", "b", "c"):
        sent = [(v, step, ts) for k, v, step, ts in rows if k == key]
        history = store.metric_history(run_id, key)
        got = [(m.value, m.step, m.timestamp) for m in history]
        assert len(got) == len(sent) == summary[key].count
        for (v1, s1, t1), (v2, s2, t2) in zip(got, sent, strict=True):
            assert (s1, t1) == (s2, t2)
            assert (math.isnan(v1) and math.isnan(v2)) or v1 == v2
        finite = [v for v, _, _ in sent if not math.isnan(v)]
        assert (summary[key].min, summary[key].max) == (min(finite), max(finite))
        assert summary[key].last == sent[-1][0]
        assert summary[key].last_step == sent[-1][1]


def test_text_with_nul_characters_round_trips_exactly_and_can_be_queried(store: Store) -> None:
    # PostgreSQL text cannot hold NUL; both stores must keep it all the same
    esc = "\ue000"  # the encoding's escape character must round-trip too
    nul = f"a\x00b{esc}0{esc}1\x00"
    run_id = new_run(
        store,
        name=f"run {nul}",
        tags={f"t{nul}": nul},
        git=GitState(branch=f"b{nul}", diff=f"+{nul}\n"),
        source=Source(path=f"nb{nul}.ipynb", snapshot=f"x = '{nul}'\n"),
    )
    store.log_params(run_id, [Param(f"p{nul}", nul), Param("d", {"k": [nul]})])
    store.log_metrics(run_id, [(f"m{nul}", 1.0, 0, 1.0), (f"m{nul}", 2.0, 1, 2.0)])
    store.add_data_ref(run_id, DataRef(f"data{nul}", "file", "sha256:0", 1, {nul: nul}, 3.0))
    store.add_event(run_id, RunEvent(f"note{nul}", 4.0, {"text": nul}))
    store.set_tags(run_id, {"plain": esc})

    run = store.get_run(run_id)
    (listed,) = store.list_runs()

    assert run.name == listed.name == f"run {nul}"
    assert run.tags == listed.tags == {f"t{nul}": nul, "plain": esc}
    assert (run.git.branch, run.git.diff) == (f"b{nul}", f"+{nul}\n")
    assert run.source.path == listed.notebook == f"nb{nul}.ipynb"
    assert run.source.snapshot == f"x = '{nul}'\n"
    assert {p.key: p.value for p in run.params} == {f"p{nul}": nul, "d": {"k": [nul]}}
    assert listed.params == {f"p{nul}": nul, "d": {"k": [nul]}}
    assert [(m.key, m.last, m.count) for m in run.metrics] == [(f"m{nul}", 2.0, 2)]
    assert [m.value for m in store.metric_history(run_id, f"m{nul}")] == [1.0, 2.0]
    assert run.data[0].path == f"data{nul}"
    assert run.data[0].detail == {nul: nul}
    assert run.events[0].kind == f"note{nul}"
    found = [r.id for r in store.list_runs(where=f"params.`p{nul}` = '{nul}'")]
    assert found == [run_id]
    assert [r.id for r in store.list_runs(where=f"tags.`t{nul}` contains 'b{esc}'")] == [run_id]
    assert store.list_runs(where="tags.plain = 1") == []


def test_tags_name_source_data_artifacts_events(store: Store, tmp_path: Path) -> None:
    run_id = new_run(store, name=None)
    store.set_tags(run_id, {"team": "vision", "stage": "dev"})
    store.set_tags(run_id, {"stage": "prod"})
    store.set_name(run_id, "renamed")
    store.set_source(run_id, Source(path="nb/train.ipynb", snapshot="x = 1\n", stale=True))
    ref = DataRef("data/train.csv", "file", "sha256:" + "0" * 64, 123, {"rows": 3}, 10.0)
    store.add_data_ref(run_id, ref)
    model = tmp_path / "model.pkl"
    model.write_bytes(b"weights" * 1000)
    digest, size, uri = store.put_artifact(model)
    artifact = Artifact("model.pkl", digest, size, "application/octet-stream", uri, 11.0)
    store.add_artifact(run_id, artifact)
    event = RunEvent("cell_error", 12.0, {"cell": 3, "error": "ZeroDivisionError"})
    store.add_event(run_id, event)

    run = store.get_run(run_id)

    assert run.name == "renamed"
    assert run.tags == {"stage": "prod", "team": "vision"}
    assert run.source.path == "nb/train.ipynb"
    assert run.source.stale is True
    assert run.data == (ref,)
    assert run.artifacts == (artifact,)
    assert run.events == (event,)
    assert store.artifact_path(artifact).read_bytes() == model.read_bytes()


def test_artifacts_are_content_addressed_and_deduplicated(store: Store) -> None:
    import hashlib

    first = store.put_artifact_bytes(b"png bytes")
    second = store.put_artifact_bytes(b"png bytes")

    assert first == second
    assert first[0] == "sha256:" + hashlib.sha256(b"png bytes").hexdigest()
    assert first[1] == len(b"png bytes")
    path = store.artifact_path(Artifact("f", first[0], first[1], "image/png", first[2]))
    assert path.read_bytes() == b"png bytes"
    assert not list((path.parents[2] / "tmp").iterdir())  # no temp file left behind


def test_missing_artifact_file_is_one_sentence(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"artifact file .*nope\.bin does not exist"):
        store.put_artifact(tmp_path / "nope.bin")


def test_end_run_sets_status_and_end_time(store: Store) -> None:
    run_id = new_run(store)
    ended = time.time() + 5
    store.end_run(run_id, RunStatus.FAILED, ended)

    run = store.get_run(run_id)

    assert run.status is RunStatus.FAILED
    assert run.ended_at == ended
    assert run.duration == pytest.approx(5, abs=0.5)


def test_running_run_with_stale_heartbeat_reads_crashed_everywhere(store: Store) -> None:
    stale = uuid.uuid4().hex
    long_ago = time.time() - 10 * store.heartbeat_timeout
    store.create_run(run_id=stale, name="killed", started_at=long_ago)
    store.log_metrics(stale, [("loss", 0.5, 1, long_ago)])
    new_run(store, name="alive")

    assert store.get_run(stale).status is RunStatus.CRASHED
    assert store.get_run(stale).metrics[0].last == 0.5  # what was flushed is kept
    statuses = {r.name: r.status for r in store.list_runs()}
    assert statuses == {"killed": RunStatus.CRASHED, "alive": RunStatus.RUNNING}
    assert [r.name for r in store.list_runs(where="status = CRASHED")] == ["killed"]
    assert [r.name for r in store.list_runs(where="status = running")] == ["alive"]

    store.heartbeat(stale, time.time())
    assert store.get_run(stale).status is RunStatus.RUNNING


def test_writing_to_an_unknown_run_names_it(store: Store) -> None:
    ghost = "f" * 32
    with pytest.raises(RunNotFoundError, match=ghost):
        store.log_params(ghost, [Param("lr", 1)])
    with pytest.raises(RunNotFoundError, match=ghost):
        store.log_metrics(ghost, [("loss", 1.0, 0, 0.0)])


def test_in_memory_sqlite_store_works_across_threads(project_root: Path) -> None:
    import threading

    from nbtrack.config import load_settings
    from nbtrack.store import open_store

    store = open_store("sqlite://", settings=load_settings(project_root))
    run_id = new_run(store)
    writer = threading.Thread(target=store.log_metrics, args=(run_id, [("x", 1.0, 0, 0.0)]))
    writer.start()
    writer.join()
    assert store.list_runs()[0].metrics == {"x": 1.0}
    store.close()


def test_sqlite_lock_held_past_the_busy_timeout_is_one_sentence(
    sqlite_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from nbtrack.config import load_settings
    from nbtrack.store import _engine, open_store

    monkeypatch.setattr(_engine, "BUSY_TIMEOUT", 0.2)  # a real lock, a shorter wait
    store = open_store(sqlite_url, settings=load_settings(project_root))
    run_id = new_run(store)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        with pytest.raises(
            StoreError, match=r"stayed locked by another process for more than 0\.2 s\.$"
        ):
            store.log_metrics(run_id, [("loss", 1.0, 0, 0.0)])
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.log_metrics(run_id, [("loss", 1.0, 0, 0.0)])  # and works once the lock is gone
    assert store.get_run(run_id).metrics[0].count == 1
    store.close()
