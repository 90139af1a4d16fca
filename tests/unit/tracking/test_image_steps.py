"""Images and figures logged at a step: one artifact a step, bad steps and bytes refused."""

from __future__ import annotations

from typing import Any

import pytest

import nbtrack
from nbtrack.tracking.api import get_tracker
from nbtrack.tracking.checks import PNG_SIGNATURE


def png(label: str) -> bytes:
    """Real PNG bytes (matplotlib's Agg writer) of a figure showing *label*."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.set_title(label)
    from io import BytesIO

    buffer = BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def test_a_figure_logged_every_epoch_keeps_each_steps_image() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with nbtrack.start_run() as run:
        for epoch in range(3):
            fig, ax = plt.subplots(figsize=(1, 1))
            ax.imshow([[epoch, 1], [1, 0]])
            logged = nbtrack.log_figure(fig, "confusion_matrix", step=epoch)
            plt.close(fig)
            assert logged.step == epoch

    stored = nbtrack.get_run(run.id).artifacts
    assert [(a.name, a.step, a.media_type) for a in stored] == [
        ("confusion_matrix.png", 0, "image/png"),
        ("confusion_matrix.png", 1, "image/png"),
        ("confusion_matrix.png", 2, "image/png"),
    ]
    assert len({a.digest for a in stored}) == 3  # three different images
    store = get_tracker().store()
    assert all(store.artifact_path(a).read_bytes().startswith(PNG_SIGNATURE) for a in stored)


def test_log_image_stores_the_bytes_it_is_given_at_its_step() -> None:
    data = png("epoch 3")
    with nbtrack.start_run() as run:
        logged = run.log_image(data, "confusion_matrix", step=3)
        plain = nbtrack.log_image(bytearray(data), "samples/first.PNG")

    assert (logged.name, logged.step, logged.size) == ("confusion_matrix.png", 3, len(data))
    assert (plain.name, plain.step) == ("samples/first.PNG", None)
    stored = nbtrack.get_run(run.id).artifacts
    assert stored == (logged, plain)
    assert get_tracker().store().artifact_path(stored[0]).read_bytes() == data


BAD_STEPS: list[tuple[Any, str]] = [
    (-1, "step must be 0 or more, not -1"),
    (2.5, "step must be an integer, not 2.5."),
    ("3", "step must be an integer, not '3'."),
    (True, "step must be an integer, not True."),
    (2**63, f"step {2**63} does not fit a signed 64-bit integer"),
]


@pytest.mark.parametrize(("step", "message"), BAD_STEPS)
@pytest.mark.parametrize("how", ["log_figure", "log_image"])
def test_a_bad_step_is_a_usage_error_naming_it_and_the_run_goes_on(
    step: Any, message: str, how: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    log: Any = (
        (lambda: nbtrack.log_figure(Figure(), "cm", step=step))
        if how == "log_figure"
        else (lambda: nbtrack.log_image(png("x"), "cm", step=step))
    )
    with nbtrack.start_run() as run:
        with pytest.raises(nbtrack.UsageError) as refused:
            log()
        nbtrack.log_image(png("fine"), "cm", step=1)

    assert str(refused.value).startswith(f"artifact 'cm': {message}")
    assert [(a.name, a.step) for a in nbtrack.get_run(run.id).artifacts] == [("cm.png", 1)]


def test_a_step_numpy_gives_or_a_whole_float_is_taken_as_an_int() -> None:
    import numpy as np

    with nbtrack.start_run():
        assert nbtrack.log_image(png("a"), "cm", step=np.int64(4)).step == 4
        assert type(nbtrack.log_image(png("b"), "cm", step=5.0).step) is int


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"\xff\xd8\xff\xe0 a jpeg",
            r"given 11 bytes that are not a PNG file \(they start with b.\\xff",
        ),
        (b"", "given 0 bytes that are not a PNG file"),
        ("confusion.png", "takes the bytes of a PNG file, not str; for a matplotlib figure"),
    ],
)
def test_bytes_that_are_not_a_png_are_refused_and_nothing_is_stored(
    data: Any, message: str
) -> None:
    with nbtrack.start_run() as run, pytest.raises(nbtrack.UsageError, match=message) as refused:
        nbtrack.log_image(data, "confusion_matrix", step=0)
    assert "log_image('confusion_matrix')" in str(refused.value)
    assert nbtrack.get_run(run.id).artifacts == ()
    root = get_tracker().store().artifact_root  # type: ignore[attr-defined]
    assert not list(root.rglob("sha256"))


def test_a_bad_image_name_is_refused_before_the_bytes_are_stored() -> None:
    with nbtrack.start_run() as run, pytest.raises(nbtrack.UsageError, match="relative path"):
        nbtrack.log_image(png("x"), "../cm", step=0)
    assert nbtrack.get_run(run.id).artifacts == ()
