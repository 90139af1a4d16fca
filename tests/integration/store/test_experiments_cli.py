"""Experiments through every door: start_run, the spill, runs, show, compare, report,
the UI's runs page and the read API; bad names are one sentence and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings, load_settings
from nbtrack.errors import ConfigError
from nbtrack.store.base import Store
from nbtrack.tracking.spill import Op, _decode, _encode, apply_op
from tests.helpers.cli import nbtrack as invoke

T0 = 1_700_000_000.0


def _add(store: Store, run_id: str, experiment: str, started: float, lr: float) -> None:
    from nbtrack.model import Param, RunStatus

    store.create_run(run_id=run_id, name=f"{experiment}-{lr}", started_at=started,
                     experiment=experiment)  # fmt: skip
    store.log_params(run_id, [Param("lr", lr)])
    store.end_run(run_id, RunStatus.FINISHED, started + 1)


@pytest.fixture
def two_experiments(store: Store, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """churn: runs a, c; vision: run b; cwd: the project (named demo, no experiment set)."""
    _add(store, "a" * 32, "churn", T0 + 1, 0.1)
    _add(store, "b" * 32, "vision", T0 + 2, 0.2)
    _add(store, "c" * 32, "churn", T0 + 3, 0.3)
    monkeypatch.chdir(project_root)
    monkeypatch.delenv("NBTRACK_EXPERIMENT", raising=False)
    return store


def _ids(out: str) -> list[str]:
    return [run["id"][0] for run in json.loads(out)]


def test_start_run_names_its_experiment_and_defaults_to_the_settings(
    settings: Settings, store: Store
) -> None:
    with nbtrack.start_run(name="named", settings=settings, experiment=" churn ") as run:
        named = run.id
    with nbtrack.start_run(name="default", settings=settings) as run:
        default = run.id
    assert store.get_run(named).experiment == "churn"
    assert store.get_run(default).experiment == "demo"  # the project's [project] name


@pytest.mark.parametrize("bad", ["", "  ", "*", "two\nlines", "x" * 201])
def test_a_bad_experiment_name_is_refused_before_a_run_starts(
    settings: Settings, store: Store, bad: str
) -> None:
    with pytest.raises(ConfigError, match=r"start_run\(experiment=\.\.\.\)"):
        nbtrack.start_run(settings=settings, experiment=bad)
    assert nbtrack.active_run() is None
    assert store.list_runs() == []


def test_a_spilled_create_run_keeps_its_experiment(settings: Settings, store: Store) -> None:
    record = {"name": "spilled", "started_at": T0, "experiment": "churn"}
    op = _decode(json.loads(json.dumps(_encode(Op("create_run", record)))))
    apply_op(store, "d" * 32, op)
    assert store.get_run("d" * 32).experiment == "churn"


def test_runs_lists_every_experiment_unless_the_project_sets_one(
    two_experiments: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = invoke("runs")
    assert code == 0
    assert "experiment" in out.splitlines()[0]  # the column: the runs come from two
    assert _ids(invoke("runs", "--format", "json").stdout) == ["c", "b", "a"]
    assert _ids(invoke("runs", "--format", "json", "--experiment", "churn").stdout) == ["c", "a"]
    both = invoke("runs", "--format", "json", "--experiment", "vision", "--experiment", "churn")
    assert _ids(both.stdout) == ["c", "b", "a"]
    one = invoke("runs", "--experiment", "vision").stdout
    assert "experiment" not in one.splitlines()[0]  # one experiment: no column
    # the project sets its experiment: listings show it, '*' shows them all
    monkeypatch.setenv("NBTRACK_EXPERIMENT", "churn")
    assert _ids(invoke("runs", "--format", "json").stdout) == ["c", "a"]
    assert _ids(invoke("runs", "--format", "json", "--experiment", "*").stdout) == ["c", "b", "a"]
    assert json.loads(invoke("runs", "--format", "json").stdout)[0]["experiment"] == "churn"
    code, out, _ = invoke("runs", "--experiment", "nobody")
    assert (code, out.strip()) == (
        0,
        f"No runs in experiment 'nobody' in {two_experiments.url} "
        "(--experiment '*' lists every experiment).",
    )


def test_where_and_sort_know_the_experiment_field(two_experiments: Store) -> None:
    out = invoke("runs", "--format", "json", "--where", "experiment = vision").stdout
    assert _ids(out) == ["b"]
    out = invoke("runs", "--format", "json", "--sort", "experiment", "--sort", "-started").stdout
    assert _ids(out) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (("runs", "--experiment", " "), {}, "--experiment must be a non-empty name"),
        (("runs", "--experiment", "a\tb"), {}, "--experiment must be one printable line"),
        (("runs",), {"NBTRACK_EXPERIMENT": "a\nb"}, "NBTRACK_EXPERIMENT must be one printable"),
        (("compare", "aaaa", "bbbb", "--experiment", "churn"), {}, "give --where or --sweep too"),
        (("report", "aaaa", "--experiment", "churn"), {}, "not both"),
    ],
)
def test_bad_experiment_input_is_one_sentence_and_exit_2(
    two_experiments: Store, args: tuple[str, ...], env: dict[str, str], said: str
) -> None:
    code, out, err = invoke(*args, env=env)
    assert code == 2, out + err
    (line,) = [text for text in err.splitlines() if text.strip()]
    assert line.startswith("Error: "), line
    assert said in line, line


def test_show_prints_the_experiment(two_experiments: Store) -> None:
    out = invoke("show", "bbbb").stdout
    assert "experiment: vision" in out.splitlines()
    shown = json.loads(invoke("show", "bbbb", "--format", "json").stdout)
    assert shown["experiment"] == "vision"


def test_compare_and_report_choose_runs_within_the_experiment(
    two_experiments: Store, tmp_path: Path
) -> None:
    code, out, err = invoke(
        "compare", "--where", "params.lr > 0", "--experiment", "churn", "--format", "json"
    )
    assert code == 0, err
    compared = json.loads(out)["runs"]
    assert [(r["id"][0], r["experiment"]) for r in compared] == [("a", "churn"), ("c", "churn")]
    code, out, err = invoke("compare", "aaaa", "bbbb")
    assert code == 0, err
    assert "the runs come from 2 experiments: churn, vision" in out
    report = tmp_path / "churn.html"
    code, _, err = invoke("report", "--experiment", "churn", "-o", str(report))
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    assert "churn-0.1" in html
    assert "churn-0.3" in html
    assert "vision-0.2" not in html
    assert "<title>Runs of churn</title>" in html
    code, _, err = invoke("report", "--experiment", "nobody", "-o", str(report))
    assert code == 2
    assert "no run in" in err
    assert "in experiment 'nobody'" in err


def test_the_read_api_filters_by_experiment(
    two_experiments: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = nbtrack.runs(experiment="churn")
    assert list(frame["experiment"]) == ["churn", "churn"]
    assert len(nbtrack.runs()) == 3
    assert [r.id[0] for r in nbtrack.list_runs(experiment=["vision"])] == ["b"]
    monkeypatch.setenv("NBTRACK_EXPERIMENT", "vision")
    assert list(nbtrack.runs()["experiment"]) == ["vision"]
    assert len(nbtrack.runs(experiment="*")) == 3
    compared = nbtrack.compare(where="params.lr > 0", experiment="churn")
    assert [r.experiment for r in compared.runs] == ["churn", "churn"]


def test_the_ui_runs_page_filters_by_experiment_and_keeps_it_in_links(
    two_experiments: Store, settings: Settings
) -> None:
    from starlette.testclient import TestClient

    from nbtrack.ui.app import create_app
    from nbtrack.ui.config import UiConfig

    app = create_app(UiConfig(store_url=settings.store_url))
    with TestClient(app) as client:
        every = client.get("/").text
        assert all(name in every for name in ("churn-0.1", "vision-0.2", "churn-0.3"))
        assert '<td class="experiment mono">vision</td>' in every  # two experiments: a column
        churn = client.get("/?experiment=churn")
        assert churn.status_code == 200
        assert "vision-0.2" not in churn.text
        assert "churn-0.3" in churn.text
        assert "<h1>Runs of churn</h1>" in churn.text
        assert 'name="experiment" type="text"' in churn.text
        assert 'value="churn"' in churn.text
        # a sort link keeps the experiment
        assert "sort=name&amp;experiment=churn" in churn.text
        nobody = client.get("/?experiment=nobody").text
        assert "No runs in experiment nobody." in nobody
        assert "experiment=%2A" in nobody
        bad = client.get("/?experiment=a%0Ab")
        assert bad.status_code == 400
        assert "?experiment= must be one printable line" in bad.text
    # the server's default (nbtrack ui --experiment, or the project's setting)
    scoped = create_app(UiConfig(store_url=settings.store_url, experiments=("vision",)))
    with TestClient(scoped) as client:
        page = client.get("/").text
        assert "vision-0.2" in page
        assert "churn-0.1" not in page
        every = client.get("/?experiment=*").text
        assert "churn-0.1" in every
        assert "vision-0.2" in every


def test_nbtrack_run_experiment_is_refused_before_a_kernel_when_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers.notebooks import PYTHON3, write_notebook

    store_file = tmp_path / "store" / "runs.db"
    write_notebook(tmp_path / "nb.ipynb", "x = 1", kernelspec=PYTHON3)
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(
        "run", "nb.ipynb", "--experiment", "*", env={"NBTRACK_STORE": str(store_file)}
    )
    assert code == 2, out + err
    assert "--experiment cannot be '*'" in err
    assert not store_file.exists()


@pytest.mark.kernel
def test_nbtrack_run_puts_the_run_in_its_experiment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers.cli import nbtrack_subprocess
    from tests.helpers.notebooks import PYTHON3, write_notebook

    store_file = tmp_path / "store" / "runs.db"
    write_notebook(tmp_path / "nb.ipynb", "x = 1", kernelspec=PYTHON3)
    env = {"NBTRACK_STORE": str(store_file)}
    done = nbtrack_subprocess("run", "nb.ipynb", "--experiment", "churn", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.split()[-1]
    monkeypatch.setenv("NBTRACK_STORE", str(store_file))
    assert nbtrack.get_run(run_id).experiment == "churn"
    assert load_settings(tmp_path).experiment != "churn"
