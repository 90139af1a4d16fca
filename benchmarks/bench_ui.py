"""How fast ``nbtrack ui`` answers (issue 11), the real server on loopback.

Targets, each printed with an anchor measured in the same run:

* the runs page over 10,000 runs: server time <= 150 ms (request sent to the
  last byte read, one keep-alive connection); usable in Chromium <= 1 s
  (navigation start to the table's rows drawn and the filter box ready);
* a comparison of 10 runs x 100,000 points of a metric: ``/api/series``
  <= 200 ms; the curves drawn in Chromium <= 1.5 s (navigation start to
  every chart of ``charts.js`` holding its uPlot canvas);
* 50 concurrent clients for 30 s (a mix of the runs page, a run page and
  ``/api/series``): p99 <= 300 ms and no error. Each client is one keep-alive
  connection (asyncio, a minimal HTTP/1.1 GET of our own, so the clients cost
  the shared CPU little) that sends its next request when the answer is read
  and, with ``--think S``, after waiting S seconds on average (0: the closed
  loop of ``hey -c 50``; 5: people reading what they opened). Requests in
  flight at the end are waited for and counted; the loop stops by itself.

Anchors: a static file of the same server (the floor of any request through
its middleware), and MLflow's tracking server (``mlflow server``) over the
same 10,000 runs in its SQLite store, its runs search endpoint
(``POST /api/2.0/mlflow/runs/search``) timed side by side with ours.
``mlflow server`` needs the full ``mlflow`` package (``mlflow-skinny``, the
``bench`` extra, has no tracking server): in a throwaway venv,
``python -m venv /tmp/mlflow-venv && /tmp/mlflow-venv/bin/pip install mlflow``
and ``--mlflow /tmp/mlflow-venv/bin/mlflow`` (or ``NBTRACK_BENCH_MLFLOW``). The
MLflow store is written by that command's own Python (its schema must be the
one its server expects): one run through MLflow's API, copied with SQL.

The store is the one ``bench_read_api.py`` builds (10,000 runs x 20 params x
10 metrics; ten with 100,000 points of ``val_acc``), written straight into
SQLite; ``--keep DIR`` keeps it (and MLflow's) for the next invocation.

    .venv/bin/python benchmarks/bench_ui.py [--repeat 7] [--runs 10000]
        [--clients 50] [--seconds 30] [--think 0 --think 5] [--keep DIR]
        [--mlflow PATH] [--no-mlflow] [--no-browser] [--no-load]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

RUNS_SERVER_TARGET = 0.150
RUNS_BROWSER_TARGET = 1.0
SERIES_SERVER_TARGET = 0.200
SERIES_BROWSER_TARGET = 1.5
LOAD_P99_TARGET = 0.300
#: seconds a client's connection may sit idle and still be reused (uvicorn closes it at 5)
IDLE_REUSE = 4.0
#: seconds a server may take to print its URL / answer its first request
START_TIMEOUT = 120
_URL = re.compile(r"(?:serving on|Listening at:?) *(?P<url>http://\S+)")


def median_of(fn: Callable[[], float], repeat: int) -> tuple[float, list[float]]:
    """*fn* returns the seconds it measured; the median of *repeat* calls and the samples."""
    samples = [fn() for _ in range(repeat)]
    return statistics.median(samples), samples


def _row(label: str, median: float, samples: list[float], target: float | None = None) -> None:
    shown = ", ".join(f"{s * 1000:.0f}" for s in samples)
    verdict = ""
    if target is not None:
        verdict = (
            " meets" if median <= target else " MISSES"
        ) + f" the {target * 1000:.0f} ms target"
    print(f"  {label}: median {median * 1000:.1f} ms{verdict} [{shown}]", flush=True)


# --- the stores ------------------------------------------------------------------------------


def nbtrack_store(root: Path, runs: int) -> tuple[str, list[str]]:
    """*runs* runs in SQLite, ten with 100,000 points of ``val_acc`` (reused when kept)."""
    from bench_read_api import build_nbtrack

    db = root / "runs.db"
    url = f"sqlite:///{db}"
    ids_file = root / "runs.ids.json"
    if db.exists() and ids_file.exists():
        ten = json.loads(ids_file.read_text())
        print(f"nbtrack store: reusing {db}", flush=True)
        return url, ten
    start = time.perf_counter()
    _, ten = build_nbtrack(url, root, runs, 0)
    ids_file.write_text(json.dumps(ten))
    print(
        f"nbtrack store: {runs:,} runs x 20 params x 10 metrics, 10 with 100,000 points "
        f"of val_acc; built in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    return url, ten


# --- servers ---------------------------------------------------------------------------------

SEARCH = "/api/2.0/mlflow/runs/search"


class ServerDidNotStart(Exception):
    pass


@contextmanager
def server(command: list[str], cwd: Path, url_of: Callable[[str], str | None]) -> Iterator[str]:
    """Start *command*; yield the URL found in what it prints; Ctrl-C it at the end."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        url = url_of(line)
    try:
        if url is None:
            raise ServerDidNotStart(f"{command[0]} printed no URL:\n" + "\n".join(lines[-20:]))
        # drain what it prints from now on so it never blocks on a full pipe
        import threading

        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def nbtrack_url(line: str) -> str | None:
    found = re.search(r"serving on (http://\S+)", line)
    return found.group(1) if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Client:
    """One keep-alive HTTP/1.1 connection; ``get``/``post`` return (seconds, status, body)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)

    def request(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[float, int, bytes]:
        headers = {"content-type": "application/json"} if body is not None else {}
        start = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return time.perf_counter() - start, response.status, data

    def timed(self, method: str, path: str, body: bytes | None = None) -> float:
        seconds, status, data = self.request(method, path, body)
        if status != 200:
            raise SystemExit(f"{method} {path}: {status} {data[:300]!r}")
        return seconds

    def close(self) -> None:
        self.connection.close()


def wait_until_up(base: str, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            client = Client(base)
            client.timed("GET", path)
            client.close()
            return
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# --- nbtrack: server times -------------------------------------------------------------------


def series_path(ten: list[str], metric: str = "val_acc") -> str:
    return "/api/series?" + urlencode([*(("run", r) for r in ten), ("metric", metric)])


def compare_path(ten: list[str], metric: str = "val_acc") -> str:
    return "/compare?" + urlencode([*(("run", r) for r in ten), ("metric", metric)])


def server_times(base: str, ten: list[str], repeat: int) -> dict[str, float]:
    client = Client(base)
    cases = [
        ("anchor: a static file (/static/app.css)", "/static/app.css", None),
        ("runs page, 10,000 runs (/)", "/", RUNS_SERVER_TARGET),
        (
            "runs page, --where and sort",
            "/?"
            + urlencode(
                [("where", "params.p3 < 0.5 and metrics.m1 > 0.2"), ("sort", "-metrics.m1")]
            ),
            RUNS_SERVER_TARGET,
        ),
        ("a run page (/runs/ID)", f"/runs/{ten[0]}", None),
        ("/api/series, 10 runs x 100,000 points", series_path(ten), SERIES_SERVER_TARGET),
        ("compare page, 10 runs", compare_path(ten), None),
    ]
    figures: dict[str, float] = {}
    print(f"nbtrack ui, server time over loopback (median of {repeat}, ms):", flush=True)
    for label, path, target in cases:
        client.timed("GET", path)  # warm: the first request of a kind imports its module
        median, samples = median_of(lambda path=path: client.timed("GET", path), repeat)
        _row(label, median, samples, target)
        figures[label] = median
    client.close()
    anchor = figures[cases[0][0]]
    for label, _, _ in cases[1:]:
        print(f"    {label}: {figures[label] / anchor:.1f}x the static file", flush=True)
    return figures


# --- nbtrack: in Chromium --------------------------------------------------------------------

#: the runs table has rows and the filter box takes input: ms since navigation start
_RUNS_USABLE = """() => {
  const row = document.querySelector('table tbody tr');
  const filter = document.querySelector('input#where');
  if (!row || !filter || filter.disabled || document.readyState === 'loading') return false;
  return performance.now();
}"""
#: every chart on the page drawn by charts.js (a uPlot, or a note saying why not) and its
#: canvas in the page: ms since navigation start
_CHARTS_DRAWN = """() => {
  const charts = window.nbtrackCharts && window.nbtrackCharts.state.charts;
  if (!charts || charts.length === 0) return false;
  for (const c of charts) {
    if (!(c.plot || c.note.textContent)) return false;
    if (c.plot && !c.node.querySelector('canvas')) return false;
  }
  return performance.now();
}"""


def browser_times(base: str, ten: list[str], repeat: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("Playwright is not installed (the dev extra): no browser figures.")
        return
    binary = next(
        (b for b in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(b)), None
    )
    if binary is None:
        print("No chromium on this machine (apt-get install chromium): no browser figures.")
        return
    cases = [
        ("runs page usable (rows drawn, filter box ready)", "/", _RUNS_USABLE, RUNS_BROWSER_TARGET),
        (
            "compare of 10 runs x 100,000 points, curves drawn",
            compare_path(ten),
            _CHARTS_DRAWN,
            SERIES_BROWSER_TARGET,
        ),
    ]
    print(
        f"Chromium (headless, Debian's), navigation start -> ready, a fresh context each "
        f"(cold cache), median of {repeat}:",
        flush=True,
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=binary,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            blank = _measure(browser, base + "/static/app.css", "() => performance.now()")
            for label, path, ready, target in [*cases]:
                _measure(browser, base + path, ready)  # warm the server's side
                median, samples = median_of(
                    lambda path=path, ready=ready: _measure(browser, base + path, ready), repeat
                )
                _row(label, median, samples, target)
            print(f"  anchor: a static file opened the same way: {blank * 1000:.0f} ms", flush=True)
        finally:
            browser.close()


def _measure(browser: Any, url: str, ready: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url, wait_until="commit")
        handle = page.wait_for_function(ready, polling="raf", timeout=60_000)
        ms = float(handle.json_value())
        if errors:
            raise SystemExit(f"{url}: script errors {errors}")
        return ms / 1000
    finally:
        context.close()


# --- nbtrack: concurrent clients -------------------------------------------------------------


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> int:
    """One GET on a keep-alive connection; returns the status once the body is read."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        raise ValueError(f"{path}: a response without a length")
    return status


async def _client(
    base: str,
    paths: list[str],
    offset: int,
    until: float,
    think: float,
    stagger: float,
    out: list[tuple[str, float, int]],
) -> None:
    parts = urlsplit(base)
    host = f"{parts.hostname}:{parts.port}"
    # people do not all click at once: with a think time, the clients start spread over it
    await asyncio.sleep(think * stagger)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    used = time.monotonic()
    i = offset
    try:
        while time.monotonic() < until:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            if time.monotonic() - used > IDLE_REUSE:
                # the server closes a connection idle for 5 s (uvicorn's keep-alive timeout):
                # open a new one, as a browser does, and count its set-up in this request
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            try:
                status = await asyncio.wait_for(_get(reader, writer, host, path), timeout=30)
            except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
                out.append((path, time.perf_counter() - start, -1))
                if sum(1 for *_, s in out if s == -1) <= 5:
                    print(f"    error on {path[:60]}: {exc!r}", flush=True)
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                continue
            finally:
                used = time.monotonic()
            out.append((path, time.perf_counter() - start, status))
            if think:
                pause = think * (0.5 + (i * 0.618) % 1.0)
                await asyncio.sleep(max(0.0, min(pause, until - time.monotonic())))
    finally:
        writer.close()


def load(base: str, ten: list[str], clients: int, seconds: float, think: float) -> None:
    paths = ["/", f"/runs/{ten[0]}", series_path(ten[:1]), "/", f"/runs/{ten[1]}", series_path(ten)]
    out: list[tuple[str, float, int]] = []

    async def main() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(_client(base, paths, k, until, think, k / clients, out) for k in range(clients))
        )

    start = time.perf_counter()
    asyncio.run(main())
    wall = time.perf_counter() - start
    times = sorted(t for _, t, _ in out)
    errors = sum(1 for _, _, s in out if s != 200)
    p50, p99 = _percentile(times, 0.50), _percentile(times, 0.99)
    verdict = "meets" if p99 <= LOAD_P99_TARGET and errors == 0 else "MISSES"
    print(
        f"{clients} concurrent clients, {seconds:.0f} s, think time {think:g} s on average "
        f"(runs page, run pages, /api/series of 1 and of 10 runs in turn):",
        flush=True,
    )
    print(
        f"  {len(out):,} requests in {wall:.1f} s = {len(out) / wall:.0f}/s; "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms, "
        f"{errors} errors: {verdict} the p99 <= {LOAD_P99_TARGET * 1000:.0f} ms, 0 errors target",
        flush=True,
    )
    for path in dict.fromkeys(paths):
        mine = sorted(t for p, t, s in out if p == path)
        if mine:
            print(
                f"    {path[:60]}: {len(mine):,} requests, "
                f"p50 {_percentile(mine, 0.5) * 1000:.0f} ms, "
                f"p99 {_percentile(mine, 0.99) * 1000:.0f} ms",
                flush=True,
            )


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the MLflow anchor -----------------------------------------------------------------------


def mlflow_store(root: Path, runs: int, mlflow_bin: str) -> tuple[str, str] | None:
    """MLflow's SQLite store of *runs* runs x 20 params x 10 metrics, written by the Python
    of *mlflow_bin* (the store's schema must be the one its server expects)."""
    db = root / "mlflow.db"
    marker = root / "mlflow.experiment"
    if not (db.exists() and marker.exists()):
        python = Path(mlflow_bin).resolve().parent / "python"
        if not python.exists():
            python = Path(sys.executable)
        done = subprocess.run(
            [str(python), __file__, "--build-mlflow-store", str(root), "--runs", str(runs)],
            check=False,
        )
        if done.returncode != 0:
            print("No MLflow store, so no anchor (see above).")
            return None
    else:
        print(f"MLflow store: reusing {db}", flush=True)
    return f"sqlite:///{db}", marker.read_text()


def build_mlflow_store(root: Path, runs: int) -> None:
    """The MLflow store, through MLflow's API (one run) and SQL (its copies)."""
    import logging
    import random
    import sqlite3

    import mlflow
    from bench_read_api import _clone_runs
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    start = time.perf_counter()
    db = root / "mlflow.db"
    client = MlflowClient(f"sqlite:///{db}")
    experiment = client.create_experiment("bench", artifact_location=(root / "mlruns").as_uri())
    template = client.create_run(experiment).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        template,
        metrics=[Metric(f"m{m}", random.random(), now, 1) for m in range(10)],
        params=[Param(f"p{p}", str(random.random())) for p in range(20)],
    )
    client.set_terminated(template)
    _clone_runs(sqlite3, db, template, runs - 1)
    (root / "mlflow.experiment").write_text(experiment)
    print(
        f"MLflow {mlflow.__version__} SQLite store: {runs:,} runs x 20 params x 10 metrics; "
        f"built in {time.perf_counter() - start:.1f} s",
        flush=True,
    )


def mlflow_times(
    mlflow_bin: str, root: Path, uri: str, experiment: str, repeat: int, shown: int
) -> None:
    port = free_port()
    command = [
        mlflow_bin, "server", "--backend-store-uri", uri, "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with server(command, root, lambda line: base if "running on" in line.lower() else None):
            wait_until_up(base, "/health")
            print(f"MLflow tracking server ({mlflow_bin} server, 1 worker), median of {repeat}:")
            client = Client(base)
            for max_results in (shown, 1000):
                search = json.dumps(
                    {"experiment_ids": [experiment], "max_results": max_results}
                ).encode()
                _, status, data = client.request("POST", SEARCH, search)
                if status != 200:
                    raise SystemExit(f"runs/search: {status} {data[:300]!r}")
                got = len(json.loads(data).get("runs", []))
                median, samples = median_of(
                    lambda body=search: client.timed("POST", SEARCH, body), repeat
                )
                label = f"anchor: runs/search, max_results={max_results} ({got} runs answered)"
                _row(label, median, samples)
            client.close()
    except ServerDidNotStart as exc:
        print(
            f"MLflow's server did not start ({mlflow_bin}); mlflow-skinny has none (no Flask, "
            f"huey, ...): give the full package's command with --mlflow. It said: {exc}"
        )


def mlflow_command(given: str | None) -> str | None:
    """The ``mlflow`` command to serve the anchor: *given*, else the one on PATH."""
    import shutil

    return given or shutil.which("mlflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--think",
        type=float,
        action="append",
        help="mean seconds a client waits between requests, one load run each (default: 0 and 5)",
    )
    parser.add_argument("--keep", type=Path, help="build the stores here once and reuse them")
    parser.add_argument(
        "--mlflow",
        default=os.environ.get("NBTRACK_BENCH_MLFLOW"),
        help="an `mlflow` command with its server",
    )
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--build-mlflow-store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_mlflow_store:
        build_mlflow_store(args.build_mlflow_store, args.runs)
        return
    print(
        f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-ui-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        url, ten = nbtrack_store(root, args.runs)
        command = [sys.executable, "-m", "nbtrack", "ui", "--port", "0", "--store", url]
        with server(command, root, nbtrack_url) as base:
            base = base.rstrip("/")
            wait_until_up(base, "/static/app.css")
            server_times(base, ten, args.repeat)
            if not args.no_browser:
                browser_times(base, ten, args.repeat)
            if not args.no_load:
                for think in args.think or [0.0, 5.0]:
                    load(base, ten, args.clients, args.seconds, think)
        if not args.no_mlflow:
            mlflow_bin = mlflow_command(args.mlflow)
            made = None
            if mlflow_bin is None:
                print("No `mlflow` command (--mlflow PATH, see above): no MLflow anchor.")
            else:
                made = mlflow_store(root, args.runs, mlflow_bin)
            if mlflow_bin is not None and made is not None:
                mlflow_times(mlflow_bin, root, *made, repeat=args.repeat, shown=100)


if __name__ == "__main__":
    main()
