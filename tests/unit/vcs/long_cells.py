"""Long cells for the alignment tests: one written by hand, reformatted, and an unrelated one."""

from __future__ import annotations


def hand_written() -> str:
    """A 40-line cell written by hand: 2-space indents, calls wrapped by hand."""
    lines = ["import numpy as np", "", "def train_model(data, labels, epochs, rate):"]
    for k in range(9):
        lines += [
            f"  weights_{k} = np.zeros(",
            f"    (data.shape[1], {k + 2}),",
            "  )",
            f"  history_{k} = fit(weights_{k}, data, labels, epochs=epochs, rate=rate * {k})",
        ]
    lines.append("  return history_0")
    return "\n".join(lines)


def black_formatted() -> str:
    """The same cell after black: 4-space indents, short calls joined onto one line."""
    lines = ["import numpy as np", "", "", "def train_model(data, labels, epochs, rate):"]
    for k in range(9):
        lines += [
            f"    weights_{k} = np.zeros((data.shape[1], {k + 2}))",
            f"    history_{k} = fit(",
            f"        weights_{k}, data, labels, epochs=epochs, rate=rate * {k}",
            "    )",
        ]
    lines.append("    return history_0")
    return "\n".join(lines)


def unrelated() -> str:
    """Another 40-line cell of the same notebook: plotting, not training."""
    lines = ["import matplotlib.pyplot as plt", "", "fig, axes = plt.subplots(3, 3)"]
    for k in range(9):
        lines += [
            f"axes.flat[{k}].plot(results[{k}]['loss'], label='run {k}')",
            f"axes.flat[{k}].set_title('learning curve {k}')",
            f"axes.flat[{k}].legend(loc='upper right')",
            f"axes.flat[{k}].grid(True)",
        ]
    lines.append("fig.savefig('curves.png')")
    return "\n".join(lines)
