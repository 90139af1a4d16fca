"""Lineage and ``why`` answers drawn: a tree for a terminal, JSON for tools, Graphviz dot.

For: :func:`lineage_text`, :func:`lineage_json`, :func:`lineage_dot`,
:func:`why_text` and :func:`why_json`, pure functions of the values
``compare.lineage`` returns. Every user string in text goes through
:func:`~nbtrack.printable.printable` (a run name or a path cannot act on the
terminal); in dot every label is a quoted string with quotes, backslashes
and line breaks escaped (:func:`dot_string`), so a hostile name cannot end
the string or the graph.
Not for: walking the graph (``compare.lineage``) or exit codes (``cli.lineage``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nbtrack.compare.formatting import param_text, time_text
from nbtrack.compare.lineage import DataNode, Edge, Lineage, Producer, RunNode, WhyAnswer, WhyRun
from nbtrack.model import DataRef
from nbtrack.printable import printable

__all__ = [
    "data_rows",
    "dot_string",
    "lineage_dot",
    "lineage_json",
    "lineage_text",
    "short_digest",
    "why_json",
    "why_text",
]


def short_digest(digest: str) -> str:
    """``sha256:1a2b3c4d5e6f`` (12 hex characters are plenty for a person)."""
    prefix, sep, rest = digest.partition(":")
    if not sep:
        return digest
    return f"{prefix}:{rest[:12]}"


def _run_label(run: RunNode) -> str:
    name = f"  {printable(run.name)}" if run.name else ""
    notebook = f"  {printable(run.notebook)}" if run.notebook else ""
    return f"run {run.id[:8]}{name}  {run.status}  {time_text(run.started_at)}{notebook}"


def _data_label(node: DataNode, name: str) -> str:
    shown = printable(name)
    if not node.resolved:
        return f"{shown}  ({node.kind}, unresolved: {printable(node.reason or 'unknown')})"
    return f"{shown}  {printable(short_digest(node.digest))}  ({node.kind})"


def _tree(graph: Lineage, upward: bool) -> Iterator[str]:
    """Lines of the tree from the root up (inputs, their makers...) or down."""
    runs = {f"run:{r.id}": r for r in graph.runs}
    data = {d.id: d for d in graph.data}
    into: dict[str, list[Edge]] = {}
    out: dict[str, list[Edge]] = {}
    for edge in graph.edges:
        into.setdefault(edge.target, []).append(edge)
        out.setdefault(edge.source, []).append(edge)
    shown: set[str] = set()

    def walk(run_key: str, indent: str) -> Iterator[str]:
        links = into.get(run_key, []) if upward else out.get(run_key, [])
        for i, link in enumerate(links):
            last = i == len(links) - 1
            branch, child = ("└─ ", "   ") if last else ("├─ ", "│  ")
            node = data[link.source if upward else link.target]
            yield indent + branch + _data_label(node, link.name)
            next_edges = [  # a run whose output has its input's bytes is not its own maker
                e
                for e in (into.get(node.id, []) if upward else out.get(node.id, []))
                if (e.source if upward else e.target) != run_key
            ]
            inner = indent + child
            if upward and not next_edges and node.resolved:
                yield inner + "└─ no run of this store made it"
            for j, e in enumerate(next_edges):
                end = j == len(next_edges) - 1
                b2, c2 = ("└─ ", "   ") if end else ("├─ ", "│  ")
                other_key = e.source if upward else e.target
                verb = "made by" if upward else "read by"
                step = "" if e.step is None else f" at step {e.step}"
                how = f"  ({'artifact' if upward else 'as'} {printable(e.name)}{step})"
                yield f"{inner}{b2}{verb} {_run_label(runs[other_key])}{how}"
                if other_key in shown:
                    yield f"{inner}{c2}└─ (its {'inputs' if upward else 'readers'} shown above)"
                    continue
                shown.add(other_key)
                yield from walk(other_key, inner + c2)

    yield from walk(f"run:{graph.root}", "")


def lineage_text(graph: Lineage) -> str:
    """The graph as two trees under the root run: what it read (up), who read its files (down)."""
    lines = [_run_label(graph.run(graph.root))]
    if graph.direction in ("both", "up"):
        up = list(_tree(graph, True))
        lines += ["upstream (the data it read, and the runs that made it):"]
        lines += ["  " + line for line in up] or ["  (it tracked no data)"]
    if graph.direction in ("both", "down"):
        down = list(_tree(graph, False))
        lines += ["downstream (the runs that read its artifacts):"]
        lines += ["  " + line for line in down] or ["  (no run read its artifacts)"]
    if graph.truncated:
        lines.append(f"(stopped at depth {graph.depth}: more runs lie beyond; raise --depth)")
    return "\n".join(lines) + "\n"


def lineage_json(graph: Lineage) -> str:
    """Nodes and edges with stable keys, sorted (a tool can diff two answers)."""
    nodes: list[dict[str, Any]] = [
        {
            "id": f"run:{r.id}",
            "type": "run",
            "run_id": r.id,
            "name": r.name,
            "status": r.status,
            "started_at": r.started_at,
            "notebook": r.notebook,
            "depth": r.depth,
        }
        for r in graph.runs
    ]
    nodes += [
        {
            "id": d.id,
            "type": "data",
            "digest": d.digest,
            "kind": d.kind,
            "names": list(d.names),
            "size": d.size,
            "resolved": d.resolved,
            "made_by_a_run": d.made,
            "reason": d.reason,
        }
        for d in graph.data
    ]
    edges = [
        {"from": e.source, "to": e.target, "relation": e.relation, "name": e.name, "step": e.step}
        for e in graph.edges
    ]
    document = {
        "root": graph.root,
        "direction": graph.direction,
        "depth": graph.depth,
        "truncated": graph.truncated,
        "nodes": nodes,
        "edges": edges,
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _dot_escaped(text: str) -> str:
    cleaned = printable(text)  # one line: controls and line breaks shown as escapes
    return cleaned.replace("\\", "\\\\").replace('"', '\\"')


def dot_string(*lines: str) -> str:
    """*lines* as one Graphviz quoted string, a line break (``\\n``) between them.

    Within a line, a quote or backslash is escaped and a line break or control
    character the text carries is shown as its escape: a name cannot end the
    string or the graph, nor start a line of its own.

    >>> print(dot_string('a "b"', "c\\nd"))
    "a \\"b\\"\\nc\\\\nd"
    """
    return '"' + "\\n".join(_dot_escaped(line) for line in lines) + '"'


def lineage_dot(graph: Lineage) -> str:
    """The graph for ``dot -Tsvg``: runs as boxes, data as ellipses, left to right."""
    lines = [
        "digraph lineage {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
    ]
    for r in graph.runs:
        label = dot_string(*(t for t in (r.id[:8], r.name, r.status) if t))
        style = ", penwidth=2" if r.id == graph.root else ""
        lines.append(f"  {dot_string('run:' + r.id)} [shape=box, label={label}{style}];")
    for d in graph.data:
        version = short_digest(d.digest) if d.resolved else "unresolved"
        label = dot_string(d.names[0] if d.names else "", version)
        style = "" if d.made else ", style=dashed"
        lines.append(f"  {dot_string(d.id)} [shape=ellipse, label={label}{style}];")
    for e in graph.edges:
        label = dot_string(e.name if e.step is None else f"{e.name} (step {e.step})")
        lines.append(f"  {dot_string(e.source)} -> {dot_string(e.target)} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def data_rows(refs: tuple[DataRef, ...], made_by: dict[str, Producer]) -> list[list[str]]:
    """``nbtrack show``'s Data table: path, kind, version (or why it has none), size, maker."""
    rows = []
    for ref in refs:
        if ref.resolved:
            version = short_digest(ref.digest)
        else:
            version = f"unresolved: {ref.detail.get('reason', 'unknown')}"
        maker = made_by.get(ref.digest) if ref.resolved else None
        made = ""
        if maker is not None:
            made = f"run {maker.run_id[:8]}" + (f" ({maker.run_name})" if maker.run_name else "")
        size = "" if ref.size is None else str(ref.size)
        rows.append([printable(t) for t in (ref.path, ref.kind, version, size, made)])
    return rows


def _params(run: WhyRun) -> str:
    return ", ".join(f"{printable(p.key)}={printable(param_text(p.value))}" for p in run.run.params)


def _input_line(ref: DataRef, producer: Producer | None) -> str:
    version = printable(short_digest(ref.digest)) if ref.resolved else "unresolved"
    line = f"{printable(ref.path)}  {version}  ({printable(ref.kind)})"
    if producer is not None:
        name = f" ({printable(producer.run_name)})" if producer.run_name else ""
        line += f"  made by run {producer.run_id[:8]}{name}"
    return line


def _why_run(entry: WhyRun, verb: str) -> Iterator[str]:
    run = entry.run
    name = f"  {printable(run.name)}" if run.name else ""
    yield f"run {run.id[:8]}{name}  {run.status}  {time_text(run.started_at)}"
    if run.notebook:
        yield f"  notebook:  {printable(run.notebook)}"
    step = "" if entry.step is None else f" at step {entry.step}"
    yield f"  {verb} {printable(entry.name)}{step}"
    if run.params:
        yield f"  params:    {_params(entry)}"
    for i, ref in enumerate(run.data):
        head = "  inputs:    " if i == 0 else "             "
        yield head + _input_line(ref, entry.inputs_made_by.get(ref.digest))


def why_text(answer: WhyAnswer, path: str) -> str:
    """Who made the file (newest first), then who read it: one block a run."""
    shown = f"{printable(path)}  {printable(short_digest(answer.ref.digest))}"
    lines = [shown]
    if answer.made_by:
        lines.append(f"made by {len(answer.made_by)} run(s), newest first:")
        for entry in answer.made_by:
            lines += ["", *_why_run(entry, "logged it as artifact")]
    if answer.read_by:
        lines += ["", f"read by {len(answer.read_by)} run(s), newest first:"]
        for entry in answer.read_by:
            lines += ["", *_why_run(entry, "read it as")]
    return "\n".join(lines) + "\n"


def _why_entry(entry: WhyRun) -> dict[str, Any]:
    run = entry.run
    return {
        "run_id": run.id,
        "name": run.name,
        "status": str(run.status),
        "started_at": run.started_at,
        "notebook": run.notebook,
        "as": entry.name,
        "step": entry.step,
        "params": {p.key: p.value for p in run.params},
        "inputs": [
            {
                "path": ref.path,
                "kind": ref.kind,
                "digest": ref.digest,
                "resolved": ref.resolved,
                "made_by_run": (
                    entry.inputs_made_by[ref.digest].run_id
                    if ref.digest in entry.inputs_made_by
                    else None
                ),
            }
            for ref in run.data
        ],
    }


def why_json(answer: WhyAnswer, path: str) -> str:
    """The answer for tools: the file's digest, ``made_by`` and ``read_by`` runs."""
    document = {
        "path": path,
        "digest": answer.ref.digest,
        "kind": answer.ref.kind,
        "made_by": [_why_entry(e) for e in answer.made_by],
        "read_by": [_why_entry(e) for e in answer.read_by],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
