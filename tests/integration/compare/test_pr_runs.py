"""``nbtrack diff A...B --runs``: the runs at a pull request's two commits, compared.

A real git repository in tmp_path (main, and a feature branch that edits
``notebooks/train.ipynb``), runs stored with those commits through the store
API on SQLite and PostgreSQL, and the command as a user runs it.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import GitState, Param, RunStatus, Source
from tests.helpers.cli import Invoke, nbtrack
from tests.helpers.git import git as run_git
from tests.helpers.notebooks import code, notebook, write

pytestmark = pytest.mark.git

TRAIN = "notebooks/train.ipynb"


@dataclass(frozen=True)
class PullRequest:
    repo: Path
    base: str  # the merge base (main's commit)
    head: str  # the feature branch's commit

    def git(self, *args: str) -> str:
        return run_git(self.repo, *args)


@pytest.fixture
def pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PullRequest:
    """main: notebooks/train.ipynb (lr = 0.1); feature: lr = 0.01, one commit on top."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(repo)
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    write(repo / TRAIN, notebook(
        code("lr = 0.1", tags=["parameters"]),
        code("import nbtrack\nnbtrack.log_metric('val_acc', 1 - lr)"),
    ))  # fmt: skip
    for args in (("init", "-q", "-b", "main"), ("add", "."), ("commit", "-q", "-m", "start")):
        run_git(repo, *args)
    base = run_git(repo, "rev-parse", "HEAD")
    run_git(repo, "checkout", "-q", "-b", "feature")
    text = (repo / TRAIN).read_text()
    (repo / TRAIN).write_text(text.replace('"lr = 0.1"', '"lr = 0.01"'))
    run_git(repo, "commit", "-q", "-am", "lower the learning rate")
    return PullRequest(repo, base, run_git(repo, "rev-parse", "HEAD"))


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The store the command reads (NBTRACK_STORE), open for the test to write runs."""
    from nbtrack.store import open_store

    monkeypatch.setenv("NBTRACK_STORE", store_url)
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def invoke(store: Any, store_url: str) -> Invoke:
    return partial(nbtrack, env={"NBTRACK_STORE": store_url})


Record = Callable[..., str]


@pytest.fixture
def record(store: Any) -> Record:
    """Store one run as a tracked run would leave it; returns its id."""
    clock = iter(range(1_000))

    def make(
        commit: str,
        *,
        name: str | None = None,
        notebook_path: str = TRAIN,
        params: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        status: RunStatus = RunStatus.FINISHED,
        dirty: bool | None = False,
        tags: dict[str, str] | None = None,
    ) -> str:
        run_id = uuid.uuid4().hex
        started = time.time() - 10_000 + next(clock) * 10
        store.create_run(
            run_id=run_id, name=name, started_at=started, tags=tags,
            git=GitState(commit=commit, branch="x", dirty=dirty),
            source=Source(path=notebook_path),
        )  # fmt: skip
        store.log_params(run_id, [Param(k, v) for k, v in (params or {}).items()])
        rows = [(key, value, 0, started + 1) for key, value in (metrics or {}).items()]
        store.log_metrics(run_id, rows)
        store.end_run(run_id, status, started + 5)
        return run_id

    return make


def tables(text: str) -> list[list[list[str]]]:
    """Every table of the markdown as GitHub reads it: rows of cells, each cell its shown text."""
    from markdown_it import MarkdownIt

    found: list[list[list[str]]] = []
    row: list[str] | None = None
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            found[-1].append(row)
            row = None
        elif token.type == "inline" and row is not None:
            row.append("".join(child.content for child in token.children or []))
    return found


def shown_outside_code(text: str) -> list[str]:
    """What GitHub shows as text or HTML (not inside code) in the markdown."""
    from markdown_it import MarkdownIt

    shown: list[str] = []
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type == "html_block":
            shown.append(token.content)
        for child in token.children or []:
            if child.type in ("text", "html_inline"):
                shown.append(child.content)
    return shown


def runs_section(text: str) -> str:
    """The run deltas part of the comment (between its heading and the first notebook diff)."""
    start = text.index("### Runs")
    end = text.find("\n## ", start)
    return text[start : end if end >= 0 else len(text)]


# -- both sides have a run -----------------------------------------------------------------------


def test_markdown_shows_param_changes_and_metric_deltas_beside_the_code_diff(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="baseline", params={"lr": 0.1, "epochs": 5},
           metrics={"val_acc": 0.8, "val_loss": 0.5})  # fmt: skip
    record(pr.head, name="lower-lr", params={"lr": 0.01, "epochs": 5},
           metrics={"val_acc": 0.9, "val_loss": 0.6})  # fmt: skip

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "markdown")

    assert code_ == 0, err
    # the code diff is all there, its summary table first, the runs right after it
    assert out.startswith("**nbtrack diff** `merge-base(main, feature) ")
    assert "-lr = 0.1\n+lr = 0.01" in out
    assert out.index("| `notebooks/train.ipynb` | modified |") < out.index("### Runs")
    assert out.index("### Runs") < out.index("## `notebooks/train.ipynb` (modified)")
    section = runs_section(out)
    assert "- base: run `baseline` (`" in section
    assert f"at `{pr.base[:7]}`" not in section
    assert f"merge-base(main, feature) {pr.base[:7]}" in section
    assert "- head: run `lower-lr` (`" in section
    assert f"`{pr.head[:7]}` (`feature`)" in section
    params, metrics = tables(section)
    # only the param that changed
    assert params == [["param", "base", "head"], ["lr", "0.1", "0.01"]]
    assert metrics[0] == ["metric", "base", "head", "change", ""]
    assert metrics[1:] == [
        ["val_acc ↑", "0.8", "0.9", "+0.1 (+12.5%)", "✅ better"],
        ["val_loss ↓", "0.5", "0.6", "+0.1 (+20.0%)", "❌ worse"],
    ]


def test_the_newest_clean_finished_run_at_the_exact_commit_is_the_one(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="older", metrics={"acc": 0.1})
    record(pr.base, name="picked", metrics={"acc": 0.2})
    record(pr.base, name="failed later", status=RunStatus.FAILED, metrics={"acc": 0.3})
    record(pr.base, name="dirty later", dirty=True, metrics={"acc": 0.4})
    record(pr.base, name="other notebook", notebook_path="notebooks/eda.ipynb")
    record(pr.head, name="head run", metrics={"acc": 0.5})
    record(pr.git("rev-parse", "feature~0"), name="head again, newer", metrics={"acc": 0.6})
    # a later commit on the branch: its run is not the head's
    (pr.repo / "notes.txt").write_text("later\n")
    pr.git("add", "notes.txt")
    pr.git("commit", "-q", "-m", "later")
    record(pr.git("rev-parse", "HEAD"), name="descendant", metrics={"acc": 0.9})

    code_, out, err = invoke("diff", f"{pr.base}...{pr.head}", "--runs", "--format", "json")

    assert code_ == 0, err
    (nb,) = json.loads(out)["runs"]["notebooks"]
    assert nb["base"]["run"]["name"] == "picked"
    assert nb["head"]["run"]["name"] == "head again, newer"
    acc = nb["comparison"]["metrics"][0]
    assert acc["key"] == "acc"


def test_runs_where_picks_among_the_runs_at_each_commit(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="ci base", tags={"purpose": "ci"}, metrics={"acc": 0.5})
    record(pr.base, name="local base", metrics={"acc": 0.9})
    record(pr.head, name="ci head", tags={"purpose": "ci"}, metrics={"acc": 0.6})
    record(pr.head, name="local head", metrics={"acc": 0.1})

    code_, out, err = invoke(
        "diff", "main...feature", "--runs-where", "tags.purpose = 'ci'", "--format", "json"
    )

    assert code_ == 0, err
    runs = json.loads(out)["runs"]
    assert runs["where"] == "tags.purpose = 'ci'"
    (nb,) = runs["notebooks"]
    assert (nb["base"]["run"]["name"], nb["head"]["run"]["name"]) == ("ci base", "ci head")


def test_runs_where_that_names_a_status_decides_the_status(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="finished", metrics={"acc": 0.5})
    record(pr.base, name="failed base", status=RunStatus.FAILED, metrics={"acc": 0.1})
    record(pr.head, name="failed head", status=RunStatus.FAILED, metrics={"acc": 0.2})

    code_, out, err = invoke(
        "diff", "main...feature", "--runs-where", "status = 'failed'", "--format", "json"
    )

    assert code_ == 0, err
    (nb,) = json.loads(out)["runs"]["notebooks"]
    assert (nb["base"]["run"]["name"], nb["head"]["run"]["name"]) == ("failed base", "failed head")


def test_a_run_that_recorded_an_absolute_path_is_found_too(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    """A notebook outside the project root it ran in is recorded by its absolute path."""
    record(pr.base, name="absolute", notebook_path=str((pr.repo / TRAIN).resolve()))
    record(pr.head, name="relative")

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "json")

    assert code_ == 0, err
    (nb,) = json.loads(out)["runs"]["notebooks"]
    assert (nb["base"]["run"]["name"], nb["head"]["run"]["name"]) == ("absolute", "relative")


# -- a side without a run ------------------------------------------------------------------------


def test_a_side_without_a_run_is_named_with_how_to_record_one(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="baseline", metrics={"acc": 0.5})

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "markdown")

    assert code_ == 0, err
    section = runs_section(out)
    assert "- base: run `baseline`" in section
    assert (
        f"- head: no finished run of `notebooks/train.ipynb` at `{pr.head[:7]}` (`feature`); "
        f"check out `{pr.head[:7]}` and run `nbtrack run notebooks/train.ipynb` to record one"
    ) in section
    assert tables(section) == []  # nothing to compare


def test_neither_side_with_a_run_and_an_empty_store_still_gives_the_diff(
    pr: PullRequest, invoke: Invoke
) -> None:
    code_, out, err = invoke("diff", "main...feature", "--runs")

    assert code_ == 0, err
    assert "-lr = 0.1" in out  # the code diff, as without --runs
    assert (
        f"base: no finished run of notebooks/train.ipynb at merge-base(main, feature) {pr.base[:7]}"
        in out
    )
    assert f"head: no finished run of notebooks/train.ipynb at {pr.head[:7]} (feature)" in out
    # the same plain text into a file
    code_, _out, err = invoke("diff", "main...feature", "--runs", "-o", "diff.txt")
    assert code_ == 0, err
    assert (pr.repo / "diff.txt").read_text(encoding="utf-8") == out


def test_no_notebook_changed_says_there_is_nothing_to_compare(
    pr: PullRequest, invoke: Invoke
) -> None:
    code_, out, err = invoke("diff", "main...main", "--runs", "--format", "markdown")

    assert code_ == 0, err
    assert "no notebook changes" in out
    assert "No notebook changed, so there are no runs to compare." in out


def test_only_dirty_runs_at_a_commit_are_not_used_and_the_sentence_says_why(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="baseline", metrics={"acc": 0.5})
    record(pr.head, name="ran before committing", dirty=True, metrics={"acc": 0.7})
    record(pr.head, name="again", dirty=True, metrics={"acc": 0.7})

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "json")

    assert code_ == 0, err
    head = json.loads(out)["runs"]["notebooks"][0]["head"]
    assert head["run"] is None
    assert head["dirty_runs_skipped"] == 2
    assert (
        "(2 runs there had uncommitted changes, so their code is not this commit's)"
        in (head["note"])
    )


def test_a_notebook_added_by_the_pull_request_has_no_base_run(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    write(pr.repo / "notebooks" / "new.ipynb", notebook(code("x = 1")))
    pr.git("add", ".")
    pr.git("commit", "-q", "-m", "a new notebook")
    head = pr.git("rev-parse", "HEAD")
    record(head, name="first run of new", notebook_path="notebooks/new.ipynb", metrics={"x": 1})

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "json")

    assert code_ == 0, err
    by_path = {nb["path"]: nb for nb in json.loads(out)["runs"]["notebooks"]}
    new = by_path["notebooks/new.ipynb"]
    assert new["status"] == "added"
    assert new["base"]["path"] is None
    assert new["base"]["run"] is None
    assert "the notebook is not in merge-base(main, feature)" in new["base"]["note"]
    assert new["head"]["run"]["name"] == "first run of new"
    assert new["comparison"] is None


def test_a_renamed_notebook_is_found_by_its_old_name_on_the_old_side(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    pr.git("mv", TRAIN, "notebooks/fit.ipynb")
    pr.git("commit", "-q", "-m", "rename")
    head = pr.git("rev-parse", "HEAD")
    record(pr.base, name="as train", params={"lr": 0.1}, metrics={"acc": 0.5})
    record(head, name="as fit", notebook_path="notebooks/fit.ipynb", params={"lr": 0.01},
           metrics={"acc": 0.6})  # fmt: skip

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "json")

    assert code_ == 0, err
    (nb,) = json.loads(out)["runs"]["notebooks"]
    assert (nb["status"], nb["base"]["path"]) == ("renamed", TRAIN)
    assert (nb["base"]["run"]["name"], nb["head"]["run"]["name"]) == ("as train", "as fit")


# -- values and text that could break the output -----------------------------------------------


def test_nan_and_inf_metrics_render_readably_and_json_stays_strict(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, metrics={"val_loss": math.nan, "acc": 0.5, "grad": math.inf})
    record(pr.head, metrics={"val_loss": 0.3, "acc": math.nan, "grad": -math.inf})

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "markdown")
    assert code_ == 0, err
    section = runs_section(out)
    assert "Params: no changes." in section
    (metrics,) = tables(section)
    rows = {row[0]: row[1:] for row in metrics[1:]}
    assert rows["val_loss ↓"] == ["nan", "0.3", "", ""]
    assert rows["acc ↑"] == ["0.5", "nan", "", ""]
    assert rows["grad"][:2] == ["inf", "-inf"]

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "json")
    assert code_ == 0, err
    document = json.loads(out, parse_constant=lambda name: pytest.fail(f"bare {name} in JSON"))
    assert document["runs"]["notebooks"][0]["comparison"] is not None

    code_, out, err = invoke("diff", "main...feature", "--runs")
    assert code_ == 0, err
    assert "val_loss ↓  nan" in out


def test_maximize_and_minimize_judge_metrics_the_name_rule_does_not_know(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, metrics={"reward_per_step": 1.0, "drift": 0.5, "val_acc": 0.5})
    record(pr.head, metrics={"reward_per_step": 2.0, "drift": 0.7, "val_acc": 0.6})

    code_, out, err = invoke(
        "diff", "main...feature", "--minimize", "drift", "--maximize", "val_acc",
        "--format", "markdown",
    )  # fmt: skip

    assert code_ == 0, err  # --maximize alone asks for the runs
    (metrics,) = tables(runs_section(out))
    verdicts = {row[0]: row[4] for row in metrics[1:]}
    assert verdicts == {
        "reward_per_step ↑": "✅ better",
        "drift ↓": "❌ worse",
        "val_acc ↑": "✅ better",
    }

    code_, _out, err = invoke(
        "diff", "main...feature", "--maximize", "drift", "--minimize", "drift"
    )
    assert code_ == 2
    assert "drift" in err


HOSTILE = "x | y <script>alert(1)</script> `tick` **bold** @octocat"


def test_hostile_run_names_params_and_paths_stay_text_in_markdown(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name=HOSTILE, params={HOSTILE: "a|b", "lr": "<b>0.1</b>"},
           metrics={"acc|`x`": 0.5})  # fmt: skip
    record(pr.head, name=HOSTILE + "2", params={HOSTILE: "c|d", "lr": "<b>1</b>"},
           metrics={"acc|`x`": 0.6})  # fmt: skip

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "markdown")

    assert code_ == 0, err
    section = runs_section(out)
    params, metrics = tables(section)
    # every row keeps its columns: no pipe in a name split a cell
    assert {len(row) for row in params} == {3}
    assert {len(row) for row in metrics} == {5}
    assert [HOSTILE, "a|b", "c|d"] in params
    assert ["lr", "<b>0.1</b>", "<b>1</b>"] in params
    assert metrics[1][0] == "acc|`x` ↑"
    for piece in shown_outside_code(section):
        assert "<script>" not in piece
        assert "<b>" not in piece
        assert "@octocat" not in piece


def test_a_notebook_named_like_query_syntax_is_matched_by_its_exact_name(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    odd = "notebooks/o'neil \\ x' or name = 'y.ipynb"
    pr.git("checkout", "-q", "main")
    write(pr.repo / odd, notebook(code("a = 1")))
    pr.git("add", ".")
    pr.git("commit", "-q", "-m", "odd")
    base = pr.git("rev-parse", "HEAD")
    pr.git("checkout", "-q", "-b", "odd")
    (pr.repo / odd).write_text((pr.repo / odd).read_text().replace("a = 1", "a = 2"))
    pr.git("commit", "-q", "-am", "odd change")
    head = pr.git("rev-parse", "HEAD")
    record(base, name="odd base", notebook_path=odd, metrics={"acc": 0.5})
    record(head, name="odd head", notebook_path=odd, metrics={"acc": 0.6})
    record(head, name="y")  # what the name would match if the path were read as syntax

    code_, out, err = invoke("diff", "main...odd", "--runs", "--format", "json")

    assert code_ == 0, err
    (nb,) = json.loads(out)["runs"]["notebooks"]
    assert nb["path"] == odd
    assert (nb["base"]["run"]["name"], nb["head"]["run"]["name"]) == ("odd base", "odd head")


def test_control_characters_in_a_run_name_are_shown_as_escapes(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="evil\x1b]0;pwned\x07", params={"lr": 0.1}, metrics={"acc": 0.5})
    record(pr.head, name="fine", params={"lr": 0.01}, metrics={"acc": 0.6})

    code_, out, err = invoke("diff", "main...feature", "--runs")

    assert code_ == 0, err
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "run evil^[]0;pwned^G (" in out
    assert "lr      0.1   0.01" in out
    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "markdown")
    assert code_ == 0, err
    assert "run `evil\\x1b]0;pwned\\x07` (`" in out  # shown, not hidden, in the comment


def test_many_notebooks_with_many_metrics_keep_the_comment_under_its_cap(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    names = [f"notebooks/nb_{k:02}.ipynb" for k in range(12)]
    pr.git("checkout", "-q", "main")
    for name in names:
        write(pr.repo / name, notebook(code("k = 1")))
    pr.git("add", ".")
    pr.git("commit", "-q", "-m", "more notebooks")
    base = pr.git("rev-parse", "HEAD")
    pr.git("checkout", "-q", "-b", "tune")
    for name in names:
        (pr.repo / name).write_text((pr.repo / name).read_text().replace("k = 1", "k = 2"))
    pr.git("commit", "-q", "-am", "tune all")
    head = pr.git("rev-parse", "HEAD")
    for name in names:
        metrics = {f"metric_{m:02}_acc": 0.5 + m / 100 for m in range(40)}
        record(base, notebook_path=name, metrics=metrics, params={"k": 1})
        record(head, notebook_path=name, metrics={k: v + 0.01 for k, v in metrics.items()},
               params={"k": 2})  # fmt: skip

    code_, out, err = invoke(
        "diff", "main...tune", "--runs", "--format", "markdown", "--max-chars", "6000"
    )

    assert code_ == 0, err
    assert len(out) <= 6000
    section = runs_section(out)
    assert len(section) <= 6000 // 3
    # the first notebook is there, shortened; the rest are counted
    assert "#### `notebooks/nb_00.ipynb`" in section
    assert "_… more rows cut to fit the comment._" in section
    assert "more notebooks cut to fit the comment; run `nbtrack diff --runs` for all._" in section
    assert "| `k` | `1` | `2` |" in section
    # and the code diff still has every notebook in its table
    assert all(f"| `{name}` | modified |" in out for name in names)


# -- the json document ---------------------------------------------------------------------------


def test_json_keeps_the_diff_document_and_adds_the_runs(
    pr: PullRequest, record: Record, invoke: Invoke
) -> None:
    record(pr.base, name="a", params={"lr": 0.1}, metrics={"acc": 0.5})
    record(pr.head, name="b", params={"lr": 0.01}, metrics={"acc": 0.75})
    plain = json.loads(invoke("diff", "main...feature", "--format", "json").stdout)

    code_, out, err = invoke("diff", "main...feature", "--runs", "--format", "json")

    assert code_ == 0, err
    document = json.loads(out)
    runs = document.pop("runs")
    assert document == plain  # the diff's own shape is untouched
    assert (runs["old_commit"], runs["new_commit"]) == (pr.base, pr.head)
    (nb,) = runs["notebooks"]
    assert nb["base"]["commit"] == pr.base
    assert nb["head"]["label"] == "feature"
    comparison = nb["comparison"]
    assert comparison["format"] == "nbtrack-compare"
    assert [run["name"] for run in comparison["runs"]] == ["a", "b"]


# -- usage errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--runs",),  # the working tree against HEAD
        ("main", "--runs"),  # main against the working tree
    ],
)
def test_runs_without_two_revisions_is_a_usage_error(
    pr: PullRequest, invoke: Invoke, args: tuple[str, ...]
) -> None:
    (pr.repo / TRAIN).write_text((pr.repo / TRAIN).read_text().replace("0.01", "0.5"))

    code_, _out, err = invoke("diff", *args)

    assert code_ == 2
    assert "--runs needs two git revisions" in err
    assert "origin/main...HEAD --runs" in err


def test_runs_on_two_files_is_a_usage_error(tmp_path: Path, invoke: Invoke) -> None:
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    write(a, notebook(code("x = 1")))
    write(b, notebook(code("x = 2")))

    code_, _out, err = invoke("diff", str(a), str(b), "--runs")

    assert code_ == 2
    assert "--runs needs two git revisions" in err


def test_a_bad_runs_where_names_the_expression(pr: PullRequest, invoke: Invoke) -> None:
    code_, out, err = invoke("diff", "main...feature", "--runs-where", "params.lr <")

    assert code_ == 2
    assert "Cannot read --runs-where 'params.lr <' at position 12" in err
    assert "Traceback" not in out + err


def test_runs_with_html_is_a_usage_error(pr: PullRequest, invoke: Invoke) -> None:
    code_, _out, err = invoke("diff", "main...feature", "--runs", "--format", "html")

    assert code_ == 2
    assert "--runs renders in the terminal, markdown and json formats" in err


# -- where runs record their notebook --------------------------------------------------------


def test_a_project_in_a_subfolder_of_the_repository_finds_its_runs(
    tmp_path: Path, store: Any, store_url: str, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs record paths relative to the project root; the diff's are the repository's."""
    repo = tmp_path / "mono"
    project = repo / "ml"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "ml"\n')
    write(project / TRAIN, notebook(code("lr = 0.1")))
    monkeypatch.setenv("HOME", str(tmp_path))
    for args in (("init", "-q", "-b", "main"), ("add", "."), ("commit", "-q", "-m", "a")):
        run_git(repo, *args)
    base = run_git(repo, "rev-parse", "HEAD")
    text = (project / TRAIN).read_text()
    (project / TRAIN).write_text(text.replace('"lr = 0.1"', '"lr = 0.2"'))
    run_git(repo, "commit", "-q", "-am", "b")
    head = run_git(repo, "rev-parse", "HEAD")
    record(base, name="base", metrics={"acc": 0.5})  # recorded as notebooks/train.ipynb
    record(head, name="head", metrics={"acc": 0.6})
    monkeypatch.chdir(repo)  # from the repository root, not the project: still found

    code_, out, err = nbtrack(
        "diff", f"{base}..{head}", "--runs", "--format", "json",
        env={"NBTRACK_STORE": store_url},
    )  # fmt: skip

    assert code_ == 0, err
    (nb,) = json.loads(out)["runs"]["notebooks"]
    assert nb["path"] == "ml/notebooks/train.ipynb"
    assert (nb["base"]["run"]["name"], nb["head"]["run"]["name"]) == ("base", "head")


@pytest.mark.kernel
@pytest.mark.slow
def test_runs_recorded_by_nbtrack_run_in_the_repository_are_found(
    pr: PullRequest, tmp_path: Path
) -> None:
    """The real path and commit a run records: `nbtrack run` on each side, then --runs."""
    store_env = {"NBTRACK_STORE": f"sqlite:///{tmp_path / 'real.db'}"}
    env = {**os.environ, **store_env}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for branch in ("main", "feature"):
        pr.git("checkout", "-q", branch)
        done = _run(["nbtrack", "run", TRAIN], pr.repo, env)
        assert done.returncode == 0, done.stderr
    pr.git("checkout", "-q", "feature")
    assert pr.git("status", "--porcelain") == ""  # the runs left the work tree clean

    done = _run(["nbtrack", "diff", "main...feature", "--runs", "--format", "json"], pr.repo, env)

    assert done.returncode == 0, done.stderr
    (nb,) = json.loads(done.stdout)["runs"]["notebooks"]
    assert nb["base"]["run"] is not None
    assert nb["head"]["run"] is not None
    (lr,) = nb["comparison"]["params"]["rows"]
    assert (lr["key"], [cell["value"] for cell in lr["values"]]) == ("lr", [0.1, 0.01])
    (val_acc,) = nb["comparison"]["metrics"]
    assert val_acc["key"] == "val_acc"
    done = _run(["nbtrack", "diff", "main...feature", "--runs"], pr.repo, env)
    assert "val_acc ↑  0.9   0.99  +0.09 (+10.0%)  better" in done.stdout


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> Any:
    import subprocess

    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
