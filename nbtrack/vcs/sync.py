"""``nbtrack sync``: keep paired ``.ipynb`` and jupytext text files in step.

Pairing comes from jupytext (``jupytext.toml`` / ``[tool.jupytext]`` or the
notebook's own ``jupytext.formats`` metadata) and all reading, writing and
merging goes through jupytext's Python API. Being "in step" is decided by
content (the cells' types and sources, as the text format sees them), never
by timestamps, which lie after a checkout or a stash. When a pair differs,
``prefer``, else the side edited since HEAD, else the side changed by the
later commit (git), is the source; the newer file only where git cannot
tell. Both sides edited, or committed out of step in one commit, is a
conflict for ``--prefer``. The ``.ipynb`` keeps its
outputs, cell ids and metadata for every cell whose text did not change, and
a file already in step is never rewritten.

The executed copies ``nbtrack run --output`` and ``nbtrack smoke`` write
(marked ``metadata.nbtrack.output_of``) are skipped, never paired.

Not here: pairing configuration (``init``) and diffs (``engine``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nbtrack.errors import NotebookError, UsageError, VcsError

__all__ = ["PairState", "SyncReport", "find_notebooks", "sync_paths"]

_SKIP_DIRS = {
    ".git", ".venv", "venv", "node_modules", ".ipynb_checkpoints", "__pycache__",
    ".nbtrack", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist",
}  # fmt: skip


@dataclass(frozen=True)
class PairState:
    """One paired notebook: its files and whether (and how) they were out of step."""

    notebook: Path
    texts: tuple[Path, ...]
    in_step: bool
    #: why not, e.g. ``train.py is missing`` or ``cell 3 differs``
    reason: str = ""
    #: files written by a sync
    written: tuple[Path, ...] = ()
    #: cells the text format cannot carry exactly (e.g. a code line starting ``# %%``),
    #: found when the text file was written from the notebook
    lossy: str = ""


@dataclass(frozen=True)
class SyncReport:
    pairs: tuple[PairState, ...]
    skipped: tuple[str, ...]

    @property
    def out_of_step(self) -> tuple[PairState, ...]:
        return tuple(pair for pair in self.pairs if not pair.in_step)


def find_notebooks(root: Path) -> list[Path]:
    """Every ``.ipynb`` below ``root``, skipping virtualenvs, caches and checkpoints."""
    found: list[Path] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(Path(directory) / f for f in sorted(files) if f.endswith(".ipynb"))
    return found


def sync_paths(
    paths: Sequence[Path],
    *,
    check: bool = False,
    prefer: Literal["ipynb", "text"] | None = None,
) -> SyncReport:
    """Check (``check=True``) or sync each paired notebook among ``paths``.

    Directories are searched for notebooks; a text file stands for its pair.
    Files that are not paired are skipped (named in ``SyncReport.skipped``).
    """
    pairs: list[PairState] = []
    skipped: list[str] = []
    seen: set[Path] = set()
    try:
        for path in _expand(paths):
            origin = _output_of(path)
            if origin is not None:
                skipped.append(f"{path}: the executed copy of {origin} nbtrack wrote, not paired")
                continue
            group = _pair_of(path)
            if group is None:
                skipped.append(f"{path}: not paired with a text file (no jupytext formats)")
                continue
            key = group[0][0].resolve()
            if key in seen:
                continue
            seen.add(key)
            pairs.append(_check_or_sync(group, check=check, prefer=prefer))
    finally:
        _READS.clear()
        _CELLS.clear()
    return SyncReport(tuple(pairs), tuple(skipped))


def _expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(find_notebooks(path))
        elif path.exists():
            out.append(path)
        else:
            raise UsageError(f"{path} does not exist")
    return out


_Group = list[tuple[Path, dict[str, str]]]


def _output_of(path: Path) -> str | None:
    """The notebook *path* is an executed copy of (``nbtrack run``/``smoke`` wrote it), or None."""
    from nbtrack.notebook.document import output_of

    if path.suffix != ".ipynb":
        return None
    return output_of(_read(path).metadata)


def _pair_of(path: Path) -> _Group | None:
    """[(ipynb path, fmt), (text path, fmt), ...] for a paired file, else None."""
    from jupytext.config import JupytextConfigurationError, load_jupytext_config, notebook_formats
    from jupytext.paired_paths import InconsistentPath, paired_paths

    path = path.absolute()
    try:
        config = load_jupytext_config(str(path.parent))
    except JupytextConfigurationError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    # a plain .py is not a notebook unless its ipynb twin exists or its header says so
    if (
        path.suffix != ".ipynb"
        and not _has_jupytext_header(path)
        and not any(p.suffix == ".ipynb" and p.exists() for p in _candidates(path, config))
    ):
        return None
    nb = _read(path)
    formats = notebook_formats(nb, config, str(path), fallback_on_current_fmt=False)
    if not formats or len(formats) < 2:
        return None
    fmt = next((f for f in formats if f.get("extension") == path.suffix), None)
    if fmt is None:
        return None
    try:
        group = paired_paths(str(path), fmt, formats)
    except InconsistentPath:
        return None
    ordered = sorted(group, key=lambda item: item[1].get("extension") != ".ipynb")
    if ordered[0][1].get("extension") != ".ipynb":
        return None
    return [(Path(p), dict(f)) for p, f in ordered]


def _candidates(path: Path, config: Any) -> list[Path]:
    from jupytext.formats import long_form_multiple_formats
    from jupytext.paired_paths import InconsistentPath, paired_paths

    if config is None:
        return []
    try:
        formats = long_form_multiple_formats(config.default_formats(str(path)))
        fmt = next((f for f in formats if f.get("extension") == path.suffix), None)
        if fmt is None:
            return []
        return [Path(p) for p, _ in paired_paths(str(path), fmt, formats)]
    except (InconsistentPath, ValueError):
        return []


def _has_jupytext_header(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(2000)
    except OSError:
        return False
    return "jupytext:" in head


#: parsed notebooks and cell lists of one ``sync_paths`` call: reading a big notebook (and
#: jupytext's validated cells) costs seconds, so each file is parsed once per version of it
_READS: dict[tuple[str, str, int, int], Any] = {}
_CELLS: dict[tuple[int, str], tuple[Any, list[tuple[str, str]]]] = {}


def _read(path: Path, fmt: dict[str, str] | None = None) -> Any:
    try:
        stat = path.stat()
        key = (
            str(path.resolve()),
            repr(sorted((fmt or {}).items())),
            stat.st_mtime_ns,
            stat.st_size,
        )
        if key not in _READS:
            _READS[key] = _parse(path, fmt)
        return _READS[key]
    except NotebookError:
        raise
    except Exception as exc:  # jupytext/nbformat raise many types; name the file instead
        raise NotebookError(
            f"{path} cannot be read as a notebook: {_first_line(exc)}",
            path=path,
        ) from None


def _parse(path: Path, fmt: dict[str, str] | None) -> Any:
    """*path* read by jupytext; an ``.ipynb`` with a UTF-8 BOM read as if it had none.

    An ``.ipynb`` in nbformat 3 is refused: jupytext reads it but cannot write it.
    """
    import jupytext

    if (fmt or {}).get("extension", path.suffix) != ".ipynb":
        return jupytext.read(str(path), fmt=fmt)
    # some Windows editors start a file with a BOM; JSON has none, nbformat refuses it
    text = path.read_bytes().decode("utf-8-sig")
    with warnings.catch_warnings():  # its warning about nbformat 3: said below, once
        warnings.simplefilter("ignore", UserWarning)
        nb = jupytext.reads(text, fmt=fmt or "ipynb")
    version = getattr(nb, "nbformat", 4)
    if isinstance(version, int) and version < 4:
        raise NotebookError(
            f"{path} is in nbformat {version}, which cannot be paired with a text file;"
            f" convert it with `jupyter nbconvert --to notebook --nbformat 4 --inplace {path}`.",
            path=path,
        )
    return nb


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _cells(nb: Any, fmt: dict[str, str]) -> list[tuple[str, str]]:
    """The cells as the text format sees them (normalised by one writes/reads trip)."""
    import jupytext

    key = (id(nb), repr(sorted(fmt.items())))
    cached = _CELLS.get(key)
    if cached is not None and cached[0] is nb:
        return cached[1]
    text = jupytext.writes(nb, fmt=fmt)
    cells = [(c.cell_type, c.source) for c in jupytext.reads(text, fmt=fmt).cells]
    _CELLS[key] = (nb, cells)
    return cells


def _text_is_current(ipynb_nb: Any, path: Path, fmt: dict[str, str]) -> bool:
    """True when ``path`` holds exactly the text jupytext writes for the notebook (cheap)."""
    import jupytext

    try:
        return bool(jupytext.writes(ipynb_nb, fmt=fmt) == path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def _difference(ipynb_nb: Any, text_nb: Any, fmt: dict[str, str]) -> str | None:
    a = _cells(ipynb_nb, fmt)
    if a == _cells_plain(text_nb):
        return None  # the usual case, without normalising the text side too
    b = _cells(text_nb, fmt)
    for index, (left, right) in enumerate(zip(a, b, strict=False)):
        if left != right:
            return f"cell {index + 1} differs"
    if len(a) != len(b):
        return f"{len(a)} cells in the notebook, {len(b)} in the text file"
    return None


def _check_or_sync(
    group: _Group, *, check: bool, prefer: Literal["ipynb", "text"] | None
) -> PairState:
    (nb_path, _), texts = group[0], group[1:]
    text_paths = tuple(p for p, _ in texts)
    missing = [p for p, _ in group if not p.exists()]
    reasons: list[str] = [f"{p.name} is missing" for p in missing]
    ipynb_nb = _read(nb_path) if nb_path.exists() else None
    if ipynb_nb is not None:
        for p, f in texts:
            if p.exists() and not _text_is_current(ipynb_nb, p, f):
                why = _difference(ipynb_nb, _read(p, f), f)
                if why:
                    reasons.append(f"{p.name}: {why}")
    text_nbs = {p: _read(p, f) for p, f in texts if p.exists()} if reasons or not ipynb_nb else {}
    if ipynb_nb is None and len(text_nbs) > 1:
        first_path = next(p for p, _ in texts if p in text_nbs)
        for p, f in texts:
            if p in text_nbs and p != first_path:
                why = _difference(text_nbs[first_path], text_nbs[p], f)
                if why:
                    reasons.append(f"{p.name}: {why}")
    if not reasons:
        return PairState(nb_path, text_paths, True)
    reason = "; ".join(reasons)
    if check:
        return PairState(nb_path, text_paths, False, reason)
    written = _sync(group, ipynb_nb, text_nbs, prefer)
    # checked when a text file is written from the notebook, the moment a cell would be
    # lost: a trip through jupytext costs seconds on a big notebook, too much for each check
    wrote_text = ipynb_nb is not None and any(path in written for path in text_paths)
    lossy = _lossy(ipynb_nb, texts) if wrote_text and nb_path not in written else ""
    return PairState(nb_path, text_paths, False, reason, written, lossy)


def _lossy(ipynb_nb: Any, texts: _Group) -> str:
    """Which cell, if any, would come back different from a trip through the text file."""
    plain = _cells_plain(ipynb_nb)
    for path, fmt in texts:
        through = _cells(ipynb_nb, fmt)
        if through == plain:
            continue
        for index, (a, b) in enumerate(zip(plain, through, strict=False)):
            if a != b:
                return f"cell {index + 1} does not survive the trip through {path.name}"
        return f"the cell count changes on the trip through {path.name}"
    return ""


def _sync(
    group: _Group,
    ipynb_nb: Any,
    text_nbs: dict[Path, Any],
    prefer: Literal["ipynb", "text"] | None,
) -> tuple[Path, ...]:
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    (nb_path, _), texts = group[0], group[1:]
    existing = [p for p, _ in group if p.exists()]
    if not existing:
        raise VcsError(f"none of the paired files of {nb_path} exist", path=nb_path)
    if prefer == "ipynb" and ipynb_nb is not None:
        source = nb_path
    elif prefer == "text" and text_nbs:
        source = max(text_nbs, key=lambda p: p.stat().st_mtime)
    else:
        source = _edited_side(existing) or max(existing, key=lambda p: p.stat().st_mtime)
    fmts = dict(group)
    if source == nb_path:
        merged = ipynb_nb
    else:
        merged = text_nbs[source]
        if ipynb_nb is not None:
            merged = combine_inputs_with_outputs(merged, ipynb_nb, fmt=fmts[source])
            # the text header adds keys of its own (jupytext.main_language, ...): the
            # notebook's metadata stays the .ipynb's, which the user did not touch
            merged.metadata = ipynb_nb.metadata
    written: list[Path] = []
    if source != nb_path and (ipynb_nb is None or _cells_plain(ipynb_nb) != _cells_plain(merged)):
        jupytext.write(merged, str(nb_path), fmt="ipynb")
        written.append(nb_path)
    for path, fmt in texts:
        if path == source:
            continue
        current = text_nbs.get(path)
        if current is None or _difference(merged, current, fmt):
            jupytext.write(merged, str(path), fmt=fmt)
            written.append(path)
    return tuple(written)


def _edited_side(existing: list[Path]) -> Path | None:
    """The file of a pair whose content should win, when git can tell.

    Timestamps say little after a checkout, so git decides first: exactly one
    side edited since HEAD is the source; both edited is a conflict for the
    user to settle (``--prefer``). Neither edited (a pair committed out of
    step, e.g. a text-only commit made without the hook): the side changed by
    the later commit wins, and commits that git cannot order (the same commit,
    or two branches merged) are a conflict too. Only without git (or with an
    untracked side) does the caller fall back to the newer file.
    """
    from nbtrack.vcs import _git

    root = _git.repo_root(existing[0].parent)
    if root is None or len(existing) < 2:
        return None
    edited = []
    relative: dict[Path, str] = {}
    for path in existing:
        try:
            relative[path] = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return None
        committed = _git.read_blob(root, "HEAD", relative[path])
        if committed is None:
            return None  # untracked (or no commits yet): git cannot tell
        if committed != path.read_bytes():
            edited.append(path)
    if len(edited) > 1:
        names = " and ".join(p.name for p in edited)
        raise VcsError(
            f"both {names} changed since the last commit and no longer match; "
            "choose the side to keep with --prefer ipynb or --prefer text",
            path=edited[0],
        )
    if edited:
        return edited[0]
    return _last_committed_side(root, existing, relative)


def _last_committed_side(root: Path, existing: list[Path], relative: dict[Path, str]) -> Path:
    from nbtrack.vcs import _git

    commits = {path: _git.last_commit(root, relative[path]) for path in existing}
    newest = existing[0]
    for path in existing[1:]:
        a, b = commits[newest], commits[path]
        if a != b and _git.is_ancestor(root, a, b):
            newest = path
        elif a == b or not _git.is_ancestor(root, b, a):
            names = " and ".join(p.name for p in existing)
            when = f"in the same commit {a[:7]}" if a == b else "on branches merged since"
            raise VcsError(
                f"{names} were committed out of step ({when}), so nbtrack cannot tell which "
                "one is newer; choose the side to keep with --prefer ipynb or --prefer text",
                path=existing[0],
            )
    return newest


def _cells_plain(nb: Any) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]
