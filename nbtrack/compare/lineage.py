"""Lineage by content: which run made the data a run read, and who read what it made.

For: :func:`lineage` (the graph around one run: upstream runs whose artifacts
it read, recursively, the data linking them, the data no run made, and the
runs downstream that read its artifacts), :func:`why` (the runs that made
or read one digest: ``nbtrack why PATH``) and :func:`producers` (who made
each input of a run: ``nbtrack show``, ``compare`` and the UI's run page).
Everything comes back as frozen values; ``render_lineage`` draws them.
Not for: SQL (``Store.artifacts_with_digests`` / ``data_refs_with_digests``,
through the ``Reader``) or hashing files (``nbtrack.data.files``).

A run's inputs are its data refs, its outputs its artifacts. Two runs are
linked when a ref's digest equals an artifact's digest: by content, so a
file copied or renamed between the two still links, and a file changed
after it was logged does not. Content digests (``sha256:``, ``md5:``) name
a data node by themselves; any other version (``delta:3``, ``etag:...``)
only means something with its path, so the node is keyed by both and never
links to an artifact. An unresolved ref (empty digest) is a leaf of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nbtrack.model import DataRef, Run

if TYPE_CHECKING:
    from nbtrack.compare.reader import Reader
    from nbtrack.store.base import DigestUse

__all__ = [
    "DataNode",
    "Direction",
    "Edge",
    "Lineage",
    "Producer",
    "RunNode",
    "WhyAnswer",
    "WhyRun",
    "data_key",
    "lineage",
    "producers",
    "why",
]

Direction = Literal["both", "up", "down"]
#: digests that name content, whatever path holds it (so they link runs)
CONTENT_PREFIXES = ("sha256:", "md5:")


def data_key(ref: DataRef, run_id: str) -> str:
    """The node id of the data a ref names (see the module docstring for the rule)."""
    if not ref.resolved or not ref.digest:
        return f"ref:{run_id}:{ref.path}"
    if ref.digest.startswith(CONTENT_PREFIXES):
        return f"data:{ref.digest}"
    return f"data:{ref.path}@{ref.digest}"


@dataclass(frozen=True)
class RunNode:
    """A run of the graph; ``depth`` is its distance in runs from the root (0)."""

    id: str
    name: str | None
    status: str
    started_at: float
    notebook: str | None
    depth: int


@dataclass(frozen=True)
class DataNode:
    """Data of the graph: one content (or one version of one path).

    ``names`` are the paths and artifact names it went by, first seen first;
    ``made`` is False for data no run of the store made (a leaf: a raw
    dataset, a Delta table, an S3 object). ``reason`` says why an unresolved
    ref could not be pinned.
    """

    id: str
    digest: str
    kind: str
    names: tuple[str, ...]
    size: int | None
    resolved: bool
    made: bool
    reason: str | None = None


@dataclass(frozen=True)
class Edge:
    """``made``: run -> data (as artifact *name*, at *step*); ``read``: data -> run (as *name*)."""

    source: str
    target: str
    relation: Literal["made", "read"]
    name: str
    step: int | None = None


@dataclass(frozen=True)
class Lineage:
    """The graph around ``root``: nodes by id (``run:<id>``, ``data:...``, ``ref:...``)."""

    root: str
    direction: Direction
    depth: int
    runs: tuple[RunNode, ...]
    data: tuple[DataNode, ...]
    edges: tuple[Edge, ...]
    #: True when the depth limit stopped the walk with runs left beyond it
    truncated: bool = False

    def run(self, run_id: str) -> RunNode:
        return next(r for r in self.runs if r.id == run_id)


class _Builder:
    """The walk's mutable state: nodes and edges seen, runs read once."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.runs: dict[str, RunNode] = {}
        self.loaded: dict[str, Run] = {}
        self.data: dict[str, DataNode] = {}
        self.edges: dict[tuple[str, str, str, str, int | None], Edge] = {}

    def beyond(self, level: Sequence[Run], sign: int) -> bool:
        """Whether the runs at the depth limit link to runs the walk did not reach."""
        for run in level:
            if sign < 0:
                digests = [d.digest for d in run.data if d.digest.startswith(CONTENT_PREFIXES)]
                uses = self.reader.artifacts_with_digests(digests)
            else:
                uses = self.reader.data_refs_with_digests([a.digest for a in run.artifacts])
            if any(u.run_id not in self.runs for u in uses):
                return True
        return False

    def load(self, run_id: str) -> Run:
        if run_id not in self.loaded:
            self.loaded[run_id] = self.reader.run(run_id)
        return self.loaded[run_id]

    def add_run(self, run: Run, depth: int) -> None:
        known = self.runs.get(run.id)
        if known is None or abs(depth) < abs(known.depth):
            self.runs[run.id] = RunNode(
                run.id, run.name, str(run.status), run.started_at, run.notebook, depth
            )

    def add_data(self, node: DataNode) -> None:
        known = self.data.get(node.id)
        if known is None:
            self.data[node.id] = node
            return
        names = known.names + tuple(n for n in node.names if n not in known.names)
        self.data[node.id] = DataNode(
            known.id,
            known.digest,
            known.kind,
            names,
            known.size if known.size is not None else node.size,
            known.resolved,
            known.made or node.made,
            known.reason,
        )

    def add_edge(self, edge: Edge) -> None:
        self.edges.setdefault((edge.source, edge.target, edge.relation, edge.name, edge.step), edge)

    def up(self, run: Run, depth: int) -> list[Run]:
        """Record *run*'s inputs and their makers; the makers not walked yet."""
        made = _by_digest(self.reader.artifacts_with_digests([d.digest for d in run.data]))
        nxt: list[Run] = []
        for ref in run.data:
            key = data_key(ref, run.id)
            makers = [u for u in made.get(ref.digest, []) if u.run_id != run.id]
            if key.startswith("data:") and not ref.digest.startswith(CONTENT_PREFIXES):
                makers = []  # a version that is not content never equals an artifact
            reason = ref.detail.get("reason") if not ref.resolved else None
            self.add_data(
                DataNode(
                    key,
                    ref.digest,
                    ref.kind,
                    (ref.path,),
                    ref.size,
                    ref.resolved,
                    bool(makers),
                    None if reason is None else str(reason),
                )
            )
            self.add_edge(Edge(key, f"run:{run.id}", "read", ref.path))
            for use in makers:
                maker = self.load(use.run_id)
                self.add_edge(Edge(f"run:{maker.id}", key, "made", use.name, use.step))
                if maker.id not in self.runs:
                    nxt.append(maker)
                self.add_run(maker, depth - 1)
        return nxt

    def down(self, run: Run, depth: int) -> list[Run]:
        """Record the runs that read *run*'s artifacts; those not walked yet."""
        read = _by_digest(self.reader.data_refs_with_digests([a.digest for a in run.artifacts]))
        nxt: list[Run] = []
        for artifact in run.artifacts:
            readers = [u for u in read.get(artifact.digest, []) if u.run_id != run.id]
            if not readers:
                continue
            key = f"data:{artifact.digest}"
            self.add_data(
                DataNode(
                    key, artifact.digest, "artifact", (artifact.name,), artifact.size, True, True
                )
            )
            self.add_edge(Edge(f"run:{run.id}", key, "made", artifact.name, artifact.step))
            for use in readers:
                consumer = self.load(use.run_id)
                self.add_edge(Edge(key, f"run:{consumer.id}", "read", use.name))
                if consumer.id not in self.runs:
                    nxt.append(consumer)
                self.add_run(consumer, depth + 1)
        return nxt


def _by_digest(uses: Iterable[DigestUse]) -> dict[str, list[DigestUse]]:
    found: dict[str, list[DigestUse]] = {}
    for use in uses:
        found.setdefault(use.digest, []).append(use)
    return found


def lineage(
    reader: Reader, run_id: str, *, depth: int = 10, direction: Direction = "both"
) -> Lineage:
    """The graph around the run *run_id* (any unique prefix), *depth* runs each way.

    Breadth first, each run read once: a diamond (two inputs made by one run)
    and a cycle (runs that read each other's files) end where a run was seen.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, not {depth}")
    builder = _Builder(reader)
    root = builder.load(reader.resolve(run_id))
    builder.add_run(root, 0)
    truncated = False
    for sign, step in ((-1, builder.up), (1, builder.down)):
        if direction == ("down" if sign < 0 else "up"):
            continue
        level, seen = [root], {root.id}
        for hop in range(depth):
            nxt: list[Run] = []
            for run in level:
                for found in step(run, sign * hop):
                    if found.id not in seen:
                        seen.add(found.id)
                        nxt.append(found)
            level = nxt
            if not level:
                break
        truncated = truncated or builder.beyond(level, sign)
    edges = sorted(builder.edges.values(), key=lambda e: (e.source, e.target, e.relation, e.name))
    return Lineage(
        root=root.id,
        direction=direction,
        depth=depth,
        runs=tuple(sorted(builder.runs.values(), key=lambda r: (r.depth, r.started_at, r.id))),
        data=tuple(sorted(builder.data.values(), key=lambda d: d.id)),
        edges=tuple(edges),
        truncated=truncated,
    )


@dataclass(frozen=True)
class Producer:
    """The run that made a digest (the newest, if several did): for "made by run ..."."""

    run_id: str
    run_name: str | None
    artifact: str
    step: int | None


def producers(reader: Reader, refs: Sequence[DataRef], *, exclude: str = "") -> dict[str, Producer]:
    """digest -> the run that made it, for the content refs among *refs* (one query).

    *exclude* is the reading run's own id: a run that re-reads its own
    artifact did not get it from upstream.
    """
    digests = [r.digest for r in refs if r.resolved and r.digest.startswith(CONTENT_PREFIXES)]
    found: dict[str, Producer] = {}
    for use in reader.artifacts_with_digests(digests):  # newest first: the first wins
        if use.run_id != exclude and use.digest not in found:
            found[use.digest] = Producer(use.run_id, use.run_name, use.name, use.step)
    return found


@dataclass(frozen=True)
class WhyRun:
    """A run that made (as artifact ``name`` at ``step``) or read (as ``name``) the digest."""

    run: Run
    name: str
    step: int | None
    inputs_made_by: dict[str, Producer]


@dataclass(frozen=True)
class WhyAnswer:
    """What ``nbtrack why`` found for one file: its ref, who made it, who read it."""

    ref: DataRef
    made_by: tuple[WhyRun, ...]
    read_by: tuple[WhyRun, ...]

    @property
    def found(self) -> bool:
        return bool(self.made_by or self.read_by)


def why(reader: Reader, ref: DataRef, *, also: Sequence[str] = ()) -> WhyAnswer:
    """The runs that logged *ref*'s content as an artifact (newest first), and those
    that read it; each with who made its own inputs (one query a run).

    *also* are more digests of the same content (a DVC-tracked file's sha256
    beside the md5 DVC recorded), looked up with the ref's own.
    """
    runs: dict[str, Run] = {}

    def answer(uses: Sequence[DigestUse]) -> tuple[WhyRun, ...]:
        out: list[WhyRun] = []
        for use in uses:
            if use.run_id not in runs:
                runs[use.run_id] = reader.run(use.run_id)
            run = runs[use.run_id]
            out.append(WhyRun(run, use.name, use.step, producers(reader, run.data, exclude=run.id)))
        return tuple(out)

    digests = [d for d in (ref.digest, *also) if d]
    if not digests:
        return WhyAnswer(ref, (), ())
    made = answer(reader.artifacts_with_digests(digests))
    read = answer(reader.data_refs_with_digests(digests))
    return WhyAnswer(ref, made, read)
