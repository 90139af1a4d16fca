"""``nbtrack why PATH`` and ``nbtrack lineage RUN``: lineage by content, at the terminal.

For: parsing the two commands' options, hashing the file ``why`` asks about
(the way ``track_data`` does, ``nbtrack.data.files.hash_data``), and the exit
codes: 0 found, 1 nothing found (one sentence naming the path and digest),
2 bad input. The walk and the lookups are ``nbtrack.compare.lineage``, the
drawing ``nbtrack.compare.render_lineage``.

Kept light: nothing on ``why``'s path imports pandas, numpy or matplotlib
(the store's SQL and the file's hash are the whole cost).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["lineage", "why"]


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
def why(path: Path, fmt: str) -> None:
    """Find the run(s) that made PATH, by its content hash.

    PATH is a file or directory; it is hashed as `track_data` hashes it
    (sha256; the md5 DVC recorded, and the sha256, for a DVC-tracked file).
    The runs that logged that content as an artifact come first, newest
    first, with their params and inputs (and who made those); else the runs
    that read it. A file copied or renamed since still links: content, not
    the name, is what matches.

    Exit 1 when no run made or read that content.

    \b
    Examples:
      nbtrack why models/model.pkl
      nbtrack why data/prepared.csv --format json
    """
    from nbtrack.compare.lineage import why as find
    from nbtrack.compare.reader import Reader
    from nbtrack.compare.render_lineage import short_digest, why_json, why_text
    from nbtrack.data.files import hash_data, sha256_file

    if not path.exists() and not path.is_symlink():
        from nbtrack.errors import UsageError

        raise UsageError(f"cannot look up {str(path)!r}: no such file or directory.")
    ref = hash_data(path, root=Path.cwd())
    also: list[str] = []
    if ref.kind == "dvc" and path.is_file():  # a run that logged the file stored its sha256
        also.append("sha256:" + sha256_file(path)[0])
    with Reader.open() as reader:
        answer = find(reader, ref, also=also)
    shown = str(path)
    if not answer.found:
        from nbtrack.printable import printable

        print(
            f"No run of this store made or read {printable(shown)!r}"
            f" (content {short_digest(ref.digest)}).",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.stdout.write(why_json(answer, shown) if fmt == "json" else why_text(answer, shown))


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="N",
    help="How many runs away to walk, each way.",
)
@click.option(
    "--up", "direction", flag_value="up", help="Only upstream: what RUN read, who made it."
)
@click.option(
    "--down", "direction", flag_value="down", help="Only downstream: who read RUN's files."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "dot"]),
    default="text",
    show_default=True,
    help="text: a tree; json: nodes and edges; dot: a Graphviz graph.",
)
def lineage(run_id: str, depth: int, direction: str | None, fmt: str) -> None:
    """Show RUN's lineage: upstream runs and data, and the runs downstream of it.

    RUN is an id or a unique prefix. Upstream are the data RUN tracked and the
    runs that logged that content as an artifact, recursively; downstream the
    runs that tracked RUN's artifacts as data. Data no run made (a raw
    dataset, a Delta table, an S3 object) are the leaves; unresolved refs are
    shown with their reason and link nothing.

    \b
    Examples:
      nbtrack lineage 3f9c2a
      nbtrack lineage 3f9c2a --up --depth 2
      nbtrack lineage 3f9c2a --format dot | dot -Tsvg > lineage.svg
    """
    from nbtrack.compare.lineage import lineage as walk
    from nbtrack.compare.reader import Reader
    from nbtrack.compare.render_lineage import lineage_dot, lineage_json, lineage_text

    with Reader.open() as reader:
        graph = walk(reader, run_id, depth=depth, direction=direction or "both")  # type: ignore[arg-type]
    render = {"text": lineage_text, "json": lineage_json, "dot": lineage_dot}[fmt]
    sys.stdout.write(render(graph))
