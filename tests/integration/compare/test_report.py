"""``nbtrack report`` and ``build_report`` on real stores (SQLite and PostgreSQL).

What the page holds is read back with the standard library's HTML parser;
what a browser makes of it is in ``test_report_browser.py``.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nbtrack.compare.reader import Reader
from nbtrack.compare.report import CSP, MAX_FIGURE_BYTES, build_report, curve_points, select_runs
from nbtrack.errors import RunNotFoundError, UsageError
from nbtrack.store.base import Store
from tests.helpers.cli import nbtrack
from tests.integration.compare.report_runs import T0, add_run, png


class Page(HTMLParser):
    """The parts of a report a test looks at: table cells by row, images, links, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._in_runs = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table" and attributes.get("class") == "runs":
            self._in_runs = True
        elif self._in_runs and tag == "tr":
            self.rows.append([])
        elif self._in_runs and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_runs = False
        elif self._in_runs and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self) -> list[dict[str, str]]:
        """The runs table as one dict per run, keyed by column header."""
        header, *body = self.rows
        return [dict(zip(header, row, strict=True)) for row in body]

    def images(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == "img"]


def report_of(
    store: Store, run_ids: list[str], *, title: str = "t", metrics: list[str] | None = None
) -> str:
    with Reader(store, owned=False) as reader:
        return build_report(reader, run_ids, title=title, metrics=metrics)


def test_the_runs_table_has_a_row_per_run_with_the_params_that_vary_and_last_metrics(
    store: Store,
) -> None:
    first = add_run(
        store, "baseline", params={"lr": 0.1, "seed": 7, "opt": "adam"},
        metrics={"loss": [0.9, 0.5, 0.25], "acc": [0.5, 0.75]}, tags={"team": "vision"},
    )  # fmt: skip
    second = add_run(
        store, "smaller lr", started=T0 + 3600, params={"lr": 0.01, "seed": 7, "opt": "adam"},
        metrics={"loss": [0.8, 0.125]}, notebook="notebooks/other.ipynb",
    )  # fmt: skip
    page = Page(report_of(store, [first[:8], second], title="lr sweep"))
    rows = page.table()
    assert [row["name"] for row in rows] == ["baseline", "smaller lr"]
    assert [row["id"] for row in rows] == [first[:8], second[:8]]
    # seed and opt are the same in both runs: they tell the runs nothing apart
    assert [h for h in page.rows[0] if h.startswith("params.")] == ["params.lr"]
    assert [row["params.lr"] for row in rows] == ["0.1", "0.01"]
    assert [row["metrics.loss"] for row in rows] == ["0.25", "0.125"]
    assert [row["metrics.acc"] for row in rows] == ["0.75", ""]
    assert [row["notebook"] for row in rows] == ["notebooks/train.ipynb", "notebooks/other.ipynb"]
    assert [row["status"] for row in rows] == ["FINISHED", "FINISHED"]
    assert rows[0]["started (UTC)"] == "2025-12-29 09:20:00"
    assert rows[1]["duration"] == "1m 36s"
    assert rows[0]["tags"] == "team=vision"
    assert "lr sweep" in "".join(page.text)
    assert store.url.split("/")[-1] in "".join(page.text)  # which store it came from


def test_nan_and_infinite_last_values_read_as_nan_and_inf(store: Store) -> None:
    run = add_run(
        store, "diverged", metrics={"loss": [1.0, math.inf], "acc": [0.5, math.nan]},
        params={"lr": math.inf},
    )  # fmt: skip
    (row,) = Page(report_of(store, [run])).table()
    assert (row["metrics.loss"], row["metrics.acc"]) == ("inf", "nan")


def test_control_characters_in_user_text_show_as_escapes_not_raw(store: Store) -> None:
    run = add_run(store, "red\x1b[31m\u202ename", params={"path\x07": "a\x1bb"})
    html = report_of(store, [run], title="t\x1b]0;x\x07")
    assert [c for c in ("\x1b", "\x07", "\u202e") if c in html] == []
    (row,) = Page(html).table()
    assert row["name"] == "red\\x1b[31m<U+202E>name"


def test_a_report_carries_the_csp_and_no_url_outside_the_page(store: Store) -> None:
    run = add_run(
        store, "a", params={"url": "https://example.com/x.png"},
        artifacts=[("plot.png", png(4, 4, (0, 0, 255)), "image/png")],
    )  # fmt: skip
    html = report_of(store, [run])
    page = Page(html)
    metas = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert metas == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert "default-src 'none'" in CSP
    assert "img-src data:" in CSP
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:image/", "#")), (tag, name, value)
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object", "embed")]
    # the param's URL is shown as text, never as something to load
    assert "https://example.com/x.png" in "".join(page.text)


def test_logged_figures_are_embedded_as_data_uris_and_svg_only_as_an_image(
    store: Store,
) -> None:
    picture = png(30, 20, (10, 200, 10))
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>"
    )
    run = add_run(
        store,
        "with figures",
        artifacts=[
            ("curve.png", picture, "image/png"),
            ("diagram.svg", svg, "image/svg+xml"),
            ("not-a-png.png", b"<html>hello</html>", "image/png"),
            ("model.pkl", b"\x80\x04N.", "application/octet-stream"),
        ],
    )
    html = report_of(store, [run])
    images = {img["alt"]: img["src"] for img in Page(html).images()}
    import base64

    assert images["curve.png"] == "data:image/png;base64," + base64.b64encode(picture).decode()
    assert images["diagram.svg"] == "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    assert "<svg xmlns" not in html.split('<section id="figures">')[1]  # never inline
    assert "not-a-png.png" not in images  # listed, not shown: its bytes are no PNG
    assert "not-a-png.png (not embedded: the file is not a image/png image)" in html
    assert "model.pkl" not in html  # not a figure


def test_a_figure_over_the_size_limit_is_named_not_embedded(store: Store) -> None:
    big = png(1, 1, (0, 0, 0)) + b"\0" * MAX_FIGURE_BYTES
    run = add_run(store, "big", artifacts=[("huge.png", big, "image/png")])
    html = report_of(store, [run])
    assert Page(html).images() == []
    assert "huge.png (not embedded: 2.0 MiB is over 2 MiB)" in html
    assert len(html) < 100_000


def test_a_figure_whose_file_is_gone_is_named_with_the_reason(store: Store) -> None:
    run = add_run(store, "gc'd", artifacts=[("gone.png", png(2, 2, (1, 2, 3)), "image/png")])
    with Reader(store, owned=False) as reader:
        (artifact,) = reader.run(run).artifacts
        reader.artifact_path(artifact).unlink()
        html = build_report(reader, [run], title="t")
    assert "gone.png (not embedded: its file is no longer in the artifact store)" in html


def test_where_selects_the_newest_matching_runs_oldest_first(store: Store) -> None:
    ids = [
        add_run(store, f"run {i}", started=T0 + i, params={"lr": 0.1 * i}, tags={"sweep": "lr"})
        for i in range(5)
    ]
    add_run(store, "other", started=T0 + 10)
    with Reader(store, owned=False) as reader:
        assert select_runs(reader, (), where="tags.sweep = 'lr'", limit=3) == ids[2:]
        assert (
            select_runs(reader, (), where="tags.sweep = 'lr'", sort=["-params.lr"]) == (ids[::-1])
        )
        assert select_runs(reader, [ids[3][:6], ids[1]]) == [ids[3], ids[1]]


def test_unknown_run_and_unknown_metric_are_one_sentence_each(store: Store) -> None:
    run = add_run(store, "a", metrics={"loss": [1.0]})
    with Reader(store, owned=False) as reader:
        with pytest.raises(RunNotFoundError, match="feedbeef"):
            build_report(reader, [run, "feedbeef"], title="t")
        with pytest.raises(
            UsageError, match="no run in the report has metric 'val_acc'; the runs have: 'loss'"
        ):
            build_report(reader, [run], title="t", metrics=["val_acc"])
        with pytest.raises(UsageError, match="at least one run"):
            build_report(reader, [], title="t")


def test_each_metric_gets_a_chart_with_a_line_per_run(store: Store) -> None:
    ids = [
        add_run(store, f"run {i}", started=T0 + i, params={"lr": i},
                metrics={"loss": [1.0 / (s + 1 + i) for s in range(300)], "acc": [0.1 * i, 0.5]})
        for i in range(3)
    ]  # fmt: skip
    ids.append(add_run(store, "no metrics", started=T0 + 9, params={"lr": 9}))
    page = Page(report_of(store, ids))
    charts = [a for t, a in page.tags if t == "svg"]
    assert [c["aria-label"] for c in charts] == ["acc", "loss"]  # as many runs: by name
    assert len([t for t, _ in page.tags if t == "polyline"]) == 6  # 3 runs x 2 metrics
    text = "".join(page.text)
    assert "loss: 3 runs, up to 300 stored points each" in text
    # a run without the metric is in the table, with nothing in that column
    assert page.table()[3]["metrics.loss"] == ""


def test_the_comparison_and_the_code_diff_against_the_baseline(store: Store) -> None:
    code = "# %%\nlr = {lr}\n\n# %%\nprint('training')\n"
    base = add_run(
        store, "base", params={"lr": 0.1}, metrics={"val_loss": [0.5, 0.25]},
        snapshot=code.format(lr=0.1),
    )  # fmt: skip
    other = add_run(
        store, "tuned", started=T0 + 5, params={"lr": 0.05}, metrics={"val_loss": [0.5, 0.5]},
        snapshot=code.format(lr=0.05),
    )  # fmt: skip
    html = report_of(store, [base, other])
    section = html.split('<section id="comparison">')[1].split("</section>")[0]
    assert "baseline: base" in section
    assert "+0.25 (+100.0%) worse" in section  # val_loss: lower is better
    assert "lr = 0.1" in section
    assert "lr = 0.05" in section  # the changed line of the code diff
    assert "<style>" not in section  # its styles are in the page's head, once
    assert html.count(".nbtrack-compare{") == 1


def test_a_report_of_one_run_has_no_comparison_and_shows_every_param(store: Store) -> None:
    run = add_run(store, "alone", params={"lr": 0.1, "seed": 3}, metrics={"loss": [1.0, 0.5]})
    html = report_of(store, [run])
    assert '<section id="comparison">' not in html
    (row,) = Page(html).table()
    assert (row["params.lr"], row["params.seed"]) == ("0.1", "3")


def test_long_histories_are_downsampled_so_the_report_stays_small(store: Store) -> None:
    points = 10_000
    ids = [
        add_run(store, f"run {i}", started=T0 + i, params={"seed": i},
                metrics={"loss": [math.sin(s / 50.0) + i for s in range(points)],
                         "acc": [(s % 977) / 977.0 for s in range(points)]})
        for i in range(12)
    ]  # fmt: skip
    html = report_of(store, ids)
    raw = 12 * 2 * points
    drawn = sum(len(attrs["points"].split()) for t, attrs in Page(html).tags if t == "polyline")  # type: ignore[union-attr]
    assert drawn <= 24 * curve_points(12)
    assert drawn < raw / 10
    assert len(html.encode()) < 1_000_000, len(html.encode())
    assert "up to 10,000 stored points each (downsampled for display)" in html
    assert html.count("loss: 10000 points") == 12  # each line's tooltip: what the run stored


def test_the_comparison_in_a_report_of_long_histories_is_the_full_comparison(
    store: Store,
) -> None:
    """The report reads each long history as its extremes; the numbers stay exact."""
    from nbtrack.compare.comparison import compare_runs
    from nbtrack.compare.render_html import comparison_html

    n = 30_000  # longer than the report keeps (4 x 2,000 points): read as extremes

    def noisy(i: int) -> list[float]:
        values = [1.0 + math.sin(s * 0.37 + i) * 0.1 - s * 1e-6 for s in range(n)]
        values[17_777 + i] = values[25_000] = -5.0  # the best loss, reached twice
        values[20_000] = math.nan
        return values

    ids = [
        add_run(store, f"r{i}", started=T0 + i, params={"i": i},
                metrics={"loss": noisy(i), "acc": [a / n for a in range(n)]})
        for i in range(3)
    ]  # fmt: skip
    html = report_of(store, ids)
    with Reader(store, owned=False) as reader:
        full = comparison_html(compare_runs(reader, ids), style=False)
    assert "best -5 @ step 17777" in full
    assert full in html


def test_nan_and_inf_in_histories_draw_without_crashing(store: Store) -> None:
    run = add_run(store, "odd", metrics={"loss": [1.0, math.nan, 0.5, math.inf, -math.inf, 0.25]})
    nan_only = add_run(store, "all nan", started=T0 + 1, metrics={"loss": [math.nan, math.nan]})
    html = report_of(store, [run, nan_only])
    assert [a["aria-label"] for t, a in Page(html).tags if t == "svg"] == ["loss"]
    assert [row["metrics.loss"] for row in Page(html).table()] == ["0.25", "nan"]


# -- the command -----------------------------------------------------------------------


def test_nbtrack_report_writes_the_file_and_says_where(store: Store, tmp_path: Path) -> None:
    ids = [add_run(store, f"r{i}", started=T0 + i, params={"lr": i}) for i in range(3)]
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    code, stdout, stderr = nbtrack("report", *ids, "-o", str(out), "--title", "Three runs")
    assert code == 0, stderr
    assert stdout == ""
    assert re.fullmatch(rf"Wrote {re.escape(str(out))} \(3 runs, \d+ KiB\)\.\n", stderr)
    rows = Page(out.read_text(encoding="utf-8")).table()
    assert [row["name"] for row in rows] == ["r0", "r1", "r2"]


def test_nbtrack_report_to_stdout_with_where(store: Store) -> None:
    add_run(store, "kept", params={"lr": 0.1}, tags={"keep": "yes"})
    add_run(store, "dropped", started=T0 + 1, params={"lr": 0.2})
    code, stdout, stderr = nbtrack("report", "--where", "tags.keep = 'yes'", "-o", "-")
    assert code == 0, stderr
    assert [row["name"] for row in Page(stdout).table()] == ["kept"]
    assert "<title>Runs where tags.keep = &#39;yes&#39;</title>" in stdout


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        ((), "name the runs to report: RUN ids, or --where EXPR"),
        (("--where", "status = FAILED"), "matches --where 'status = FAILED'"),
        (("0123abcd",), "0123abcd"),
        (("RUN", "--where", "status = FINISHED"), "give RUN ids or --where, not both."),
        (("RUN", "--sort", "started"), "--sort orders the runs --where finds"),
        (("--where", "status = FINISHED", "--sort", "params.x y"), "params.x y"),
        (("RUN", "--metric", "nope"), "no run in the report has metric 'nope'"),
        (
            ("RUN", "-o", "/nonexistent-dir/r.html"),
            "cannot write the report to /nonexistent-dir/r.html",
        ),
    ],
)
def test_bad_input_is_exit_2_with_one_sentence(
    store: Store, args: tuple[str, ...], sentence: str, tmp_path: Path
) -> None:
    run = add_run(store, "only", metrics={"loss": [1.0]})
    args = tuple(run if a == "RUN" else a for a in args)
    if "-o" not in args:
        args += ("-o", str(tmp_path / "r.html"))
    code, _, stderr = nbtrack("report", *args)
    assert code == 2, stderr
    assert sentence in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()
