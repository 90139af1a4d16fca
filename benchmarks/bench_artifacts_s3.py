"""Artifact upload and download through nbtrack vs plain s3fs copies, same server, same run.

Target (issue 14): nbtrack's upload and download throughput to an
S3-compatible server is at least 0.8 of what a plain ``s3fs`` copy reaches in
the same run. The server is moto's server mode on loopback (``moto_server``,
started here; what the tests use). Each repeat, in turn:

* plain upload: ``S3FileSystem.put_file(path, key)`` (the anchor);
* nbtrack upload: ``SqlStore.put_artifact(path)`` with ``artifacts =
  "s3://bucket/nb"`` (hash while reading from disk, skip-if-present check,
  ``put_file``, size read back); the object is deleted after each repeat so
  every repeat really uploads;
* plain download: ``S3FileSystem.get_file(key, path)``;
* nbtrack download: ``SqlStore.artifact_path(artifact)`` with an empty cache
  (download, sha256 while writing, rename into place).

Sizes: one ``--mib`` MiB file (default 256) and ``--small`` files of 4 MiB
(default 8, timed together). Medians of ``--repeat`` runs (default 3).
The machine: a shared 2-core VM; moto is a Python server on the same cores,
so every figure moves with the load; the ratios are what to compare.

    .venv/bin/python benchmarks/bench_artifacts_s3.py --mib 256 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers.s3 import s3_server

TARGET = 0.8
CHUNK = 1 << 20


def _write(path: Path, mib: int, salt: int) -> None:
    block = os.urandom(CHUNK)
    with path.open("wb") as fh:
        for i in range(mib):
            fh.write(block[(i + salt) % 251 :] + block[: (i + salt) % 251])


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _row(what: str, mib: float, plain: list[float], ours: list[float]) -> float:
    p, o = statistics.median(plain), statistics.median(ours)
    ratio = p / o  # throughput ratio: nbtrack's MiB/s over plain's
    print(
        f"{what:<28} plain {p:6.2f} s ({mib / p:6.1f} MiB/s)   nbtrack {o:6.2f} s"
        f" ({mib / o:6.1f} MiB/s)   ratio {ratio:.2f} (target >= {TARGET})"
        f" {'met' if ratio >= TARGET else 'MISSED'}"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--small", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")

    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-s3-") as folder, s3_server() as s3:
        base = Path(folder)
        os.environ.update(s3.env())
        os.environ["XDG_CACHE_HOME"] = str(base / "cache")
        bucket = s3.bucket(versioned=False)
        os.environ["NBTRACK_ARTIFACTS"] = f"s3://{bucket}/nb"
        os.environ["NBTRACK_STORE"] = str(base / "project" / ".nbtrack" / "runs.db")
        (base / "project").mkdir()
        (base / "project" / "pyproject.toml").write_text('[project]\nname = "bench"\n')

        import s3fs

        from nbtrack.config import load_settings
        from nbtrack.model import Artifact
        from nbtrack.store.sql import SqlStore

        fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint, skip_instance_cache=True)
        settings = load_settings(base / "project")
        store = SqlStore(settings.store_url, settings=settings)
        client = s3.client()

        big = [base / "big.bin"]
        _write(big[0], args.mib, 0)
        small = [base / f"small-{i}.bin" for i in range(args.small)]
        for i, path in enumerate(small):
            _write(path, 4, i + 1)

        def plain_up(paths: list[Path]) -> None:
            for path in paths:
                fs.put_file(str(path), f"{bucket}/plain/{path.name}")

        def plain_down(paths: list[Path]) -> None:
            for path in paths:
                fs.get_file(f"{bucket}/plain/{path.name}", str(base / "plain-down.bin"))

        uploaded: dict[Path, Artifact] = {}

        def ours_up(paths: list[Path]) -> None:
            for path in paths:
                digest, size, uri = store.put_artifact(path)
                uploaded[path] = Artifact(path.name, digest, size, "x/y", uri, 0.0)

        def ours_down(paths: list[Path]) -> None:
            for path in paths:
                store.artifact_path(uploaded[path])

        def forget(paths: list[Path], *, remote: bool) -> None:
            for path in paths:
                artifact: Any = uploaded.get(path)
                if artifact is None:
                    continue
                (base / "cache" / "nbtrack" / "artifacts" / artifact.uri).unlink(missing_ok=True)
                if remote:
                    client.delete_object(Bucket=bucket, Key=f"nb/{artifact.uri}")

        ratios = []
        for label, paths, mib in (
            (f"upload {args.mib} MiB", big, args.mib),
            (f"upload {args.small} x 4 MiB", small, 4 * args.small),
        ):
            plain, ours = [], []
            for _ in range(args.repeat):
                forget(paths, remote=True)
                plain.append(_timed(lambda paths=paths: plain_up(paths)))
                ours.append(_timed(lambda paths=paths: ours_up(paths)))
            ratios.append(_row(label, mib, plain, ours))
        for label, paths, mib in (
            (f"download {args.mib} MiB", big, args.mib),
            (f"download {args.small} x 4 MiB", small, 4 * args.small),
        ):
            plain, ours = [], []
            for _ in range(args.repeat):
                forget(paths, remote=False)
                plain.append(_timed(lambda paths=paths: plain_down(paths)))
                ours.append(_timed(lambda paths=paths: ours_down(paths)))
            ratios.append(_row(label, mib, plain, ours))
        store.close()
    print(f"load average after: {os.getloadavg()}")
    return 0 if min(ratios) >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
