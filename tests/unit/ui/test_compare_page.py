"""``/compare`` and ``/diff`` through the real app (Starlette's TestClient), on a real store.

The browser tests (tests/integration/ui/test_compare_page.py) drive the same
pages in Chromium; these check what the server answers: the rows, the links
with full ids, the redirects, the 400/404 sentences, escaping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from nbtrack.store import open_store
from nbtrack.store.base import Store
from tests.helpers.comparison import add_run

PROBE = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"

SNAP_A = "# %%\nimport math\nlr = 0.1\n\n# %%\nprint(lr)\n"
SNAP_B = "# %%\nimport math\nlr = 0.01\n\n# %%\nprint(lr)\n"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture
def client(
    store: Store, sqlite_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The app, in a project directory that is no git repository."""
    from starlette.testclient import TestClient

    from nbtrack.compare.reader import Reader
    from nbtrack.ui.app import create_app
    from nbtrack.ui.config import UiConfig

    monkeypatch.chdir(project_root)
    app = create_app(UiConfig(store_url=sqlite_url), Reader.open(sqlite_url))
    with TestClient(app, base_url="http://127.0.0.1") as opened:
        yield opened


def _three(store: Store) -> tuple[str, str, str]:
    a = add_run(store, "base", params={"lr": 0.1, "seed": 1}, snapshot=SNAP_A,
                metrics={"val_acc": [0.5, 0.7], "loss": [1.0, 0.6]})  # fmt: skip
    b = add_run(store, "lower-lr", params={"lr": 0.01, "seed": 1}, snapshot=SNAP_B,
                metrics={"val_acc": [0.5, 0.8], "loss": [1.0, 0.7]})  # fmt: skip
    c = add_run(store, "third", params={"lr": 0.2, "seed": 1}, snapshot=SNAP_A,
                metrics={"val_acc": [0.4, 0.6], "loss": [1.0, 0.5]})  # fmt: skip
    return a, b, c


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_two_runs_show_the_params_that_differ_and_deltas_coloured(
    store: Store, client: Any
) -> None:
    a, b, _ = _three(store)
    response = client.get(f"/compare?run={a}&run={b}")
    assert response.status_code == 200
    html = response.text
    text = _text(html)
    assert "Comparing 2 runs" in text
    assert "baseline base (" in text
    # lr differs, seed does not: only lr is listed
    assert re.search(r"<th class=\"mono\">lr</th>", html)
    assert '<th class="mono">seed</th>' not in html
    # val_acc higher is better: 0.8 vs 0.7 is better (green); loss 0.7 vs 0.6 is worse (red)
    assert re.search(r'<span class="better">0\.8 \+0\.1 \(\+14\.3%\) better', html)
    assert re.search(r'<span class="worse">0\.7 \+0\.1 \(\+16\.7%\) worse', html)
    # one chart container per metric, with the full ids, baseline first
    charts = re.findall(r'class="nbtrack-chart" data-metric="([^"]+)" data-runs="([^"]+)"', html)
    assert sorted(charts) == [("loss", f"{a} {b}"), ("val_acc", f"{a} {b}")]
    assert html.count('<div class="chart-controls"></div>') == 1
    # the code diff, side by side, with a link to the full diff of the pair
    assert '<table class="sbs">' in html
    assert f'href="/diff?a={a}&amp;b={b}"' in html
    assert "style=" not in html
    assert "<style" not in html


def test_all_params_and_a_chosen_metric(store: Store, client: Any) -> None:
    a, b, _ = _three(store)
    html = client.get(f"/compare?run={a}&run={b}&all=1&metric=loss").text
    assert '<th class="mono">seed</th>' in html
    charts = re.findall(r'data-metric="([^"]+)" data-runs', html)
    assert charts == ["loss"]
    assert '<th class="mono">val_acc</th>' not in html  # not in the deltas either


def test_the_baseline_switch_reorders_and_measures_against_it(store: Store, client: Any) -> None:
    a, b, c = _three(store)
    html = client.get(f"/compare?run={a}&run={b}&run={c}&baseline={c}").text
    assert "Comparing 3 runs" in _text(html)
    assert "baseline third (" in _text(html)
    charts = re.findall(r'data-metric="val_acc" data-runs="([^"]+)"', html)
    assert charts == [f"{c} {a} {b}"]
    # against third's 0.6, base's 0.7 is better
    assert re.search(r'<span class="better">0\.7 \+0\.1 \(\+16\.7%\) better', html)
    # a "make baseline" link per other run keeps the runs and the order
    assert f'href="/compare?run={a}&amp;run={b}&amp;run={c}&amp;baseline={a}"' in html
    # "remove": the baseline goes back to the first run when it is the one removed
    removes = re.findall(r'<a href="([^"]+)" class="remove">', html)
    assert [unescape(url) for url in removes] == [
        f"/compare?run={a}&run={b}",
        f"/compare?run={b}&run={c}&baseline={c}",
        f"/compare?run={a}&run={c}&baseline={c}",
    ]
    # two runs: nothing to remove
    assert 'class="remove"' not in client.get(f"/compare?run={a}&run={b}").text


def test_prefixes_and_packed_ids_redirect_to_full_ids(store: Store, client: Any) -> None:
    a, b, _ = _three(store)
    response = client.get(f"/compare?run={a[:8]},{b[:8]}&baseline={b[:8]}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"/compare?run={a}&run={b}&baseline={b}"
    response = client.get(f"/diff?a={a[:8]}&b={b[:8]}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"/diff?a={a}&b={b}"


@pytest.mark.parametrize(
    ("query", "status", "sentence"),
    [
        ("run=ffffffff", 404, "ffffffff"),
        ("run={a}", 400, "compare needs at least two runs, got only run"),
        ("run={a}&run={b}&baseline={c}", 400, "is not one of the compared runs"),
        ("run={a}&run={b}&metric=nope", 400, "logged a metric 'nope'"),
        ("run={a}&run={b}&all=yes", 400, "all='yes' is not 0 or 1"),
        ("run={a}&run={b}&x=epoch", 400, "x='epoch' is not one of step, time, relative"),
        ("run={a}&run={b}&smooth=2", 400, "smooth='2' is not a number from 0 to 0.99"),
        ("run={a}&run={a}", 400, "is given twice"),
    ],
)
def test_bad_queries_get_one_sentence(
    store: Store, client: Any, query: str, status: int, sentence: str
) -> None:
    a, b, c = _three(store)
    response = client.get("/compare?" + query.format(a=a, b=b, c=c))
    assert response.status_code == status
    assert sentence in unescape(response.text)
    assert "Traceback" not in response.text


def test_without_runs_the_page_offers_the_newest_runs_to_pick(store: Store, client: Any) -> None:
    a, b, c = _three(store)
    html = client.get("/compare").text
    assert "Pick two runs or more" in _text(html)
    boxes = re.findall(r'<input type="checkbox" name="run" value="([0-9a-f]+)"', html)
    assert boxes == [c, b, a]  # newest first


def test_hostile_names_params_and_sources_are_text(store: Store, client: Any) -> None:
    a = add_run(store, PROBE + "\x1b[31m", params={"p": PROBE}, snapshot=f"# %%\nx = '{IMG}'\n",
                metrics={IMG: [1.0, 2.0]})  # fmt: skip
    b = add_run(store, IMG, params={"p": "javascript:alert(1)"},
                snapshot=f"# %%\nx = '{PROBE}\x1b[31m'\n", metrics={IMG: [1.0, 3.0]})  # fmt: skip
    for url in (f"/compare?run={a}&run={b}", f"/diff?a={a}&b={b}"):
        html = client.get(url).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "\x1b" not in html
        assert "\\x1b[31m" in html  # the terminal escape as text


def test_diff_of_two_snapshots_says_what_it_shows(store: Store, client: Any) -> None:
    a, b, _ = _three(store)
    response = client.get(f"/diff?a={a}&b={b}")
    assert response.status_code == 200
    text = _text(response.text)
    assert "Shown: the code snapshots stored with the two runs" in text
    # side by side, the changed characters marked
    assert '<td class="del">lr = 0.1</td>' in response.text
    assert '<td class="add">lr = 0.<em>0</em>1</td>' in response.text
    # the UI does not run in the runs' git repository: no commits offered, and why
    assert "The notebook file at the runs' commits is not offered" in text
    assert "is not a git repository" in text


def test_diff_without_a_snapshot_and_bad_diff_queries(store: Store, client: Any) -> None:
    a, b, _ = _three(store)
    bare = add_run(store, "bare")
    text = _text(client.get(f"/diff?a={a}&b={bare}").text)
    assert "no code snapshot stored for run bare" in text
    assert client.get("/diff").status_code == 200  # the explanation
    cases = [
        (f"/diff?a={a}", 400, "needs two runs"),
        (f"/diff?a={a}&b={a}", 400, "are the same run"),
        (f"/diff?a={a}&b=zzzz", 404, "zzzz"),
        (f"/diff?a={a}&b={b}&source=svn", 400, "source='svn' is not one of snapshot, commits"),
    ]
    for url, status, sentence in cases:
        response = client.get(url)
        assert response.status_code == status, url
        assert sentence in unescape(response.text), url


def test_commits_asked_where_there_is_no_repository_fall_back_to_snapshots(
    store: Store, client: Any
) -> None:
    a, b, _ = _three(store)
    response = client.get(f"/diff?a={a}&b={b}&source=commits")
    assert response.status_code == 200
    text = _text(response.text)
    assert "The notebook at the two commits cannot be shown" in text
    assert "is not a git repository" in text
    assert "Shown: the code snapshots" in text


def test_a_metric_of_unknown_direction_gets_higher_and_lower_links(
    store: Store, client: Any
) -> None:
    a = add_run(store, "a", metrics={"kl": [0.5, 0.2]})
    b = add_run(store, "b", metrics={"kl": [0.5, 0.3]})
    html = client.get(f"/compare?run={a}&run={b}").text
    assert '<span class="worse">' not in html
    assert '<span class="better">' not in html
    higher = re.search(r'<a href="([^"]+)" class="small">higher</a>', html)
    assert higher is not None
    url = unescape(higher.group(1))
    assert url == f"/compare?run={a}&run={b}&maximize=kl"
    judged = client.get(url).text
    assert re.search(r'<span class="better">0\.3 \+0\.1 \(\+50\.0%\) better', judged)
    assert "higher (as asked)" in judged
    lower = client.get(f"/compare?run={a}&run={b}&minimize=kl").text
    assert re.search(r'<span class="worse">0\.3 \+0\.1 \(\+50\.0%\) worse', lower)
    both = client.get(f"/compare?run={a}&run={b}&minimize=kl&maximize=kl")
    assert both.status_code == 400
    assert "both to maximize and to minimize" in unescape(both.text)
