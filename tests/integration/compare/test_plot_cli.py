"""`nbtrack plot` and `nbtrack.plot` on real stores with real matplotlib: files a viewer opens."""

from __future__ import annotations

import base64
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import pytest

from nbtrack.compare.curves import CurveWarning
from nbtrack.store.base import Store
from tests.helpers.cli import Invoke, nbtrack
from tests.helpers.history import add_run, steps

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def invoke(store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(project_root)
    return partial(nbtrack, env={"NBTRACK_STORE": store_url})


@pytest.fixture
def two_runs(store: Store) -> tuple[str, str]:
    a = add_run(
        store,
        "baseline",
        {"lr": 0.1},
        {"val_acc": steps([0.5, 0.6, 0.7]), "loss": steps([1.0, 0.5, 0.25])},
    )
    b = add_run(store, "wide", {"lr": 0.01}, {"val_acc": steps([0.4, 0.65, 0.8])})
    return a, b


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()  # raises unless the file is well-formed XML
    return [el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text")]


def test_png_svg_and_pdf_are_written_in_the_format_their_suffix_names(
    invoke: Invoke, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    a, b = two_runs
    for suffix, magic in ((".png", PNG), (".pdf", b"%PDF-")):
        out = tmp_path / f"curves{suffix}"
        code, stdout, stderr = invoke("plot", a[:6], b[:6], "-m", "val_acc", "-o", str(out))
        assert (code, stderr) == (0, "")
        assert out.read_bytes().startswith(magic)
        assert stdout == f"Wrote {out}: 1 chart (val_acc) of 2 runs.\n"
    out = tmp_path / "curves.svg"
    code, _, _ = invoke("plot", a, b, "-m", "val_acc", "-m", "loss", "-o", str(out))
    assert code == 0
    texts = svg_texts(out)
    # legends name each run by its name and the param that differs; each axes its metric
    assert {"baseline (lr=0.1)", "wide (lr=0.01)", "val_acc", "loss", "step"} <= set(texts)


def test_without_o_it_writes_curves_png_in_the_working_directory(
    invoke: Invoke, two_runs: tuple[str, str], project_root: Path
) -> None:
    code, stdout, _ = invoke("plot", two_runs[0], "-m", "loss")
    assert code == 0
    assert stdout.startswith("Wrote curves.png: 1 chart (loss) of 1 run.")
    assert (project_root / "curves.png").read_bytes().startswith(PNG)


def test_without_metric_every_metric_gets_a_chart_and_a_run_without_one_a_warning(
    invoke: Invoke, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    a, b = two_runs
    out = tmp_path / "all.svg"
    code, stdout, stderr = invoke("plot", a, b, "-o", str(out))
    assert code == 0
    assert "2 charts (loss, val_acc) of 2 runs" in stdout
    warning = f"Run wide (lr=0.01) ({b[:8]}) has no metric 'loss': it is left out of that chart."
    assert stderr == f"Warning: {warning}\n"
    assert svg_texts(out).count("wide (lr=0.01)") == 1  # in val_acc's legend only


def test_where_picks_the_runs_and_says_when_the_limit_leaves_some_out(
    invoke: Invoke, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "w.svg"
    code, stdout, stderr = invoke(
        "plot", "--where", "params.lr < 1", "-n", "1", "-m", "val_acc", "-o", str(out)
    )
    assert code == 0
    assert "of 1 run." in stdout
    assert "Plotting the newest 1 of 2 matching runs (--limit N)." in stderr
    code, _, stderr = invoke("plot", "--where", "params.lr > 5", "-m", "val_acc", "-o", str(out))
    assert code == 2
    assert "No runs match --where 'params.lr > 5'." in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "curves.gif"],
            "Cannot write a plot to 'curves.gif': '.gif' is not one of .png, .svg, .pdf.",
        ),
        (
            ["-o", "curves"],
            "Cannot tell the format of 'curves': give it a suffix, one of .png, .svg, .pdf.",
        ),
        (["-m", "val_los"], "No metric 'val_los' in the run "),
        (["--smoothing", "1"], "Invalid value for '--smoothing'"),
        (["--x", "epoch"], "Invalid value for '--x'"),
        (["-o", "no/such/dir/c.png"], "Cannot write no/such/dir/c.png: No such file or directory."),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2_with_no_file_written(
    invoke: Invoke, two_runs: tuple[str, str], project_root: Path, args: list[str], message: str
) -> None:
    code, stdout, stderr = invoke("plot", two_runs[0], *args)
    assert code == 2
    assert message in stderr
    assert stdout == ""
    assert not list(project_root.glob("curves*"))


def test_an_unknown_run_or_no_run_at_all_is_exit_2(
    invoke: Invoke, two_runs: tuple[str, str]
) -> None:
    code, _, stderr = invoke("plot", "ffffffff", "-m", "loss")
    assert code == 2
    assert "ffffffff" in stderr
    code, _, stderr = invoke("plot", "-m", "loss")
    assert code == 2
    assert "Name the runs to plot (RUN ids) or choose them with --where." in stderr


def test_nan_and_inf_histories_plot_in_every_format(
    invoke: Invoke, store: Store, tmp_path: Path
) -> None:
    values = [1.0, math.nan, 0.5, math.inf, 0.25, -math.inf, math.nan]
    run = add_run(
        store, "_odd $x^$ name", {}, {"loss": steps(values), "all_nan": steps([math.nan] * 3)}
    )
    for suffix in (".png", ".svg", ".pdf"):
        out = tmp_path / f"odd{suffix}"
        code, _, stderr = invoke(
            "plot",
            run,
            "-m",
            "loss",
            "-m",
            "all_nan",
            "--smoothing",
            "0.6",
            "--log-y",
            "-o",
            str(out),
        )
        assert (code, stderr) == (0, "")
        assert out.stat().st_size > 1000
    # the name is drawn as written: "$" starts no math, "_" does not hide it from the legend
    assert any(text.endswith("_odd $x^$ name") for text in svg_texts(tmp_path / "odd.svg"))


def test_x_time_and_relative_label_their_axis(
    invoke: Invoke, two_runs: tuple[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "t.svg"
    assert (
        invoke("plot", two_runs[0], "-m", "loss", "--x", "relative", "-o", str(out)).exit_code == 0
    )
    assert "time since the run started (s)" in svg_texts(out)
    assert invoke("plot", two_runs[0], "-m", "loss", "--x", "time", "-o", str(out)).exit_code == 0
    assert "time" in svg_texts(out)


def test_without_matplotlib_the_command_says_how_to_install_it(
    two_runs: tuple[str, str], store_url: str, project_root: Path
) -> None:
    blocked = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from nbtrack.cli import main\n"
        f"main(['plot', '{two_runs[0]}', '-m', 'loss'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked],
        cwd=project_root,
        env={"NBTRACK_STORE": store_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "Error: Plots need matplotlib, which is not installed: pip install 'nbtrack[plots]'.\n"
    )
    assert not (project_root / "curves.png").exists()


def test_nbtrack_plot_returns_a_figure_that_a_notebook_shows_as_png(
    two_runs: tuple[str, str], settings: object, ip: object
) -> None:
    import nbtrack

    a, b = two_runs
    with pytest.warns(CurveWarning, match="has no metric 'loss'"):
        fig = nbtrack.plot([a, b], ["val_acc", "loss"], smoothing=0.3)
    assert [ax.get_title() for ax in fig.axes] == ["val_acc", "loss"]
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["baseline (lr=0.1)", "wide (lr=0.01)"]
    shell = ip
    data, _ = shell.display_formatter.format(fig)  # type: ignore[attr-defined]
    assert data["image/png"][:8] == PNG
    with pytest.raises(nbtrack.UsageError, match="No metric 'nope'"):
        nbtrack.plot(a, "nope")


@pytest.mark.kernel
def test_in_a_jupyter_kernel_the_figure_shows_once_as_the_cells_png(
    sqlite_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbclient
    import nbformat

    monkeypatch.setenv("NBTRACK_STORE", sqlite_url)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import nbtrack\n"
            "with nbtrack.start_run(name='k') as run:\n"
            "    for i in range(5):\n"
            "        nbtrack.log_metric('loss', 1 / (i + 1), step=i)\n"
        ),
        nbformat.v4.new_code_cell("nbtrack.plot(run.id, 'loss')"),
    ]
    client = nbclient.NotebookClient(
        notebook, timeout=120, resources={"metadata": {"path": str(project_root)}}
    )
    client.execute()
    outputs = notebook.cells[1].outputs
    # one output, the cell's value, as a PNG: no second copy from pyplot's inline backend
    assert [o.output_type for o in outputs] == ["execute_result"]
    assert base64.b64decode(outputs[0].data["image/png"])[:8] == PNG
