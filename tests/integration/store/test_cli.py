"""`nbtrack runs`, `show` and `db` as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from functools import partial
from pathlib import Path

import pytest

from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Param,
    RunEvent,
    RunStatus,
    Source,
)
from nbtrack.store.base import Store
from tests.helpers.cli import Invoke, nbtrack


@pytest.fixture
def invoke(store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(project_root)
    return partial(nbtrack, env={"NBTRACK_STORE": store_url})


def make_runs(store: Store, count: int) -> list[str]:
    ids = []
    t0 = time.time() - 1000
    for i in range(count):
        run_id = f"{i:02x}" + "5" * 30
        store.create_run(
            run_id=run_id,
            name=f"run-{i}",
            started_at=t0 + i,
            source=Source(path="train.ipynb"),
            git=GitState(commit="c" * 40, branch="main", dirty=False),
            environment=Environment(
                python="3.11.7",
                platform="Linux-x86_64",
                host="box",
                user="ana",
                packages={"numpy": "1"},
            ),
        )
        store.log_params(
            run_id, [Param("lr", 10.0 ** -(i % 4)), Param("epochs", 5), Param("seed", i)]
        )
        store.log_metrics(
            run_id, [("val_acc", 0.5 + i / 100, 0, t0 + i), ("loss", 1.0 / (i + 1), 0, t0 + i)]
        )
        store.end_run(run_id, RunStatus.FINISHED, t0 + i + 65)
        ids.append(run_id)
    return ids


def test_runs_on_an_empty_store_says_how_to_start(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("runs")
    assert result.exit_code == 0
    assert result.stdout.startswith("No runs yet in ")
    assert "nbtrack.start_run()" in result.stdout
    assert json.loads(invoke("runs", "--format", "json").stdout) == []


def test_runs_table_lists_newest_first_with_varying_columns_and_more_line(
    invoke, store: Store
) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 25)

    result = invoke("runs")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[:6] == ["id", "name", "status", "notebook", "started", "duration"]
    assert "params.lr" in header
    assert "params.seed" in header
    assert "params.epochs" not in header  # the same in every run: no column
    assert "metrics.val_acc" in header
    assert lines[1].split()[:3] == ["18555555", "run-24", "FINISHED"]
    assert "1m 05s" in lines[1]
    assert len(lines) == 1 + 20 + 1
    more = re.fullmatch(
        r"\.\.\. and 5 more runs \(next page: --after (\S+); --limit 0 lists all\)\.", lines[-1]
    )
    assert more is not None, lines[-1]
    rest = invoke("runs", "--after", more.group(1))
    assert rest.exit_code == 0, rest.output
    names = [line.split()[1] for line in rest.stdout.splitlines()[1:]]
    assert names == ["run-4", "run-3", "run-2", "run-1", "run-0"]  # the last page: no more line


def test_a_quoted_key_in_where_or_sort_is_the_first_column(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    ids = make_runs(store, 3)
    for number, run_id in enumerate(ids):
        store.log_params(run_id, [Param("my key", number), Param("same", 1)])
        store.log_metrics(run_id, [("val acc", number / 10, 0, time.time())])

    result = invoke(
        "runs",
        "--where",
        'params."same" = 1 and params.`my key` >= 0',
        "--sort",
        "metrics.`val acc`",
    )

    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split("  ")
    columns = [c.strip() for c in header if c.strip()]
    # mentioned first, in order, though "same" never varies; a key with a space is one column
    assert columns[6:8] == ["params.same", "params.my key"]
    assert "metrics.val acc" in columns
    assert columns.index("metrics.val acc") < columns.index("metrics.val_acc")


def test_runs_json_filters_sorts_and_round_trips(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 12)
    store.log_metrics("00" + "5" * 30, [("val_acc", math.nan, 5, time.time())])

    result = invoke(
        "runs",
        "--where",
        "params.lr < 0.05 and metrics.val_acc > 0.52",
        "--sort",
        "-metrics.val_acc",
        "--format",
        "json",
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["run-11", "run-10", "run-7", "run-6", "run-3"]
    assert rows[0]["params"] == {"epochs": 5, "lr": 0.001, "seed": 11}
    assert rows[0]["metrics"]["val_acc"] == pytest.approx(0.61)
    assert rows[0]["status"] == "FINISHED"
    assert rows[0]["duration"] == pytest.approx(65)
    nan_run = json.loads(invoke("runs", "--where", "id = 00", "--format", "json").stdout)
    assert nan_run[0]["metrics"]["val_acc"] == "NaN"  # strict JSON, no bare NaN


def test_runs_csv_has_a_column_per_key(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 3)
    result = invoke("runs", "--format", "csv", "--limit", "2")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in rows] == ["run-2", "run-1"]
    assert rows[0]["params.lr"] == "0.01"
    assert float(rows[0]["metrics.loss"]) == pytest.approx(1 / 3)


def test_malformed_where_is_one_sentence_exit_2(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 1)
    result = invoke("runs", "--where", "params.lr << 1")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: Cannot read --where 'params.lr << 1' at position 12: "
        "expected a value after params.lr <, found '<'."
    )


def test_show_by_prefix_renders_every_section(invoke, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (run_id,) = make_runs(store, 1)
    store.set_tags(run_id, {"team": "vision"})
    store.add_data_ref(run_id, DataRef("data/train.csv", "file", "sha256:" + "1" * 64, 2048))
    digest, size, uri = store.put_artifact_bytes(b"model")
    store.add_artifact(
        run_id, Artifact("model.pkl", digest, size, "application/octet-stream", uri, 1.0)
    )
    store.add_event(run_id, RunEvent("cell_error", time.time(), {"cell": 4}))

    result = invoke("show", run_id[:6])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"id:       {run_id}" in out
    assert "status:   FINISHED" in out
    assert "duration: 1m 05s" in out
    assert "tags:     team=vision" in out
    for section in (
        "Params (3)",
        "Metrics (2)",
        "Data (1)",
        "Artifacts (1)",
        "Events (1)",
        "Git",
        "Environment",
    ):
        assert section in out
    assert ["lr", "1", "code"] in [line.split() for line in out.splitlines()]
    assert "data/train.csv" in out
    assert "model.pkl" in out
    assert f"commit {'c' * 40} on main, clean" in out
    assert "python 3.11.7 on Linux-x86_64" in out
    assert "1 packages installed" in out


def test_show_json_parses_back(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    (run_id,) = make_runs(store, 1)
    data = json.loads(invoke("show", run_id, "--format", "json").stdout)
    assert data["id"] == run_id
    assert data["status"] == "FINISHED"
    assert {p["key"]: p["value"] for p in data["params"]} == {"lr": 1.0, "epochs": 5, "seed": 0}
    assert {m["key"]: m["count"] for m in data["metrics"]} == {"loss": 1, "val_acc": 1}
    assert data["environment"]["packages"] == {"numpy": "1"}


def test_show_unknown_and_ambiguous_ids_exit_2(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 2)
    unknown = invoke("show", "ffff")
    ambiguous = invoke("show", "0")
    assert unknown.exit_code == 2
    assert (
        unknown.stderr.strip()
        == "Error: No run matches the id 'ffff'; `nbtrack runs` lists run ids."
    )
    assert ambiguous.exit_code == 2
    assert "The id prefix '0' is ambiguous: it matches 2 runs" in ambiguous.stderr


def test_show_reports_crashed_for_a_stale_heartbeat(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    store.create_run(run_id="e" * 32, name="killed", started_at=time.time() - 3600)
    assert "status:   CRASHED" in invoke("show", "eee").stdout
    assert "CRASHED" in invoke("runs", "--where", "status = crashed").stdout


def test_db_status_masks_the_password(invoke, store_url: str) -> None:  # type: ignore[no-untyped-def]
    result = invoke("db", "status")
    assert result.exit_code == 0
    assert "nbtrack: 0005_team_store" in result.stdout
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_every_command_that_names_the_store_hides_a_password_in_its_query_string(
    pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libpq takes the password from the query string as well as from user:password@
    monkeypatch.chdir(project_root)
    url = f"{pg_url}?sslmode=disable&password=hunter2"
    masked = f"{pg_url}?sslmode=disable&password=***"
    env = {"NBTRACK_STORE": url}

    status = nbtrack("db", "status", env=env)
    upgrade = nbtrack("db", "upgrade", env=env)
    again = nbtrack("db", "upgrade", env=env)
    empty = nbtrack("runs", env=env)

    assert f"store:   {masked}" in status.stdout
    assert f"Created the run store {masked} at schema" in upgrade.stdout
    assert f"The run store {masked} is already at schema" in again.stdout
    assert f"No runs yet in {masked}." in empty.stdout
    for outcome in (status, upgrade, again, empty):
        assert outcome.exit_code == 0, outcome.text
        assert "hunter2" not in outcome.text


def test_limit_zero_lists_every_run_and_json_defaults_to_all(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 23)
    table = invoke("runs", "--limit", "0").stdout.splitlines()
    assert len(table) == 1 + 23
    assert len(json.loads(invoke("runs", "--format", "json").stdout)) == 23
    assert len(json.loads(invoke("runs", "--format", "json", "-n", "3").stdout)) == 3


def test_no_match_says_so(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 2)
    result = invoke("runs", "--where", "params.lr > 100")
    assert result.exit_code == 0
    assert result.stdout.strip() == "No runs match --where 'params.lr > 100'."


def _on_a_terminal(args: list[str], cwd: Path, store_url: str, columns: int) -> str:
    """What `nbtrack ARGS` prints to a real terminal *columns* wide, colours stripped."""
    import os
    import pty
    import re
    import subprocess
    import sys

    leader, follower = pty.openpty()
    env = {**os.environ, "NBTRACK_STORE": store_url, "COLUMNS": str(columns), "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", *args], cwd=cwd, env=env, stdout=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode()).replace("\r\n", "\n")


def test_runs_on_a_terminal_clips_long_names_instead_of_folding_ids(
    store: Store, store_url: str, project_root: Path
) -> None:
    from rich.cells import cell_len

    ids = make_runs(store, 3)
    store.set_name(ids[0], "a very long run name that would push every metric off the screen")
    store.set_source(ids[0], Source(path=str(project_root / "deep" / "folder" / "train.ipynb")))

    out = _on_a_terminal(["runs", "--where", "params.lr > 0"], project_root, store_url, 100)

    lines = out.splitlines()
    assert all(cell_len(line) <= 100 for line in lines), out
    assert "params.lr" in lines[1]
    for run_id in ids:
        assert sum(run_id[:8] in line for line in lines) == 1, out
    (first,) = [line for line in lines if ids[0][:8] in line]
    assert "│ a very lo… │" in first  # the name clipped, with an ellipsis
    assert "…folder/train.ipynb" in first  # a path keeps its end


def test_control_characters_in_user_text_stay_on_one_line(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    (run_id,) = make_runs(store, 1)
    store.set_name(run_id, "two\nlines")
    store.log_params(run_id, [Param("note", "tab\there\x00")])

    table = invoke("runs").stdout.splitlines()
    shown = invoke("show", run_id).stdout.splitlines()

    assert len(table) == 2
    assert "two\\nlines" in table[1]
    assert "name:     two\\nlines" in shown
    assert ["note", "tab\\there\\x00", "code"] in [line.split() for line in shown]
    (row,) = csv.DictReader(io.StringIO(invoke("runs", "--format", "csv").stdout))
    assert (row["name"], row["params.note"]) == ("two\nlines", "tab\there\x00")  # exact


def test_plain_tables_align_wide_cjk_text_by_display_width(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    import unicodedata

    def columns_of(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    first, _ = make_runs(store, 2)
    store.set_name(first, "学习率实验")  # five wide characters: ten columns
    table = invoke("runs").stdout.splitlines()
    # where "status" starts on screen is where each row's status starts
    at = columns_of(table[0][: table[0].index("status")])
    for line in table[1:]:
        assert columns_of(line[: line.index("FINISHED")]) == at, table


def test_json_is_complete_strict_and_names_artifact_files(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    (run_id,) = make_runs(store, 1)
    digest, size, uri = store.put_artifact_bytes(b"weights")
    store.add_artifact(run_id, Artifact("model.pkl", digest, size, "application/x", uri, 1.0))

    listed = json.loads(invoke("runs", "--format", "json").stdout)
    shown = json.loads(invoke("show", run_id, "--format", "json").stdout)

    assert list(listed[0]) == [
        "id", "name", "status", "notebook", "started_at", "ended_at", "heartbeat_at",
        "duration", "params", "metrics", "tags", "deleted_at", "experiment",
    ]  # fmt: skip
    assert listed[0]["deleted_at"] is None
    assert (shown["deleted_at"], shown["note"]) == (None, None)
    assert {"git", "environment", "source", "data", "artifacts", "events"} <= set(shown)
    assert shown["heartbeat_at"] == listed[0]["heartbeat_at"]
    assert Path(shown["artifacts"][0]["path"]).read_bytes() == b"weights"


#: what a hostile run carries: OSC 52 (writes the clipboard), OSC 0 (the title), BEL,
#: an 8-bit CSI (U+009B) and a bidi override (U+202E)
_HOSTILE = "\x1b]52;c;aGk=\x07\x1b]0;pwned\x07\x9b31m\u202eevil"
_ACTING = ("\x1b", "\x07", "\x9b", "\u202e")


def test_runs_and_show_escape_every_control_in_headers_and_cells(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    (run_id,) = make_runs(store, 1)
    store.set_name(run_id, _HOSTILE)
    store.log_params(run_id, [Param(f"k{_HOSTILE}", _HOSTILE)])
    store.log_metrics(run_id, [(f"m{_HOSTILE}", 1.0, 0, time.time())])
    store.set_tags(run_id, {"note": _HOSTILE})

    table = invoke("runs").stdout
    shown = invoke("show", run_id).stdout

    for out in (table, shown):
        assert not any(char in out for char in _ACTING), repr(out)
        assert "\\x1b]52;c;aGk=\\x07\\x1b]0;pwned\\x07\\x9b31m<U+202E>evil" in out
    assert "params.k\\x1b]52" in table.splitlines()[0]  # a column header
    assert len(table.splitlines()) == 2


def test_runs_on_a_terminal_draws_hostile_headers_and_cells_inert(
    store: Store, store_url: str, project_root: Path
) -> None:
    (run_id,) = make_runs(store, 1)
    store.set_name(run_id, f"[bold]{_HOSTILE}[/]")
    store.log_params(run_id, [Param(f"k{_HOSTILE}", {"v": _HOSTILE})])

    out = _on_a_terminal(["runs"], project_root, store_url, 400)

    assert "\x1b]" not in out  # rich's own colour codes are stripped; OSC never gets through
    assert not any(char in out for char in ("\x07", "\x9b", "\u202e")), repr(out)
    assert "[bold]\\x1b]52;c;aGk=\\x07" in out  # rich markup in a name is text too
    assert "params.k\\x1b]52" in out
    assert '{"v": "\\u001b]52;c;aGk=\\u0007' in out  # JSON's own escapes, then ours:
    assert "\\x9b31m<U+202E>evil" in out


def test_where_of_a_thousand_terms_or_deep_nesting_through_the_cli(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 3)
    many = " and ".join(f"params.seed < {1000 + i}" for i in range(1000))
    listed = invoke("runs", "--where", many, "--format", "json", catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert [r["name"] for r in json.loads(listed.stdout)] == ["run-2", "run-1", "run-0"]
    nested = invoke("runs", "--where", "(" * 1000 + "params.seed < 1" + ")" * 1000)
    assert nested.exit_code == 2
    (line,) = nested.stderr.strip().splitlines()
    assert line.startswith("Error: Cannot read --where '((((")
    assert line.endswith("nests deeper than 16 levels (each parenthesis and 'not' opens one).")


def test_pages_by_cursor_follow_the_where_and_sort(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 9)
    options = ("--where", "params.lr < 0.5", "--sort", "params.seed", "--limit", "2")
    seen: list[str] = []
    after: tuple[str, ...] = ()
    for _ in range(5):
        result = invoke("runs", *options, *after, "--format", "csv")
        assert result.exit_code == 0, result.output
        seen += [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))]
        hint = re.fullmatch(r"next page: --after (\S+)\n", result.stderr)
        if hint is None:
            assert result.stderr == ""
            break
        after = ("--after", hint.group(1))
    assert seen == ["run-1", "run-2", "run-3", "run-5", "run-6", "run-7"]


def test_a_cursor_of_another_listing_is_one_sentence_exit_2(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    make_runs(store, 3)
    first = invoke("runs", "--limit", "1", "--format", "json")
    cursor = first.stderr.split("--after ")[1].strip()
    other = invoke("runs", "--sort", "name", "--after", cursor)
    assert other.exit_code == 2
    assert other.stderr.strip().startswith(f"Error: Cannot continue after '{cursor[:37]}")
    assert other.stderr.strip().endswith("or start from the first page.")
    assert len(other.stderr.strip().splitlines()) == 1
    broken = invoke("runs", "--after", "not-a-cursor")
    assert broken.exit_code == 2
    assert broken.stderr.strip() == (
        "Error: Cannot continue after 'not-a-cursor': it is not a page cursor of nbtrack runs "
        "(copy the one a listing printed)."
    )
