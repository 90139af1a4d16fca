"""What ``nbtrack.autolog()`` costs: turning it on, a recorded fit, a nested fit.

Three measurements, each a median over several repetitions with an anchor
measured in the same run:

* ``autolog()`` in fresh processes that imported what a notebook imports
  (``sklearn.linear_model``, ``pipeline``, ``preprocessing``, ``ensemble``,
  ``model_selection``): the first call, which also imports nbtrack's autolog
  and tracking modules, and a second call. Anchor: ``all_estimators()``, the
  way to list every estimator class (it imports all of scikit-learn), in
  the same processes *after* autolog, so its class creations also pay for
  the hook that wraps new classes; the same anchor in processes without
  autolog shows what that hook costs.
* A recorded fit: ``LogisticRegression`` on iris (150 x 4) and on a
  20,000 x 20 synthetic set, with and without autolog, interleaved, in one
  process writing a SQLite store. The overhead is split into the training
  score (one ``score(X, y)``, timed on its own) and nbtrack's bookkeeping
  (params, metrics, tags: the rest).
* A nested fit: a meta-estimator whose ``fit`` fits an inner estimator
  100,000 times (as a search fits clones), the inner ``fit`` doing nothing so
  that what is left is the wrapper, which only counts; the cost per inner
  fit, against a ``DummyClassifier`` fit (the cheapest real one) for scale.

Run it:

    .venv/bin/python benchmarks/bench_autolog.py [--processes 5] [--fits 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_IMPORTS = """
import sklearn.linear_model, sklearn.pipeline, sklearn.preprocessing
import sklearn.ensemble, sklearn.model_selection
"""

_SWITCH_ON = (
    _IMPORTS
    + """
import json, time
import nbtrack
t0 = time.perf_counter()
nbtrack.autolog()
t1 = time.perf_counter()
nbtrack.autolog()
t2 = time.perf_counter()
from sklearn.utils import all_estimators
t3 = time.perf_counter()
found = all_estimators()
t4 = time.perf_counter()
from nbtrack.integrations.sklearn import state
print(json.dumps({"first": t1 - t0, "again": t2 - t1, "all": t4 - t3, "wrapped": state().wrapped,
                  "classes": len(found)}))
"""
)

_PLAIN = (
    _IMPORTS
    + """
import json, time
from sklearn.utils import all_estimators
t3 = time.perf_counter()
all_estimators()
print(json.dumps({"all": time.perf_counter() - t3}))
"""
)

INNER_FITS = 100_000

# BLAS threads of one fit fight the other work on a shared 2-core machine and
# swamp a few milliseconds of bookkeeping (LogisticRegression on iris measured
# 4 ms with one thread, 90-140 ms with the default); set before numpy loads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _sample(code: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def switch_on_cost(processes: int) -> dict[str, float]:
    """Medians over fresh processes, interleaved with the plain anchor's processes."""
    on: list[dict[str, Any]] = []
    plain: list[float] = []
    for _ in range(processes):
        on.append(_sample(_SWITCH_ON))
        plain.append(_sample(_PLAIN)["all"])
    return {
        "first": statistics.median(s["first"] for s in on),
        "again": statistics.median(s["again"] for s in on),
        "all_hooked": statistics.median(s["all"] for s in on),
        "all_plain": statistics.median(plain),
        "wrapped": on[-1]["wrapped"],
        "classes": on[-1]["classes"],
    }


def _median_time(call: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def fit_cost(fits: int) -> list[tuple[str, float, float, float]]:
    """(data, plain fit, recorded fit, score alone) medians in seconds."""
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    import nbtrack

    iris_x, iris_y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    big_x = rng.normal(size=(20_000, 20))
    big_y = (big_x[:, 0] + rng.normal(size=20_000) > 0).astype(int)
    rows = []
    for label, x, y in (
        ("iris 150 x 4", StandardScaler().fit_transform(iris_x), iris_y),
        ("synthetic 20,000 x 20", big_x, big_y),
    ):
        model = LogisticRegression(max_iter=500)
        plain_samples: list[float] = []
        logged_samples: list[float] = []
        for _ in range(fits):  # interleaved, so drift hits both alike
            nbtrack.autolog(disable=True)
            plain_samples.append(_median_time(lambda m=model, x=x, y=y: m.fit(x, y), 1))
            nbtrack.autolog()
            logged_samples.append(_median_time(lambda m=model, x=x, y=y: m.fit(x, y), 1))
        score = _median_time(lambda m=model, x=x, y=y: m.score(x, y), fits)
        run = nbtrack.active_run()
        if run is None or not run.flush():
            raise SystemExit("the recorded fits did not reach the store")
        points = {m.key: m.count for m in nbtrack.get_run(run.id).metrics}
        if points.get("training_score") != fits:
            raise SystemExit(f"expected {fits} recorded fits, the store has {points}")
        nbtrack.end_run()
        rows.append(
            (label, statistics.median(plain_samples), statistics.median(logged_samples), score)
        )
    nbtrack.autolog(disable=True)
    return rows


def nested_cost(repeat: int) -> tuple[float, float, float]:
    """(plain, with autolog) median seconds of one outer fit holding INNER_FITS inner
    fits of an estimator whose fit does nothing, and a DummyClassifier fit for scale."""
    import numpy as np
    from sklearn.base import BaseEstimator
    from sklearn.dummy import DummyClassifier

    import nbtrack

    class Nothing(BaseEstimator):  # type: ignore[misc]
        """An estimator whose fit costs nothing: what is left is the wrapper."""

        def fit(self, X: Any, y: Any) -> Nothing:
            return self

    inner = Nothing()

    class Repeat(BaseEstimator):  # type: ignore[misc]
        """Fits an inner estimator many times, as a search fits clones."""

        def fit(self, X: Any, y: Any) -> Repeat:
            for _ in range(INNER_FITS):
                inner.fit(X, y)
            return self

    x = np.zeros((20, 2))
    y = np.arange(20) % 2
    plain_samples: list[float] = []
    logged_samples: list[float] = []
    for _ in range(repeat):
        nbtrack.autolog(disable=True)
        plain_samples.append(_median_time(lambda: Repeat().fit(x, y), 1))
        nbtrack.autolog()
        logged_samples.append(_median_time(lambda: Repeat().fit(x, y), 1))
    nbtrack.autolog(disable=True)
    nbtrack.end_run()
    dummy = _median_time(lambda: DummyClassifier().fit(x, y), 200)
    return statistics.median(plain_samples), statistics.median(logged_samples), dummy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5, help="fresh processes for autolog()")
    parser.add_argument("--fits", type=int, default=30, help="fits of each variant")
    args = parser.parse_args(argv)

    home = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        os.environ["NBTRACK_STORE"] = str(Path(tmp) / "runs.db")
        os.chdir(tmp)
        try:
            on = switch_on_cost(args.processes)
            print(f"autolog() after the usual sklearn imports (median of {args.processes}):")
            print(f"  first call (imports nbtrack's autolog)  {on['first'] * 1000:8.2f} ms")
            print(f"  second call                             {on['again'] * 1000:8.2f} ms")
            print(f"  methods wrapped                         {on['wrapped']:8d}")
            print(
                f"  anchor: all_estimators() ({on['classes']} classes)"
                f"  {on['all_plain'] * 1000:8.1f} ms   ratio first call / anchor"
                f" {on['first'] / on['all_plain']:.3f}"
            )
            print(
                f"  all_estimators() with the hook on       {on['all_hooked'] * 1000:8.1f} ms"
                f"   ({on['all_hooked'] / on['all_plain']:.2f}x the anchor)"
            )
            print(f"\nrecorded fit, LogisticRegression (median of {args.fits}, SQLite):")
            for label, plain, logged, score in fit_cost(args.fits):
                extra = logged - plain
                print(
                    f"  {label:22s} plain {plain * 1000:7.2f} ms  recorded {logged * 1000:7.2f} ms"
                    f"  +{extra * 1000:.2f} ms ({logged / plain:.2f}x);"
                    f" of it the training score {score * 1000:.2f} ms,"
                    f" nbtrack's bookkeeping {(extra - score) * 1000:.2f} ms"
                )
            plain, logged, dummy = nested_cost(max(5, args.fits // 6))
            per_inner = (logged - plain) / INNER_FITS
            print(f"\nnested fits ({INNER_FITS:,} do-nothing fits inside one recorded fit):")
            print(
                f"  plain {plain * 1000:.1f} ms  with autolog {logged * 1000:.1f} ms:"
                f" +{per_inner * 1e6:.2f} us per inner fit; a DummyClassifier fit takes"
                f" {dummy * 1e6:.0f} us ({per_inner / dummy * 100:.2f}% of it)"
            )
        finally:
            os.chdir(home)


if __name__ == "__main__":
    main()
