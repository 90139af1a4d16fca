"""After a failure: name the classic hidden-state cause, when it is one.

A fresh process fails where the author's kernel did not for a handful of
reasons, and each leaves a fingerprint in the error and the saved notebook:

- ``NameError`` for a name no cell defines any more (deleted or edited
  cell), or one only a later or skipped cell defines (run out of order); when
  the saved notebook never executed the failing or the defining cell, it says
  so instead of blaming a deleted cell or the order;
- ``FileNotFoundError`` for a file that git does not track (made by hand),
  an absolute path into someone's home folder, or a relative path that climbs
  out of the notebook's folder (``../assets/x.png``);
- ``ModuleNotFoundError``: installed in the author's environment, not here;
- ``%run helper.py`` of a file git does not track;
- ``KeyError`` from ``os.environ['X']``: a variable set only on the author's
  machine;
- ``input()`` (or ``getpass``): the author typed an answer, a smoke run has
  nobody to (stdin is empty, so it fails at once rather than hang);
- ``get_ipython().kernel`` (or another attribute only a kernel's shell has)
  under the script engine: the notebook needs ``--engine kernel``;
- a connection that could not be made (``URLError``, ``gaierror``, connection
  refused, requests' or httpx's ``ConnectionError``, by class name): the
  notebook needs the network, or a local server nothing started.

Each hint is one or two sentences ending in what to do. git is asked
(``git ls-files``) only when a file is missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbtrack.notebook import Notebook
from nbtrack.smoke.isolate import git_root
from nbtrack.smoke.lint import HOME_PATH, NotebookNames, skip_how

__all__ = ["FailureContext", "hint_for", "pip_name"]

#: import name -> pip distribution, where they differ in a way people trip on
_PIP_NAMES = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "Crypto": "pycryptodome",
    "attr": "attrs",
    "google.protobuf": "protobuf",
    "jwt": "pyjwt",
    "magic": "python-magic",
    "docx": "python-docx",
    "serial": "pyserial",
    "usb": "pyusb",
    "OpenSSL": "pyopenssl",
    "Levenshtein": "python-Levenshtein",
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
    "torch": "torch",
}


@dataclass(frozen=True)
class FailureContext:
    """What a hint may look at besides the error itself."""

    nb: Notebook
    names: NotebookNames
    cell: int | None
    #: the folder the notebook ran in, and the original folder (differs under --isolate)
    run_dir: Path
    source_dir: Path
    #: under --isolate: the copy's root and the repository root it was copied from
    run_root: Path | None = None
    source_root: Path | None = None


def pip_name(module: str) -> str:
    """The pip package that usually provides *module* (its top-level name otherwise)."""
    if module in _PIP_NAMES:
        return _PIP_NAMES[module]
    top = module.split(".")[0]
    return _PIP_NAMES.get(top, top)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _tracked(path: Path) -> bool:
    done = _git(["ls-files", "--error-unmatch", "--", path.name], path.parent)
    return done is not None and done.returncode == 0


def _ignored(path: Path) -> bool:
    done = _git(["check-ignore", "-q", "--", path.name], path.parent)
    return done is not None and done.returncode == 0


def _never_ran(ctx: FailureContext, index: int | None) -> bool:
    """The saved notebook never executed cell *index*, though it executed others."""
    if index is None or ctx.nb.cells[index].execution_count is not None:
        return False
    return any(c.execution_count is not None for c in ctx.nb.code_cells)


def _name_hint(name: str, ctx: FailureContext) -> str | None:
    here = f"cell {ctx.cell + 1}" if ctx.cell is not None else "this cell"
    later = [i for i in ctx.names.definers(name) if ctx.cell is None or i > ctx.cell]
    if later:
        where = ctx.nb.cells[later[0]].label
        if _never_ran(ctx, later[0]):
            return (
                f"{name!r} is defined only further down, in {where}, which the saved notebook "
                f"never executed (it has no In [n]). Move that definition above {here}."
            )
        return (
            f"{name!r} is defined only further down, in {where}; the notebook was run out of "
            f"order. Move that definition above {here}."
        )
    earlier = [i for i in ctx.names.definers(name) if ctx.cell is not None and i < ctx.cell]
    if earlier:
        return None  # defined above, yet missing: conditional or deleted at run time
    skipped = ctx.names.skipped_definers(name)
    if skipped:
        definer = ctx.nb.cells[skipped[0]]
        return (
            f"{name!r} is defined only in {definer.label}, which is {skip_how(definer)} to "
            f"be skipped. Define it in a cell that runs, before {here}."
        )
    counts = sorted(
        c.execution_count
        for i in ctx.names.users(name)
        if (c := ctx.nb.cells[i]).execution_count is not None
        and not any(o.get("output_type") == "error" for o in c.outputs)
    )
    if not counts and _never_ran(ctx, ctx.cell):
        return (
            f"{here} was never executed in the saved notebook (it has no In [n]) and no cell "
            f"defines {name!r}, so nothing shows it ever ran: it may never have worked. Define "
            f"{name!r} in a cell before it, or mark the cell to be skipped (tag it "
            f"skip-execution)."
        )
    evidence = f" (the saved outputs show it was used at In [{counts[0]}])" if counts else ""
    return (
        f"no cell of this notebook defines {name!r} any more; it lived in the kernel from a "
        f"cell that was deleted or changed{evidence}. Define it in a cell before {here}."
    )


#: modules that exist only on one hosted notebook service: its name, and the usual guard
_HOSTED_ONLY = {
    "google.colab": ("Google Colab", "if 'google.colab' in sys.modules:"),
    "kaggle_secrets": ("Kaggle", "if 'KAGGLE_KERNEL_RUN_TYPE' in os.environ:"),
}


def _hosted_only(module: str, source: str) -> str | None:
    """A hint when the failed import is of a module only a hosted service has."""
    for name, (service, guard) in _HOSTED_ONLY.items():
        # `from google.colab import x` fails on the namespace package: err.name is 'google'
        if (name == module or name.startswith(module + ".")) and re.search(
            rf"\b(?:import|from)\s+{re.escape(name)}\b", source
        ):
            return (
                f"{name} exists only on {service}, not in a clean environment. Tag this cell "
                f"skip-execution, or guard the {service}-only lines: {guard} ..."
            )
    return None


def _module_hint(module: str, ctx: FailureContext, source: str = "") -> str:
    top = module.split(".")[0]
    hosted = _hosted_only(module, source)
    if hosted:
        return hosted
    local = [ctx.source_dir / f"{top}.py", ctx.source_dir / top]
    for candidate in local:
        if candidate.exists() and not _tracked(candidate):
            return (
                f"{candidate.name} sits next to the notebook but git does not track it, so a "
                f"clean copy lacks the module {top!r}. Commit it."
            )
    if "." in module and importlib.util.find_spec(top) is not None:
        return (
            f"the package {top!r} is installed in this environment, but it has no module "
            f"{module!r}: the notebook was written against another version of "
            f"{pip_name(top)}. Pin the version it needs in the project's dependencies."
        )
    return (
        f"the module {module!r} is not installed in this environment ({sys.executable}); "
        f"install it (pip install {pip_name(module)}) and list it in the project's dependencies."
    )


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _climbing_hint(filename: str, path: Path) -> str:
    """A missing file the notebook reads from outside its folder (``../assets/x.png``),
    and outside the repository (or with no repository at all)."""
    return (
        f"{filename} climbs out of the notebook's folder, to {path.resolve()}, and nothing is "
        f"there: the notebook reads a file from outside its folder, so the CI checkout or "
        f"working directory must have it at that place too. Keep the file inside the "
        f"repository and commit it, or fetch it in the notebook."
    )


def _file_hint(filename: str, ctx: FailureContext, source: str) -> str | None:
    home = HOME_PATH.search(filename) or HOME_PATH.search(source)
    if home:
        return (
            f"{home.group(1)!r} is an absolute path into someone's home folder; it exists on one "
            f"machine only. Use a path relative to the notebook and commit the file, or fetch "
            f"it in the notebook."
        )
    path = Path(filename)
    if not path.is_absolute():
        path = ctx.run_dir / path
    if ctx.run_root is not None and ctx.source_root is not None:
        with contextlib.suppress(ValueError):
            path = ctx.source_root / path.resolve().relative_to(ctx.run_root.resolve())
    shown = filename
    climbs = not Path(filename).is_absolute() and not _inside(ctx.run_dir / filename, ctx.run_dir)
    root = git_root(ctx.source_dir)
    if root is None:
        return _climbing_hint(filename, path) if climbs and not path.exists() else None
    if path.exists() and not _tracked(path):
        ignored = " (it is ignored by .gitignore)" if _ignored(path) else ""
        return (
            f"{shown} exists in your checkout but git does not track it{ignored}, so a clean "
            f"copy lacks it: it was made by hand or by code no longer in the notebook. Commit "
            f"it, create it in the notebook, or list it in [tool.nbtrack.smoke] include."
        )
    if path.exists():
        return None
    if path.resolve().is_relative_to(root.resolve()):
        return (
            f"no cell creates {shown} and git does not track it; create it in the notebook or "
            f"commit it."
        )
    if Path(filename).is_absolute():
        return (
            f"{shown} is an absolute path outside the repository, so a clean checkout (CI, a "
            f"colleague) does not have it. Use a path relative to the notebook and commit the "
            f"file, or fetch it in the notebook."
        )
    return _climbing_hint(filename, path) if climbs else None


#: what the script engine's shell (``_child.SmokeShell``) says for an attribute it lacks
_SHELL_ATTRIBUTE = re.compile(r"'SmokeShell' object has no attribute '(\w+)'")


def _kernel_only(attribute: str) -> bool:
    """True when a Jupyter kernel's shell has *attribute* and a plain IPython shell does not."""
    # imported on this failure path only: ipykernel takes most of a second
    from ipykernel.zmqshell import ZMQInteractiveShell
    from IPython.core.interactiveshell import InteractiveShell

    return hasattr(ZMQInteractiveShell, attribute) and not hasattr(InteractiveShell, attribute)


def _kernel_hint(evalue: str) -> str | None:
    """A hint for ``get_ipython().kernel`` and the like under the script engine."""
    match = _SHELL_ATTRIBUTE.search(evalue)
    if match is None or not _kernel_only(match.group(1)):
        return None
    return (
        f"the notebook uses get_ipython().{match.group(1)}, which only a Jupyter kernel has; "
        f"nbtrack smoke runs cells in a plain IPython shell unless told otherwise. Run it "
        f"in a kernel: nbtrack smoke --engine kernel (pytest: --nbtrack-engine kernel)."
    )


#: errors (by class name, whatever the library) that say a connection could not be made
_CONNECT_ERRORS = frozenset(
    {
        "gaierror",  # socket: the host name does not resolve
        "herror",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "ConnectionError",  # the builtin, and requests.exceptions.ConnectionError
        "NewConnectionError",  # urllib3
        "MaxRetryError",
        "NameResolutionError",
        "ConnectError",  # httpx
        "ConnectTimeout",  # httpx, requests
        "ClientConnectorError",  # aiohttp
        "RemoteDisconnected",  # http.client
    }
)
#: what a urllib URLError says when the network, not the URL, is at fault
_URLERROR_NETWORK = re.compile(
    r"Errno -\d+|Name or service not known|name resolution|nodename nor servname|"
    r"Connection refused|Network is unreachable|No route to host|timed out",
    re.IGNORECASE,
)
#: a host in an error text (``host='example.org'``, requests/urllib3), a URL in the cell,
#: or a quoted local address (``socket.create_connection(("127.0.0.1", 8080))``)
_HOST = re.compile(
    r"host='([^']+)'|\b[a-z][a-z0-9+.-]*://(?:[^@/\s'\"]*@)?([^/:\s'\"?#]+)"
    r"|['\"](localhost|127\.\d+\.\d+\.\d+)['\"]"
)
_LOCAL_HOST = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|\[::1\])$")


def _hosts(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _HOST.finditer(text)]


def _network_hint(ename: str, evalue: str, source: str) -> str | None:
    """A hint for a connection that could not be made: no network here, or no local server."""
    if ename == "URLError":
        if not _URLERROR_NETWORK.search(evalue):
            return None  # a file:// URL or an unknown scheme: not the network
    elif ename not in _CONNECT_ERRORS:
        return None
    hosts = _hosts(evalue) or _hosts(source)
    if hosts and all(_LOCAL_HOST.match(h) for h in hosts):
        return (
            f"the notebook connects to a server on {hosts[0]}, and nothing started one here. "
            f"Start it before the smoke run (in CI: a service container), or tag the cell "
            f"skip-execution."
        )
    public = next((h for h in hosts if not _LOCAL_HOST.match(h)), None)
    reached = f" (it could not reach {public})" if public else ""
    return (
        f"the notebook needs the network{reached}: this run has none, cannot resolve the "
        f"name, or the host is down. Let the CI job reach it, or make the notebook work "
        f"offline: commit a small copy of the data (or cache the download) and tag the "
        f"downloading cell skip-execution."
    )


_INPUT_HINT = (
    "the notebook asks for input and a smoke run has nobody to type an answer (it gets an "
    "empty stdin, so it stops here instead of waiting forever). Give the value another "
    "way: a parameters cell (then -p NAME=VALUE) or an environment variable."
)


def _asked_for_input(ename: str, evalue: str, source: str) -> bool:
    """input() at EOF, getpass() at EOF (no message), or a kernel that has no stdin channel."""
    if ename == "StdinNotImplementedError":
        return True
    if ename != "EOFError":
        return False
    return evalue.startswith("EOF when reading a line") or (not evalue and "getpass" in source)


def _missing_variable(evalue: str, source: str) -> str | None:
    """The variable of ``KeyError: 'X'`` when the cell reads ``os.environ['X']``."""
    match = re.fullmatch(r"'([^'\\]+)'", evalue.strip())  # str(KeyError('X')) is "'X'"
    if not match:
        return None
    name = match.group(1)
    read = rf"""environ\s*\[\s*(['"]){re.escape(name)}\1\s*\]"""
    return name if re.search(read, source) else None


def hint_for(
    ename: str,
    *,
    ctx: FailureContext,
    name: str | None = None,
    module: str | None = None,
    filename: str | None = None,
    source: str = "",
    evalue: str = "",
) -> str | None:
    """A hint for one failure, or None when nothing classic explains it."""
    if _asked_for_input(ename, evalue, source):
        return _INPUT_HINT
    if ename == "KeyError" and (variable := _missing_variable(evalue, source)):
        return (
            f"the environment variable {variable!r} is set where the notebook was written, "
            f"not here. Set it for the smoke run (the CI job's env), or give it a default: "
            f"os.environ.get({variable!r}, ...)."
        )
    if ename == "AttributeError" and (needs_kernel := _kernel_hint(evalue)):
        return needs_kernel
    if network := _network_hint(ename, evalue, source):
        return network
    if ename in ("NameError", "UnboundLocalError") and name:
        return _name_hint(name, ctx)
    if ename == "ModuleNotFoundError" and module:
        return _module_hint(module, ctx, source)
    # "Exception" is what %run raises for a script it cannot find
    file_errors = ("FileNotFoundError", "NotADirectoryError", "OSError", "Exception")
    if filename is not None and ename in file_errors:
        return _file_hint(filename, ctx, source)
    if HOME_PATH.search(source) and ename in ("FileNotFoundError", "OSError", "IOError"):
        return _file_hint("", ctx, source)
    return None
