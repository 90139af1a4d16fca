"""``nbtrack compare`` as a user runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import re
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nbtrack.store.base import Store
from tests.helpers.cli import Invoke, nbtrack
from tests.helpers.comparison import add_run

OLD_CODE = "# %%\nimport math\n\n# %%\nlr = 0.1\n"
NEW_CODE = "# %%\nimport math\n\n# %%\nlr = 0.01\n\n# %%\nprint(lr)\n"
HOSTILE = "<script>alert(1)</script> a|b @octocat `x` \x1b]52;c;ZXZpbA==\x07\x1b[2J"


@pytest.fixture
def invoke(store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(project_root)
    return partial(nbtrack, env={"NBTRACK_STORE": store_url})


@pytest.fixture
def pair(store: Store) -> tuple[str, str]:
    a = add_run(
        store,
        "baseline",
        params={"lr": 0.1, "epochs": 5},
        metrics={"val_acc": [0.5, 0.8, 0.7], "val_loss": [1.0, 0.5, math.nan]},
        data=[("data/train.csv", "sha256:" + "1" * 64)],
        packages={"numpy": "1.26.0"},
        snapshot=OLD_CODE,
    )
    b = add_run(
        store,
        "small-lr",
        params={"lr": 0.01, "epochs": 5},
        metrics={"val_acc": [0.6, 0.9], "val_loss": [math.inf, 0.25]},
        data=[("data/train.csv", "sha256:" + "2" * 64)],
        packages={"numpy": "2.0.0"},
        snapshot=NEW_CODE,
    )
    return a, b


def test_compare_shows_params_that_differ_metric_deltas_data_packages_and_code(
    invoke: Invoke, pair: tuple[str, str]
) -> None:
    a, b = pair

    code, out, err = invoke("compare", a[:8], b[:8])

    assert (code, err) == (0, "")
    assert out.startswith(f"Comparing 2 runs; baseline: run baseline ({a[:8]})")
    params = out.split("Params that differ")[1].split("Metrics")[0]
    assert re.search(r"lr\s+0\.1\s+0\.01", params)
    assert "epochs" not in params
    assert re.search(r"val_acc\s+higher\s+last\s+0\.7\s+0\.9  \+0\.2 \(\+28\.6%\)  better", out)
    assert re.search(r"best\s+0\.8 @ step 1\s+0\.9 @ step 1  \+0\.1 \(\+12\.5%\)  better", out)
    assert re.search(r"val_loss\s+lower\s+last\s+nan\s+0\.25\n", out)
    assert re.search(r"min\.\.max\s+0\.5\.\.1\s+0\.25\.\.inf", out)
    assert re.search(r"data/train\.csv\s+changed\s+sha256:1{8}\s+sha256:2{8}\n", out)
    assert re.search(r"numpy\s+1\.26\.0\s+2\.0\.0", out)
    assert "run small-lr" in out
    assert "1 modified, 1 added" in out
    assert "    -lr = 0.1\n    +lr = 0.01" in out


def test_all_shows_every_param_and_no_code_leaves_the_diff_out(
    invoke: Invoke, pair: tuple[str, str]
) -> None:
    code, out, _ = invoke("compare", *pair, "--all", "--no-code", "--metric", "val_loss")

    assert code == 0
    assert re.search(r"epochs\s+5\s+5", out)
    assert "val_acc" not in out
    assert "Code" not in out
    assert "lr = 0.01" not in out


def test_where_compares_the_newest_matches_oldest_first_and_says_how_many_it_left_out(
    invoke: Invoke, store: Store
) -> None:
    ids = [add_run(store, f"sweep-{i}", params={"lr": 10.0**-i}) for i in range(4)]
    add_run(store, "other")

    code, out, err = invoke(
        "compare", "--where", "name like 'sweep-%'", "--limit", "3", "--format", "json"
    )

    assert code == 0
    doc = json.loads(out)
    assert [run["id"] for run in doc["runs"]] == ids[1:]
    assert doc["baseline"] == ids[1]
    assert "comparing the 3 newest of 4 matching runs (--limit 0 compares all)" in err
    code, out, err = invoke("compare", "-w", "name like 'sweep-%'", "-n", "0", "--format", "json")
    assert [run["id"] for run in json.loads(out)["runs"]] == ids
    assert err == ""


def test_json_is_strict_with_nan_and_inf_as_strings(invoke: Invoke, pair: tuple[str, str]) -> None:
    code, out, _ = invoke("compare", *pair, "--format", "json")

    assert code == 0

    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    doc = json.loads(out, parse_constant=refuse)
    assert doc["format"] == "nbtrack-compare"
    loss = next(m for m in doc["metrics"] if m["key"] == "val_loss")
    assert loss["direction"] == "lower"
    assert loss["runs"][0]["last"] == "NaN"
    assert loss["runs"][1]["max"] == "Infinity"
    assert (loss["runs"][1]["best"], loss["runs"][1]["verdict_best"]) == (0.25, "better")
    assert doc["params"]["rows"] == [
        {
            "key": "lr",
            "values": [
                {"present": True, "value": 0.1, "changed": False},
                {"present": True, "value": 0.01, "changed": True},
            ],
        }
    ]
    assert doc["data"][0]["status"] == "changed"
    assert doc["packages"]["differ"] == [{"name": "numpy", "versions": ["1.26.0", "2.0.0"]}]
    (change,) = doc["code"]
    assert change["diff"]["counts"] == {"added": 1, "deleted": 0, "modified": 1, "moved": 0}


def test_runs_of_different_notebooks_compare_with_the_union_of_their_params(
    invoke: Invoke, store: Store
) -> None:
    a = add_run(store, "train", params={"lr": 0.1}, notebook="train.ipynb", snapshot=OLD_CODE)
    b = add_run(store, "tune", params={"depth": 3}, notebook="tune.ipynb", snapshot=NEW_CODE)

    code, out, _ = invoke("compare", a, b, "--format", "json")

    assert code == 0
    doc = json.loads(out)
    assert [run["notebook"] for run in doc["runs"]] == ["train.ipynb", "tune.ipynb"]
    assert [row["key"] for row in doc["params"]["rows"]] == ["lr", "depth"]
    assert doc["params"]["rows"][1]["values"][0] == {
        "present": False,
        "value": None,
        "changed": False,
    }
    assert doc["code"][0]["diff"]["path"] == "tune.ipynb"
    text = invoke("compare", a, b).stdout
    assert "the runs come from 2 different notebooks" in text


def test_a_run_without_metrics_is_compared_and_says_so(invoke: Invoke, store: Store) -> None:
    a = add_run(store, "nothing")
    b = add_run(store, "nothing-either")

    code, out, _ = invoke("compare", a, b)

    assert code == 0
    assert "no run logged a metric" in out
    assert "every param is the same" in out


def test_hostile_names_stay_text_in_every_format(
    invoke: Invoke, store: Store, tmp_path: Path
) -> None:
    a = add_run(store, HOSTILE, params={HOSTILE: 1, "lr": 0.1}, metrics={HOSTILE: [1.0]})
    b = add_run(store, "plain", params={HOSTILE: 2, "lr": 0.2}, metrics={HOSTILE: [2.0]})

    terminal = invoke("compare", a, b, "--no-code").stdout
    assert "\x1b" not in terminal
    assert "\x07" not in terminal
    assert "\\x1b]52;c;ZXZpbA==\\x07" in terminal

    markdown = invoke("compare", a, b, "--format", "markdown").stdout
    assert "\x1b" not in markdown
    tables: list[list[int]] = [[]]
    for line in markdown.splitlines():
        if line.startswith("| "):
            tables[-1].append(len(re.split(r"(?<!\\)\|", line)))
        elif tables[-1]:
            tables.append([])
    # runs, params, metrics: no pipe in a name or key splits a row into more cells
    assert [set(widths) for widths in tables if widths] == [{7}, {5}, {6}]
    outside_code = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown)
    assert "<script>" not in outside_code
    assert "@octocat" not in outside_code
    # the code section's note: plain text, escaped
    assert "run &lt;script>alert(1)&lt;/script> a\\|b &#64;octocat \\`x\\`" in markdown

    out = tmp_path / "compare.html"
    code, _, err = invoke("compare", a, b, "--format", "html", "-o", str(out))
    assert code == 0
    assert f"wrote {out}" in err
    page = out.read_text(encoding="utf-8")
    tags = _tags(page)
    assert "script" not in tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page


def _tags(page: str) -> set[str]:
    found: set[str] = set()

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            found.add(tag)

    Tags().feed(page)
    return found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("compare",), "compare needs at least two runs, got no run"),
        (("compare", "{a}"), "compare needs at least two runs, got only run"),
        (("compare", "{a}", "ffffffff"), "No run matches the id 'ffffffff'"),
        (("compare", "{a}", "{a}"), "is given twice"),
        (("compare", "{a}", "{b}", "-m", "val_accc"), "logged a metric 'val_accc'"),
        (
            ("compare", "{a}", "{b}", "--maximize", "val_acc", "--minimize", "val_acc"),
            "'val_acc' is given both to maximize and to minimize",
        ),
        (("compare", "{a}", "{b}", "-w", "lr > 1"), "give runs to compare or --where, not both"),
        (("compare", "{a}", "{b}", "-n", "3"), "--limit chooses among the runs --where matches"),
        (("compare", "-w", "name = 'baseline'"), "matches only 1 run"),
        (("compare", "-w", "params.lr >"), "--where"),
        (("compare", "{a}", "{b}", "--format", "pdf"), "Invalid value for '--format'"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(
    invoke: Invoke, pair: tuple[str, str], args: tuple[str, ...], message: str
) -> None:
    a, b = pair
    code, _, err = invoke(*(arg.format(a=a, b=b) for arg in args))

    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_an_unwritable_output_file_is_exit_2_naming_it(
    invoke: Invoke, pair: tuple[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "missing-dir" / "out.md"

    code, _, err = invoke("compare", *pair, "--format", "markdown", "-o", str(target))

    assert code == 2
    assert f"cannot write {target}" in err
