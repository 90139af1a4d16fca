"""``nbtrack init``: set a git repository up for reviewable notebooks, idempotently.

Five pieces, each checked and, when missing, written or merged (never
clobbered): a jupytext pairing config (``jupytext.toml``, or
``[tool.jupytext]`` when the repository has a pyproject.toml), nbdime's git
diff and merge drivers in the repository's own ``.git/config`` (the keys
``nbdime config-git --enable`` sets) with the matching ``.gitattributes``
line, ``.nbtrack/`` in ``.gitignore``, and nbtrack's hooks in
``.pre-commit-config.yaml``. A second run changes nothing. It also warns when
``.git/info/attributes`` (nbstripout puts ``diff=ipynb`` there) overrides the
driver. It does not install nbdime, jupytext or pre-commit.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from nbtrack.errors import ConfigError, UsageError, VcsError
from nbtrack.vcs import _git

__all__ = [
    "ATTRIBUTES_LINE",
    "DEFAULT_FORMATS",
    "NBDIME_GIT_CONFIG",
    "InitReport",
    "init_repository",
]

DEFAULT_FORMATS = "ipynb,py:percent"
ATTRIBUTES_LINE = "*.ipynb diff=jupyternotebook merge=jupyternotebook"
#: exactly what ``nbdime config-git --enable`` writes for the diff and merge drivers
NBDIME_GIT_CONFIG = {
    "diff.jupyternotebook.command": "git-nbdiffdriver diff",
    "merge.jupyternotebook.driver": "git-nbmergedriver merge %O %A %B %L %P",
    "merge.jupyternotebook.name": "jupyter notebook merge driver",
}
_JUPYTEXT_FILES = (
    "jupytext", "jupytext.toml", "jupytext.yml", "jupytext.yaml", "jupytext.json",
    ".jupytext", ".jupytext.toml", ".jupytext.yml", ".jupytext.yaml", ".jupytext.json",
    ".jupytext.py",
)  # fmt: skip
_IGNORE_FORMS = {".nbtrack", ".nbtrack/", "/.nbtrack", "/.nbtrack/", ".nbtrack/*", ".nbtrack/**"}
_HOOKS = {
    "nbtrack-sync": (
        "nbtrack sync (paired notebooks in step)", "nbtrack sync",
        "[jupyter, python, markdown]",
    ),
    "nbtrack-lint": ("nbtrack lint (hidden notebook state)", "nbtrack lint", "[jupyter]"),
}  # fmt: skip


@dataclass(frozen=True)
class InitReport:
    """What ``init`` changed (or, with ``check``, what is missing) and its warnings.

    ``missing`` names what the repository's committed files lack; ``clone_missing``
    what only this clone lacks (git config is never committed, so a fresh clone,
    e.g. in CI, always lacks it): ``up_to_date`` looks at the files only.
    """

    root: Path
    changes: tuple[str, ...]
    missing: tuple[str, ...]
    warnings: tuple[str, ...]
    clone_missing: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        return not self.missing


def init_repository(start: Path, *, formats: str | None = None, check: bool = False) -> InitReport:
    """Set up (or with ``check=True`` only inspect) the repository containing ``start``."""
    root = _git.repo_root(start)
    if root is None:
        raise VcsError(f"{start} is not inside a git repository; run 'git init' first", path=start)
    if formats is not None:
        _validate_formats(formats)
    # (per clone?, step): git config lives in .git/, every other piece in a committed file
    steps = [
        (False, _jupytext_step(root, formats)),
        (True, _git_config_step(root)),
        (False, _attributes_step(root)),
        (False, _gitignore_step(root)),
        (False, _precommit_step(root)),
    ]
    missing: list[str] = []
    clone_missing: list[str] = []
    changes: list[str] = []
    warnings: list[str] = _override_warnings(root)
    if shutil.which("git-nbdiffdriver") is None:
        warnings.append(
            "git-nbdiffdriver (nbdime) is not on PATH, so git cannot run the notebook diff "
            "driver from this shell; install nbdime or activate the environment that has it"
        )
    for per_clone, (need, apply, warning) in steps:
        if warning:
            warnings.append(warning)
        if need is None:
            continue
        (clone_missing if per_clone else missing).append(need)
        if not check:
            changes.append(apply())
    return InitReport(root, tuple(changes), tuple(missing), tuple(warnings), tuple(clone_missing))


_Step = tuple[str | None, "_Apply", str | None]


class _Apply:
    """A deferred write: ``init`` runs it, ``init --check`` does not."""

    def __init__(self, action: object, done: str) -> None:
        self.action = action
        self.done = done

    def __call__(self) -> str:
        assert callable(self.action)
        self.action()
        return self.done


_NOTHING = _Apply(lambda: None, "")


def _validate_formats(formats: str) -> None:
    from jupytext.formats import JupytextFormatError, long_form_multiple_formats

    try:
        parsed = long_form_multiple_formats(formats)
    except (JupytextFormatError, ValueError, KeyError) as exc:
        raise UsageError(f"--formats '{formats}' is not a jupytext pairing: {exc}") from None
    if not any(fmt.get("extension") == ".ipynb" for fmt in parsed) or len(parsed) < 2:
        raise UsageError(
            f"--formats '{formats}' must pair ipynb with a text format, e.g. '{DEFAULT_FORMATS}'"
        )


def _jupytext_step(root: Path, formats: str | None) -> _Step:
    wanted = formats or DEFAULT_FORMATS
    for name in _JUPYTEXT_FILES:
        if (root / name).is_file():
            return None, _NOTHING, _formats_note(root / name, formats)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{pyproject} is not valid TOML: {exc}", path=pyproject) from None
        table = data.get("tool", {}).get("jupytext")
        if isinstance(table, dict):
            current = table.get("formats")
            note = None
            if formats and current != formats:
                note = (
                    f"[tool.jupytext] in {pyproject.name} already has formats = {current!r}; "
                    f"left as is (edit it to use '{formats}')"
                )
            return None, _NOTHING, note

        def append_table() -> None:
            text = pyproject.read_text(encoding="utf-8")
            sep = "" if text.endswith("\n") or not text else "\n"
            pyproject.write_text(
                f'{text}{sep}\n[tool.jupytext]\nformats = "{wanted}"\n', encoding="utf-8"
            )

        return (
            "jupytext pairing config ([tool.jupytext] in pyproject.toml)",
            _Apply(append_table, f'added [tool.jupytext] formats = "{wanted}" to pyproject.toml'),
            None,
        )

    def write_config() -> None:
        (root / "jupytext.toml").write_text(
            "# Pair every notebook with a text file that diffs and reviews well.\n"
            f'formats = "{wanted}"\n',
            encoding="utf-8",
        )

    return (
        "jupytext pairing config (jupytext.toml)",
        _Apply(write_config, f'created jupytext.toml (formats = "{wanted}")'),
        None,
    )


def _formats_note(config: Path, formats: str | None) -> str | None:
    if formats is None or formats in config.read_text(encoding="utf-8", errors="replace"):
        return None
    return f"{config.name} already configures jupytext; left as is (edit it to use '{formats}')"


def _git_config_step(root: Path) -> _Step:
    absent = []
    notes = []
    for key, value in NBDIME_GIT_CONFIG.items():
        current = _git.config_get(root, key)
        if current is None and _git.config_get(root, key, local=False) == value:
            continue  # set globally (``nbdime config-git --enable --global``): git uses that
        if current is None:
            absent.append(key)
        elif current != value:
            notes.append(f"git config {key} is '{current}', left as is (nbdime sets '{value}')")
    if not absent:
        return None, _NOTHING, "; ".join(notes) or None

    def apply() -> None:
        for key in absent:
            _git.config_set(root, key, NBDIME_GIT_CONFIG[key])

    return (
        f"nbdime git drivers in .git/config ({', '.join(absent)})",
        _Apply(apply, "set nbdime diff/merge drivers in .git/config"),
        "; ".join(notes) or None,
    )


def _ipynb_attributes(path: Path) -> dict[str, str]:
    """attribute -> value for lines whose pattern is ``*.ipynb`` (later lines win)."""
    found: dict[str, str] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#") or not fields[0].endswith(".ipynb"):
            continue
        for attr in fields[1:]:
            if attr.startswith(("-", "!")):
                found[attr[1:]] = "unset"
            elif "=" in attr:
                name, value = attr.split("=", 1)
                found[name] = value
            else:
                found[attr] = "set"
                if attr == "binary":
                    found["diff"] = "unset"
    return found


def _attributes_step(root: Path) -> _Step:
    path = root / ".gitattributes"
    attrs = _ipynb_attributes(path)
    if attrs.get("diff") == "jupyternotebook" and attrs.get("merge") == "jupyternotebook":
        return None, _NOTHING, None

    def apply() -> None:
        _append_line(path, ATTRIBUTES_LINE)

    return (
        f".gitattributes line '{ATTRIBUTES_LINE}'",
        _Apply(apply, f"added '{ATTRIBUTES_LINE}' to .gitattributes"),
        None,
    )


def _override_warnings(root: Path) -> list[str]:
    info = _git.git_dir(root) / "info" / "attributes"
    attrs = _ipynb_attributes(info)
    warnings = []
    for name in ("diff", "merge"):
        value = attrs.get(name)
        if value is not None and value != "jupyternotebook":
            shown = f"{name}={value}" if value not in ("set", "unset") else f"{name} {value}"
            tool = " (nbstripout's entry)" if value == "ipynb" else ""
            warnings.append(
                f"{info} sets '{shown}' for *.ipynb{tool}, which overrides the nbdime "
                f"{name} driver from .gitattributes; remove that line to use nbdime"
            )
    return warnings


def _gitignore_step(root: Path) -> _Step:
    path = root / ".gitignore"
    if path.is_file():
        lines = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
        if lines & _IGNORE_FORMS:
            return None, _NOTHING, None
    return (
        ".nbtrack/ in .gitignore",
        _Apply(lambda: _append_line(path, ".nbtrack/"), "added .nbtrack/ to .gitignore"),
        None,
    )


def _append_line(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + line + "\n", encoding="utf-8")


def _wanted_hooks() -> list[str]:
    return ["nbtrack-sync", "nbtrack-lint"]


def _hook_block(ids: list[str], indent: int) -> str:
    pad = " " * indent
    lines = [f"{pad}- repo: local", f"{pad}  hooks:"]
    for hook_id in ids:
        name, entry, types = _HOOKS[hook_id]
        lines += [
            f"{pad}    - id: {hook_id}",
            f"{pad}      name: {name}",
            f"{pad}      entry: {entry}",
            f"{pad}      language: system",
            f"{pad}      types_or: {types}",
            f"{pad}      require_serial: true",
        ]
    return "\n".join(lines) + "\n"


def _precommit_step(root: Path) -> _Step:
    from nbtrack.vcs._precommit import existing_hook_ids, merge_repos_block

    path = root / ".pre-commit-config.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    present = existing_hook_ids(text, path) if text.strip() else set()
    absent = [hook for hook in _wanted_hooks() if hook not in present]
    if not absent:
        return None, _NOTHING, None

    def apply() -> None:
        if not text.strip():
            path.write_text("repos:\n" + _hook_block(absent, 2), encoding="utf-8")
            return
        path.write_text(merge_repos_block(text, path, lambda n: _hook_block(absent, n)), "utf-8")

    verb = "added" if text.strip() else "created .pre-commit-config.yaml with"
    return (
        f"pre-commit hooks in .pre-commit-config.yaml ({', '.join(absent)})",
        _Apply(apply, f"{verb} pre-commit hooks {', '.join(absent)}"),
        None,
    )
