"""Benchmark: `nbtrack diff --format markdown` on a pair of 1,000-cell notebooks.

Generates the pair (about 900 KB each, outputs and images included; 50 cells
modified, 10 deleted), then times, each in a fresh process:

* anchor:             python -c pass (interpreter start-up on this machine)
* nbtrack (ids):      nbtrack diff old.ipynb new.ipynb --format markdown
* nbtrack (no ids):   the same pair with every cell id removed (content alignment)
* nbdiff (ids):       nbdime's nbdiff on the pair with ids, when installed

and prints medians and ratios. Targets (issue 5): nbtrack with ids <= 0.5 s,
without ids <= 1 s. Run it with:

    .venv/bin/python benchmarks/bench_diff.py [--runs 7] [--nbdiff-runs 3] [--nbdiff-noids]

``--nbdiff-noids`` also times nbdiff without ids (nbdime's cell alignment is
quadratic there; expect tens of seconds).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

CELLS = 1_000
MODIFIED = 50
DELETED = 10


def _png(width: int, seed: int) -> str:
    """A small valid PNG of noise (incompressible, so its size is real)."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(width))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


def _cell(i: int, rng: random.Random) -> dict[str, Any]:
    if i % 10 == 0:
        return {
            "cell_type": "markdown",
            "id": f"cell-{i:04d}",
            "metadata": {},
            "source": [f"## Step {i}\n", "\n", f"Notes about step {i}: {rng.random():.6f}.\n"],
        }
    source = [
        f"values_{i} = [x * {i} for x in range(10)]\n",
        f"total_{i} = sum(values_{i}) + {rng.randint(0, 10_000)}\n",
        f"print('step {i}', total_{i})",
    ]
    outputs: list[dict[str, Any]] = [
        {"name": "stdout", "output_type": "stream", "text": [f"step {i} {rng.random():.8f}\n"]}
    ]
    if i % 25 == 1:
        outputs.append(
            {
                "data": {"image/png": _png(56, i), "text/plain": ["<Figure size 640x480>"]},
                "metadata": {},
                "output_type": "display_data",
            }
        )
    return {
        "cell_type": "code",
        "execution_count": i,
        "id": f"cell-{i:04d}",
        "metadata": {"execution": {"iopub.execute_input": f"2026-01-01T00:00:{i % 60:02d}Z"}},
        "outputs": outputs,
        "source": source,
    }


def make_pair(folder: Path) -> tuple[Path, Path, Path, Path]:
    """Write old/new notebooks with ids and the same pair without ids."""
    rng = random.Random(5)
    cells = [_cell(i, rng) for i in range(CELLS)]
    old = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    new_cells = json.loads(json.dumps(cells))
    code = [k for k, c in enumerate(new_cells) if c["cell_type"] == "code"]
    picked = rng.sample(code, MODIFIED + DELETED)
    for k in picked[:MODIFIED]:
        cell = new_cells[k]
        cell["source"][1] = cell["source"][1].replace("+", "- 1 +")
        cell["execution_count"] = cell["execution_count"] + 5_000
        cell["outputs"][0]["text"] = [f"step {k} changed {rng.random():.8f}\n"]
        if len(cell["outputs"]) > 1:
            cell["outputs"][1]["data"]["image/png"] = _png(60, k + 99_999)
    for k in sorted(picked[MODIFIED:], reverse=True):
        del new_cells[k]
    new = {**old, "cells": new_cells}
    paths = []
    for name, nb in (("old", old), ("new", new)):
        with_ids = folder / f"{name}.ipynb"
        with_ids.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        bare = json.loads(json.dumps(nb))
        bare["nbformat_minor"] = 4
        for cell in bare["cells"]:
            cell.pop("id", None)
        without = folder / f"{name}-noids.ipynb"
        without.write_text(json.dumps(bare, indent=1), encoding="utf-8")
        paths += [with_ids, without]
    return paths[0], paths[2], paths[1], paths[3]


def _time(cmd: list[str], runs: int) -> tuple[float, str]:
    samples = []
    out = ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        samples.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-500:]}")
        out = done.stdout
    return statistics.median(samples), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--nbdiff-runs", type=int, default=3)
    parser.add_argument("--nbdiff-noids", action="store_true")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    nbtrack = shutil.which("nbtrack", path=str(bindir)) or "nbtrack"
    nbdiff = shutil.which("nbdiff", path=str(bindir)) or shutil.which("nbdiff")
    with tempfile.TemporaryDirectory() as tmp:
        old, new, old_bare, new_bare = make_pair(Path(tmp))
        size = (old.stat().st_size + new.stat().st_size) / 2 / 1024
        print(f"pair: {CELLS} cells, ~{size:.0f} KB each, {MODIFIED} modified, {DELETED} deleted")
        anchor, _ = _time([sys.executable, "-c", "pass"], args.runs)
        with_ids, text = _time(
            [nbtrack, "diff", str(old), str(new), "--format", "markdown"], args.runs
        )
        without_ids, text_bare = _time(
            [nbtrack, "diff", str(old_bare), str(new_bare), "--format", "markdown"], args.runs
        )
        print(f"markdown: {len(text):,} chars (ids), {len(text_bare):,} chars (no ids)")
        # a fast diff that found the wrong cells would be no result at all
        expected = f"{MODIFIED} modified, {DELETED} deleted ·"
        for name, rendered in (("ids", text), ("no ids", text_bare)):
            if expected not in rendered:
                raise SystemExit(f"nbtrack diff ({name}) did not report '{expected}'")
        rows = [
            ("python -c pass (anchor)", anchor, None),
            ("nbtrack diff, ids", with_ids, 0.5),
            ("nbtrack diff, no ids", without_ids, 1.0),
        ]
        if nbdiff:
            nb_ids, _ = _time([nbdiff, str(old), str(new)], args.nbdiff_runs)
            rows.append(("nbdiff, ids", nb_ids, None))
            if args.nbdiff_noids:
                nb_bare, _ = _time([nbdiff, str(old_bare), str(new_bare)], 1)
                rows.append(("nbdiff, no ids (1 run)", nb_bare, None))
    print(f"\n{'command':28} {'median s':>9} {'x anchor':>9}  target")
    for name, seconds, target in rows:
        verdict = (
            "" if target is None else ("ok" if seconds <= target else "OVER") + f" <= {target}"
        )
        print(f"{name:28} {seconds:9.3f} {seconds / anchor:9.1f}  {verdict}")
    if nbdiff:
        print(f"\nnbdiff / nbtrack (ids): {nb_ids / with_ids:.1f}x")
        if args.nbdiff_noids:
            print(f"nbdiff / nbtrack (no ids): {nb_bare / without_ids:.1f}x")
    else:
        print("\nnbdiff not installed: no comparison")


if __name__ == "__main__":
    main()
