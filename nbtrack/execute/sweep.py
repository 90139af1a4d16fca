"""A sweep: one notebook, many runs with different parameters, as a plan of values.

For: turning ``--grid lr=0.001,0.01 --grid epochs=5,10`` (a cartesian
product) or ``--sample 20 --range lr=1e-4:1e-1:log --grid opt=adam,sgd``
(random draws) into a :class:`SweepPlan` of :class:`PlannedRun` values, each
tagged with the sweep's id; and :func:`run_planned`, one planned run executed
in this process through :func:`nbtrack.execute.runner.run_notebook`, its
:class:`RunOutcome` a picklable value (so a pool of local processes, or a
Dask worker, can run it and hand it back).

Values are read as ``-p`` reads them: a Python literal when they are one
(``0.01``, ``[64, 32]``, ``'adam'``), else the text given. A grid's values
are split at the commas outside brackets and quotes, so
``--grid layers=[64,32],[128]`` is two values. A range is ``LOW:HIGH`` with
an optional kind: ``uniform`` (the default, floats), ``log`` (log-uniform,
both ends above 0) or ``int`` (whole numbers, both ends included). With
``--sample N`` each of the N runs draws every range and picks every grid's
value at random (``--seed`` makes the draws repeatable; the seed is recorded
as a tag either way).

Every bad value raises :class:`~nbtrack.errors.ParamError` naming the option
and the value, before any run starts; a swept name the notebook's parameters
cell does not define is one too.

Not for: running runs side by side (:mod:`nbtrack.execute.sweep_local`,
:mod:`nbtrack.cluster`), parsing options or printing (``nbtrack.cli.run``).
"""

from __future__ import annotations

import itertools
import math
import os
import random
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtrack.errors import NbtrackError, NotebookError, ParamError, UsageError

__all__ = [
    "MAX_RUNS",
    "NOT_STARTED",
    "SWEEP_INDEX_TAG",
    "SWEEP_SEED_TAG",
    "SWEEP_TAG",
    "PlannedRun",
    "RunOutcome",
    "SweepPlan",
    "check_plan",
    "parse_grid",
    "parse_range",
    "plan_sweep",
    "run_planned",
]

#: the tag every run of a sweep carries: ``nbtrack runs --where "tags.sweep = 'ID'"``
SWEEP_TAG = "sweep"
#: the run's 0-based position in its sweep
SWEEP_INDEX_TAG = "sweep.index"
#: the seed of a ``--sample`` sweep's draws (so the same sweep can be drawn again)
SWEEP_SEED_TAG = "sweep.seed"
#: the status of a planned run that never started (stopped before its turn, or refused)
NOT_STARTED = "NOT_STARTED"
#: more runs than this in one plan is a mistake (a grid too fine), not a sweep
MAX_RUNS = 10_000

_RANGE_KINDS = ("uniform", "log", "int")


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep."""

    #: 0-based position in the sweep
    index: int
    #: every value this run sets (``-p`` values and the swept ones), as ``-p`` would give them
    params: dict[str, Any]
    #: ``<name or sweep id>-<index>``
    name: str
    #: the user's ``--tag`` values and ``sweep``, ``sweep.index`` (and ``sweep.seed``)
    tags: dict[str, str]


@dataclass(frozen=True)
class SweepPlan:
    #: 8 hex digits, random
    sweep_id: str
    #: absolute
    notebook: Path
    runs: tuple[PlannedRun, ...]
    #: the names the sweep varies, in the order given (the rest of ``params`` is fixed)
    swept: tuple[str, ...] = ()
    #: the seed of a ``--sample`` sweep's draws; None for a grid
    seed: int | None = None

    def swept_values(self, run: PlannedRun) -> dict[str, Any]:
        """The values *run* varies (what tells it apart from the sweep's other runs)."""
        return {name: run.params[name] for name in self.swept if name in run.params}


@dataclass(frozen=True)
class RunOutcome:
    """What became of one planned run (picklable)."""

    index: int
    #: None when no run was recorded (it never started)
    run_id: str | None
    #: FINISHED, FAILED, KILLED (a :class:`~nbtrack.model.RunStatus` value) or NOT_STARTED
    status: str
    seconds: float
    #: one sentence when it failed or did not start
    error: str | None = None


@dataclass(frozen=True)
class _Range:
    low: float
    high: float
    kind: str

    def draw(self, rng: random.Random) -> float | int:
        if self.kind == "int":
            return rng.randint(int(self.low), int(self.high))
        if self.kind == "log":
            return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return rng.uniform(self.low, self.high)


def _name_and_text(option: str, item: str) -> tuple[str, str]:
    import keyword

    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep:
        raise ParamError(f"{option} {item!r} has no '='; write it as NAME=VALUES.", key=item)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ParamError(f"{option} {item!r}: {name!r} is not a valid Python identifier.", key=name)
    return name, text


def _split_values(text: str) -> list[str]:
    """*text* cut at the commas outside brackets and quotes."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, char in enumerate(text):
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_grid(item: str, option: str = "--grid") -> tuple[str, list[Any]]:
    """``"lr=0.001,0.01"`` -> ``("lr", [0.001, 0.01])``; a ParamError names a bad *item*.

    >>> parse_grid("layers=[64,32],[128]")
    ('layers', [[64, 32], [128]])
    >>> parse_grid("opt=adam,'sgd'")
    ('opt', ['adam', 'sgd'])
    """
    from nbtrack.notebook.params import parse_param_assignments

    name, text = _name_and_text(option, item)
    parts = _split_values(text)
    if any(not part.strip() for part in parts):
        raise ParamError(
            f"{option} {item!r} has an empty value; list values with commas, e.g. {name}=1,2,3.",
            key=name,
        )
    values = [parse_param_assignments([f"{name}={part}"])[name] for part in parts]
    return name, values


def _number(option: str, item: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParamError(f"{option} {item!r}: {text.strip()!r} is not a number.") from None
    if not math.isfinite(value):
        raise ParamError(f"{option} {item!r}: {text.strip()!r} is not a finite number.")
    return value


def parse_range(item: str, option: str = "--range") -> tuple[str, _Range]:
    """``"lr=1e-4:1e-1:log"`` -> ``("lr", range)``; a ParamError names a bad *item*."""
    name, text = _name_and_text(option, item)
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ParamError(
            f"{option} {item!r} must look like NAME=LOW:HIGH or NAME=LOW:HIGH:KIND"
            f" (KIND: {', '.join(_RANGE_KINDS)}).",
            key=name,
        )
    kind = parts[2].strip() if len(parts) == 3 else "uniform"
    if kind not in _RANGE_KINDS:
        raise ParamError(
            f"{option} {item!r}: the kind {kind!r} is not one of {', '.join(_RANGE_KINDS)}.",
            key=name,
        )
    low, high = (_number(option, item, part) for part in parts[:2])
    if not low < high:
        raise ParamError(f"{option} {item!r}: LOW must be below HIGH.", key=name)
    if kind == "log" and low <= 0:
        raise ParamError(f"{option} {item!r}: a log range needs LOW above 0.", key=name)
    if kind == "int" and not (low.is_integer() and high.is_integer()):
        raise ParamError(f"{option} {item!r}: an int range needs whole LOW and HIGH.", key=name)
    return name, _Range(low, high, kind)


def _check_names(
    notebook: Path, fixed: Mapping[str, Any], swept: Sequence[tuple[str, str]]
) -> None:
    """Refuse a name swept twice, swept and fixed with ``-p``, or unknown to the notebook."""
    from nbtrack.notebook.document import read_notebook
    from nbtrack.notebook.params import find_parameters_cell, parameter_names

    seen: dict[str, str] = {}
    for name, option in swept:
        if name in seen:
            raise ParamError(f"{name} is swept twice ({seen[name]} and {option}).", key=name)
        if name in fixed:
            raise ParamError(f"{name} is set with -p and swept with {option}; keep one.", key=name)
        seen[name] = option
    if not notebook.is_file():
        raise NotebookError(f"Notebook {notebook} does not exist.", path=notebook)
    nb = read_notebook(notebook)
    if find_parameters_cell(nb) is None:
        raise ParamError(
            f"{notebook} has no parameters cell (a code cell tagged 'parameters', or one"
            " holding %%track_params) for the sweep's values to go after."
        )
    defined = set(parameter_names(nb))
    for name, option in swept:
        if name not in defined:
            raise ParamError(
                f"{option} {name}: the parameters cell of {notebook} does not define {name}.",
                key=name,
            )


def _check_tags(tags: Mapping[str, str]) -> None:
    for key in (SWEEP_TAG, SWEEP_INDEX_TAG, SWEEP_SEED_TAG):
        if key in tags:
            raise UsageError(f"--tag {key}=... is set by the sweep itself; use another key.")


def plan_sweep(
    notebook: str | os.PathLike[str],
    *,
    grid: Sequence[str] = (),
    sample: int | None = None,
    ranges: Sequence[str] = (),
    seed: int | None = None,
    base_params: Mapping[str, Any] | None = None,
    name: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> SweepPlan:
    """The runs of a sweep of *notebook*; see the module docstring.

    Without *sample*: the cartesian product of *grid* (*ranges* need a
    sample). With *sample*: that many runs, each value drawn at random.
    *base_params* (``-p``) go to every run; *name* prefixes the runs' names;
    *tags* tag every run.

    >>> plan = plan_sweep("notebooks/train.ipynb", grid=["lr=0.1,0.01"])  # doctest: +SKIP
    >>> [run.params for run in plan.runs]  # doctest: +SKIP
    [{'lr': 0.1}, {'lr': 0.01}]
    """
    given = Path(notebook)
    path = given.resolve()
    fixed = dict(base_params or {})
    grids = [parse_grid(item) for item in grid]
    drawn = [parse_range(item) for item in ranges]
    if sample is None and drawn:
        raise UsageError("--range values are drawn at random: give --sample N too.")
    if sample is None and not grids:
        raise UsageError("A sweep needs --grid NAME=V1,V2,... or --sample N with --range/--grid.")
    if sample is not None and not (0 < sample <= MAX_RUNS):
        raise UsageError(f"--sample {sample}: the number of runs must be from 1 to {MAX_RUNS}.")
    if sample is not None and not (grids or drawn):
        raise UsageError(f"--sample {sample} draws from --range or --grid values; give some.")
    if sample is None and seed is not None:
        raise UsageError("--seed sets the draws of --sample; a --grid alone draws nothing.")
    swept = [(n, "--grid") for n, _ in grids] + [(n, "--range") for n, _ in drawn]
    _check_names(given, fixed, swept)
    user_tags = dict(tags or {})
    _check_tags(user_tags)

    if sample is None:
        total = math.prod(len(values) for _, values in grids)
        if total > MAX_RUNS:
            raise UsageError(f"The --grid values make {total} runs, more than {MAX_RUNS}.")
        combos = [dict(zip([n for n, _ in grids], c, strict=True)) for c in _product(grids)]
    else:
        seed = secrets.randbelow(2**31) if seed is None else seed
        rng = random.Random(seed)
        combos = [_draw(rng, grids, drawn) for _ in range(sample)]

    sweep_id = secrets.token_hex(4)
    prefix = name or sweep_id
    runs = []
    for index, values in enumerate(combos):
        run_tags = {**user_tags, SWEEP_TAG: sweep_id, SWEEP_INDEX_TAG: str(index)}
        if seed is not None:
            run_tags[SWEEP_SEED_TAG] = str(seed)
        runs.append(PlannedRun(index, {**fixed, **values}, f"{prefix}-{index}", run_tags))
    return SweepPlan(sweep_id, path, tuple(runs), tuple(n for n, _ in swept), seed)


def check_plan(plan: SweepPlan, param_file: str | os.PathLike[str] | None = None) -> list[str]:
    """Resolve every run's values as its run will, before any starts; the warnings, once each.

    A ``-f`` file that is missing, malformed or names a parameter the
    notebook does not define raises :class:`~nbtrack.errors.ParamError` here,
    once, instead of failing every run alike. The warnings are the values of
    another type than the parameters cell's default (``--grid lr=abc``).
    """
    from nbtrack.notebook.document import read_notebook
    from nbtrack.notebook.params import resolve_params

    nb = read_notebook(plan.notebook)
    files = () if param_file is None else (Path(param_file),)
    warnings: dict[str, None] = {}
    for run in plan.runs:
        resolved = resolve_params(nb, files=files, cli=run.params)
        warnings.update(dict.fromkeys(resolved.warnings))
    return list(warnings)


def _product(grids: Sequence[tuple[str, list[Any]]]) -> list[tuple[Any, ...]]:
    return list(itertools.product(*(values for _, values in grids)))


def _draw(
    rng: random.Random,
    grids: Sequence[tuple[str, list[Any]]],
    drawn: Sequence[tuple[str, _Range]],
) -> dict[str, Any]:
    values: dict[str, Any] = {name: rng.choice(options) for name, options in grids}
    values.update({name: bounds.draw(rng) for name, bounds in drawn})
    return values


def run_planned(
    plan: SweepPlan,
    run: PlannedRun,
    *,
    store_url: str | None,
    param_file: str | None,
    cwd: str | None,
    timeout: float | None,
    experiment: str | None = None,
) -> RunOutcome:
    """Run one planned run in this process; its outcome, never an exception for a failure.

    A notebook that fails is ``FAILED`` with the failing cell named; Ctrl-C or
    SIGTERM while it runs is ``KILLED``; bad input found only now (an
    unreadable ``-f`` file on this machine, say) is ``NOT_STARTED`` with the
    sentence. *experiment* (None: the settings') names the runs' experiment.
    """
    from nbtrack.envvars import EXPERIMENT_ENV
    from nbtrack.execute.runner import run_notebook

    started = time.monotonic()
    saved = os.environ.get(EXPERIMENT_ENV)
    if experiment is not None:
        # the kernel's session reads it from its environment, inherited from here
        os.environ[EXPERIMENT_ENV] = experiment
    try:
        result = run_notebook(
            plan.notebook,
            params=run.params,
            param_file=param_file,
            name=run.name,
            tags=run.tags,
            cwd=cwd,
            store_url=store_url,
            timeout=timeout,
        )
    except NbtrackError as exc:
        return RunOutcome(run.index, None, NOT_STARTED, time.monotonic() - started, str(exc))
    except KeyboardInterrupt:
        return RunOutcome(run.index, None, NOT_STARTED, time.monotonic() - started, "stopped")
    finally:
        if experiment is not None:
            _restore(EXPERIMENT_ENV, saved)
    error = None
    if result.failure is not None:
        error = result.failure.describe().rstrip(".")
    elif result.error is not None:
        error = result.error
    return RunOutcome(run.index, result.run_id, result.status.value, result.seconds, error)


def _restore(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value
