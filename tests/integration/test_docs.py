"""Every code block in README.md and docs/*.md runs as written, so the docs cannot rot.

Each fenced block is run according to its language, in a fresh project made
for its page: a git repository (branch ``main``, an ``origin`` to diff
against) holding a copy of ``notebooks/``, the small files the examples name
(``data/train.csv``, ``model.pkl``, ...), a ``pyproject.toml`` whose
``[tool.nbtrack.smoke]`` runs notebooks for one epoch (the docs' own config,
for speed), and a store that already has a run in it, as a user's store does
(an example that reads "the" run back must hold among others):

* ``python``: a fresh interpreter (a subprocess) in the project;
* ``ipython``: notebook cells. The page's cells run first, in order, through
  one real IPython shell (``InteractiveShell``) in its own process, so a
  later cell sees what an earlier one defined, as in a notebook; a cell
  fails when IPython reports an error (a ``UsageError`` included);
* ``console``: every line starting with ``$ `` is a command, run with this
  environment's ``nbtrack`` first on ``PATH``; the other lines are output and
  are not compared (they show the shape, not the bytes);
* ``bash`` / ``sh``: every line that is not blank or a comment is a command;
* ``toml``: parsed; a ``[tool.nbtrack]`` table is also loaded and validated
  as nbtrack reads it. ``yaml``: parsed, and the entry of each ``repo:
  local`` pre-commit hook is run on the project's files of its types, as
  pre-commit would;
* ``text``: output or a synopsis, not run.

A ``yaml`` or ``toml`` block whose first line is a comment naming a file
(``# params.yaml``, ``# .pre-commit-config.yaml``) is written to that file
of the page's project before anything of the page runs, so the page's
commands and cells can use it, as a reader who followed the page would.

Every command must exit 0. A block that cannot run here (it needs a team's
PostgreSQL server, GitHub, a package index, or a value only the reader has)
carries a marker on the line before its fence, with the reason::

    <!-- docs-test: skip (needs a team PostgreSQL server) -->

A block without a language this module runs, or without that marker, fails
the test, naming the file and line of the block.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from nbtrack.envvars import STORE_ENV

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNNABLE = {"python", "ipython", "console", "bash", "sh", "toml", "yaml"}
NOT_RUN = {"text"}
MARKER = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<reason>[^)]*\S[^)]*)\)\s*-->")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+)(?P<info>.*)$")
#: seconds a single command or block may take
TIMEOUT = 300


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None  # the reason given by a skip marker

    @property
    def where(self) -> str:
        page = self.page.relative_to(REPO) if self.page.is_relative_to(REPO) else self.page
        return f"{page}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of a markdown page, each with its language and skip marker."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        previous = next((text for text in reversed(lines[:index]) if text.strip()), "")
        marker = MARKER.search(previous)
        found.append(
            Block(
                page=page,
                line=index + 1,
                language=opening["info"].strip().split(" ")[0].lower(),
                code="\n".join(body) + "\n",
                skip=marker["reason"].strip() if marker else None,
            )
        )
        index = end + 1
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]


def unrunnable(blocks: list[Block]) -> list[str]:
    """One line per block that is neither run nor marked, naming its file and line."""
    return [
        f"{block.where}: a ```{block.language} block is neither run by"
        f" tests/integration/test_docs.py ({', '.join(sorted(RUNNABLE))}; ```text for output)"
        " nor marked `<!-- docs-test: skip (reason) -->` on the line before it"
        for block in blocks
        if block.skip is None and block.language not in RUNNABLE | NOT_RUN
    ]


def test_every_block_has_a_language_that_is_run_or_a_skip_marker_with_a_reason() -> None:
    wrong = unrunnable(ALL_BLOCKS)
    assert not wrong, "\n".join(wrong)
    assert len([b for b in ALL_BLOCKS if b.skip is None and b.language in RUNNABLE]) > 30


def test_blocks_are_read_with_their_line_language_marker_and_commands(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro\n\n```\nnbtrack frobnicate\n```\n\n"
        "<!-- docs-test: skip (needs a team PostgreSQL server) -->\n"
        "```bash\nnbtrack db upgrade\n```\n"
        "<!-- docs-test: skip () -->\n```bash\nnbtrack db status\n```\n"
        "* a list item:\n\n  ```console\n  $ nbtrack runs \\\n  >   --limit 1   # newest\n"
        "  No runs yet.\n  $ nbtrack lint notebooks/\n  ```\n"
    )
    bare, marked, empty_reason, indented = blocks_of(page)
    assert (bare.line, bare.language, marked.skip, empty_reason.skip) == (
        3,
        "",
        "needs a team PostgreSQL server",
        None,
    )
    # a marker without a reason skips nothing: that bash block runs
    assert [line.split(":")[1] for line in unrunnable([bare, marked, empty_reason])] == ["3"]
    assert commands_of(indented) == [
        "nbtrack runs    --limit 1   # newest",
        "nbtrack lint notebooks/",
    ]


# -- the project a page runs in -------------------------------------------------------------


SEED_RUN = """
import nbtrack
with nbtrack.start_run(name="an earlier run"):
    nbtrack.log_params({"lr": 0.05, "epochs": 1})
"""

PYPROJECT = """\
[project]
name = "my-experiments"
version = "0.1.0"

[tool.nbtrack.smoke]
params = { epochs = 1 }
exclude = ["notebooks/pipeline/*"]  # a pipeline's second notebook reads what its first wrote
"""


def environment(project: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NBTRACK_", "GITHUB_", "JPY_", "PYTEST_")) and key != "CI"
    }
    env[STORE_ENV] = str(project / ".nbtrack" / "runs.db")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env["NO_COLOR"] = "1"
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "Docs Test"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "docs@example.invalid"
    return env


def make_project(root: Path) -> Path:
    """A user's project: notebooks/, a data file and a model file, a git repo with an origin."""
    project = root / "project"
    shutil.copytree(REPO / "notebooks", project / "notebooks")
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "data" / "labels").mkdir(parents=True)
    (project / "data" / "train.csv").write_text("x,y\n1,2\n3,4\n")
    (project / "data" / "labels" / "labels.csv").write_text("y\n2\n4\n")
    (project / "model.pkl").write_bytes(b"weights")
    (project / "report.html").write_text("<p>report</p>\n")
    (project / ".gitignore").write_text(".nbtrack/\n")
    env = environment(project)
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("commit", "-q", "-m", "the project"),
        ("remote", "add", "origin", str(project)),
        ("fetch", "-q", "origin"),
    ):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    seeded = subprocess.run(
        [sys.executable, "-c", SEED_RUN], cwd=project, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    return project


# -- running blocks ---------------------------------------------------------------------------


#: the notebook cells of one page, through one real IPython shell, in order
SHELL_DRIVER = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance(colors="NoColor")
for where, code in json.load(sys.stdin):
    result = shell.run_cell(code, store_history=True)
    if not result.success:
        error = result.error_in_exec or result.error_before_exec
        print(f"DOCS-TEST-FAILED {where}: {type(error).__name__}: {error}", flush=True)
        sys.exit(1)
"""


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_python(block: Block, project: Path) -> str | None:
    done = subprocess.run(
        [sys.executable, "-c", block.code],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode:
        return f"{block.where}: the python block exited {done.returncode}:\n{_tail(done.stderr)}"
    return None


def run_cells(cells: list[Block], project: Path) -> str | None:
    if not cells:
        return None
    done = subprocess.run(
        [sys.executable, "-c", SHELL_DRIVER],
        input=json.dumps([[cell.where, cell.code] for cell in cells]),
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode:
        said = [line for line in done.stdout.splitlines() if line.startswith("DOCS-TEST-FAILED")]
        head = said[0].removeprefix("DOCS-TEST-FAILED ") if said else "the ipython cells failed"
        return f"{head}\n{_tail(done.stdout + done.stderr)}"
    return None


def commands_of(block: Block) -> list[str]:
    """The commands of a console (``$ `` lines) or bash block, continuation lines joined."""
    commands: list[str] = []
    pending = ""
    for raw in block.code.splitlines():
        line = raw.rstrip()
        if pending:
            line = line.removeprefix("> ")
        elif block.language == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append(pending + line)
        pending = ""
    return commands


def run_commands(block: Block, project: Path) -> str | None:
    env = environment(project)
    for command in commands_of(block):
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if done.returncode:
            return (
                f"{block.where}: `{command}` exited {done.returncode}:\n"
                f"{_tail(done.stdout + done.stderr)}"
            )
    return None


#: pre-commit's file types, as far as the docs' hooks use them
HOOK_TYPES = {"jupyter": ".ipynb", "python": ".py", "markdown": ".md"}


def run_local_hooks(block: Block, config: object, project: Path) -> str | None:
    """Each ``repo: local`` hook's entry on the project's files, as pre-commit calls it."""
    if not isinstance(config, dict):
        return None
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()
    env = environment(project)
    for repo in config.get("repos", []):
        if repo.get("repo") != "local":
            continue
        for hook in repo["hooks"]:
            kinds = hook.get("types_or") or hook.get("types") or []
            suffixes = tuple(HOOK_TYPES[kind] for kind in kinds)
            files = [name for name in tracked if name.endswith(suffixes)]
            command = [*hook["entry"].split(), *files]
            done = subprocess.run(
                command, cwd=project, env=env, capture_output=True, text=True, timeout=TIMEOUT
            )
            if done.returncode:
                return (
                    f"{block.where}: the hook {hook['id']!r} (`{' '.join(command)}`) exited"
                    f" {done.returncode}:\n{_tail(done.stdout + done.stderr)}"
                )
    return None


def check_config(block: Block, project: Path) -> str | None:
    if block.language == "yaml":
        import yaml

        try:
            documents = list(yaml.safe_load_all(block.code))
        except yaml.YAMLError as exc:
            return f"{block.where}: the yaml block does not parse: {exc}"
        for document in documents:
            failure = run_local_hooks(block, document, project)
            if failure:
                return failure
        return None
    try:
        table = tomllib.loads(block.code)
    except tomllib.TOMLDecodeError as exc:
        return f"{block.where}: the toml block does not parse: {exc}"
    if "tool" in table and "nbtrack" in table["tool"]:
        from nbtrack.errors import ConfigError
        from nbtrack.smoke.options import project_smoke_config

        folder = project.parent / f"config-{block.line}"
        folder.mkdir()
        (folder / "pyproject.toml").write_text(block.code)
        try:
            project_smoke_config(folder)
        except ConfigError as exc:
            return f"{block.where}: nbtrack refuses the toml block: {exc}"
    return None


NAMED_FILE = re.compile(r"#\s*(?P<name>[\w./-]+\.(?:ya?ml|toml))\s*$")


def write_named_files(blocks: list[Block], project: Path) -> None:
    """Config blocks that open with ``# a/file.yaml`` become that file of the project."""
    for block in blocks:
        first = block.code.splitlines()[0] if block.code.strip() else ""
        named = NAMED_FILE.fullmatch(first.strip())
        if block.language in {"yaml", "toml"} and named:
            target = project / named["name"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code)


def run_page(page: Path, root: Path) -> list[str]:
    """Run a page's blocks in its project, in order; the failures, each naming file and line."""
    blocks = [b for b in blocks_of(page) if b.skip is None and b.language in RUNNABLE]
    project = make_project(root)
    write_named_files(blocks, project)
    failures: list[str] = []
    cells = [b for b in blocks if b.language == "ipython"]
    # the notebook cells first (one session), then the rest in page order
    failure = run_cells(cells, project)
    if failure:
        failures.append(failure)
    for block in blocks:
        if block.language == "python":
            failure = run_python(block, project)
        elif block.language in {"console", "bash", "sh"}:
            failure = run_commands(block, project)
        elif block.language in {"toml", "yaml"}:
            failure = check_config(block, project)
        else:
            continue
        if failure:
            failures.append(failure)
    return failures


#: the pages with at least one block to run
RUN_PAGES = sorted({b.page for b in ALL_BLOCKS if b.skip is None and b.language in RUNNABLE})


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.git
@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(p.relative_to(REPO)) for p in RUN_PAGES])
def test_the_blocks_of_a_page_run_as_written(page: Path, tmp_path: Path) -> None:
    failures = run_page(page, tmp_path)
    assert not failures, "\n\n".join(failures)
