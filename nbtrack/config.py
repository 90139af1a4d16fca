"""Settings: ``[tool.nbtrack]`` in pyproject.toml, then ``NBTRACK_*`` variables.

Found, not passed: the project root is the nearest ancestor of the working
directory (or of a given start path) holding ``pyproject.toml`` or ``.git``,
else the start directory itself. Settings are read once into a frozen
:class:`Settings`, validated, and every error names the key and the file.

This module knows nothing about stores beyond turning a setting into a URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.envvars import (
    ARTIFACTS_ENV,
    EXPERIMENT_ENV,
    HEARTBEAT_TIMEOUT_ENV,
    REDACT_SECRETS_ENV,
    STORE_ENV,
)
from nbtrack.errors import ConfigError

__all__ = [
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "Settings",
    "experiment_name",
    "find_project_root",
    "listed_experiments",
    "load_settings",
    "looks_secret",
    "mask_url",
    "store_url_from_setting",
]

DEFAULT_HEARTBEAT_TIMEOUT = 60.0
STORE_DIRNAME = ".nbtrack"
STORE_FILENAME = "runs.db"

#: the user:password@ part of a URL, as SQLAlchemy's URL grammar reads it (a
#: password runs to the next "@", so it may hold ":" and "/")
_CREDENTIALS = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@]*):[^@]*@")
#: ``dolt://host:3306/db@main``: a host:port before the first "/" and an "@" in the
#: path (a Dolt ref), which the grammar above would read as a password "3306/db"
_HOST_PORT_THEN_AT = re.compile(r"^dolt://[^:/@]+:\d+/[^?]*@", re.IGNORECASE)
#: a URL and its query string, the query starting at the first "?" after any
#: user:password@ (libpq also takes ``?password=`` and ``?sslpassword=``)
_QUERY = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://(?:[^/]*@)?[^?]*)\?(?P<query>.*)$", re.DOTALL)

# Word-part matching for "token" keeps max_tokens / tokenizer out; the others
# are rare enough as substrings of innocent names to match anywhere.
_SECRET_ANYWHERE = re.compile(r"password|passwd|secret|api[_\-.]?key")
_SECRET_WORD = re.compile(r"(?:^|[^a-z0-9])token(?:$|[^a-z0-9])")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_KNOWN_KEYS = {"artifacts", "experiment", "heartbeat_timeout", "redact_secrets", "smoke", "store"}
#: what an experiment name may hold: printable, one line, not blank
_EXPERIMENT_MAX = 200


@dataclass(frozen=True)
class Settings:
    """nbtrack's settings for one project, already validated."""

    root: Path
    store_url: str
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
    redact_secrets: bool = True
    #: the raw ``[tool.nbtrack.smoke]`` table; the smoke package validates it
    smoke: dict[str, Any] = field(default_factory=dict)
    #: where pyproject.toml was read from, when it was
    pyproject: Path | None = None
    #: the experiment new runs belong to (default: the project's name)
    experiment: str = "default"
    #: the artifact root as set (``[tool.nbtrack] artifacts`` / ``NBTRACK_ARTIFACTS``):
    #: a URL fsspec reaches or a local directory; None: the store's default
    artifacts: str | None = None
    #: True when ``experiment`` was set (``[tool.nbtrack] experiment``,
    #: ``NBTRACK_EXPERIMENT``) rather than taken from the project's name: then
    #: listings show that experiment by default (:func:`listed_experiments`)
    experiment_set: bool = False

    @property
    def artifact_root(self) -> Path:
        """Directory for content-addressed artifact files of a local store."""
        if self.store_url.startswith("sqlite:///"):
            db = Path(self.store_url.removeprefix("sqlite:///"))
            return db.parent / "artifacts"
        return self.root / STORE_DIRNAME / "artifacts"


def experiment_name(value: object, where: str) -> str:
    """*value* as an experiment name, or a ``ConfigError`` naming *where*.

    >>> experiment_name(" churn ", "experiment")
    'churn'
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty name, not {value!r}.", key="experiment")
    name = value.strip()
    if len(name) > _EXPERIMENT_MAX or not name.isprintable():
        raise ConfigError(
            f"{where} must be one printable line of at most {_EXPERIMENT_MAX} characters,"
            f" not {name[:40]!r}.",
            key="experiment",
        )
    if name == "*":  # the filter that lists every experiment (store.base.ALL_EXPERIMENTS)
        raise ConfigError(
            f"{where} cannot be '*', which lists every experiment; choose a name.",
            key="experiment",
        )
    return name


def listed_experiments(given: Sequence[str], settings: Settings) -> tuple[str, ...]:
    """The experiments a listing (``runs``, ``compare``, ``report``, the UI) shows.

    *given* names (``--experiment``, checked; ``*`` is every experiment) win;
    without them, the experiment the project sets (``[tool.nbtrack]
    experiment``, ``NBTRACK_EXPERIMENT``); when it sets none, every
    experiment. ``()`` means every experiment.

    >>> listed_experiments(["churn", "*"], Settings(Path("."), "sqlite://"))
    ()
    """
    if not given:
        return (settings.experiment,) if settings.experiment_set else ()
    if "*" in given:
        return ()
    return tuple(dict.fromkeys(experiment_name(name, "--experiment") for name in given))


def find_project_root(start: Path | None = None) -> Path:
    """Nearest ancestor of *start* (default: cwd) with pyproject.toml or .git."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() or (candidate / ".git").exists():
            return candidate
    return here


def mask_url(url: str, *, drop: bool = False) -> str:
    """A URL fit to print: the password as ``***``, or left out with *drop*.

    *drop* is for files that may be shared (a spill file), where even the
    password's place need not show.

    >>> mask_url("postgresql+psycopg://ana:s3cret@db:5432/runs")
    'postgresql+psycopg://ana:***@db:5432/runs'
    >>> mask_url("postgresql+psycopg://ana:s3cret@db:5432/runs", drop=True)
    'postgresql+psycopg://ana@db:5432/runs'
    >>> mask_url("postgresql://ana@db/runs?sslmode=require&password=s3cret")
    'postgresql://ana@db/runs?sslmode=require&password=***'
    >>> mask_url("sqlite:////tmp/runs.db")
    'sqlite:////tmp/runs.db'

    Query keys are secret when :func:`looks_secret` says so of their name.
    """
    if not _HOST_PORT_THEN_AT.match(url):  # else no user:password@ (a password with "/" masks)
        url = _CREDENTIALS.sub(r"\g<head>@" if drop else r"\g<head>:***@", url, count=1)
    match = _QUERY.match(url)
    if match is None:
        return url
    from urllib.parse import unquote_plus  # only a URL with a query string pays for it

    kept = []
    for item in match["query"].split("&"):
        key, equals, value = item.partition("=")
        if not (value and looks_secret(unquote_plus(key))):
            kept.append(item)
        elif not drop:
            kept.append(f"{key}{equals}***")
    return match["head"] + ("?" + "&".join(kept) if kept else "")


def looks_secret(key: str) -> bool:
    """Whether a name (a param's, a URL query key) looks like it holds a credential.

    >>> [looks_secret(k) for k in ("db.password", "HF_TOKEN", "authToken", "max_tokens")]
    [True, True, True, False]
    >>> looks_secret("PassWord")
    True
    """
    words = _CAMEL_BOUNDARY.sub("_", key).lower()
    return bool(_SECRET_ANYWHERE.search(key.lower()) or _SECRET_WORD.search(words))


def store_url_from_setting(value: str, base: Path) -> str:
    """A store setting as a SQLAlchemy URL; a plain path means a SQLite file.

    >>> store_url_from_setting("runs.db", Path("/proj"))
    'sqlite:////proj/runs.db'
    """
    value = value.strip()
    if not value:
        raise ConfigError("The store setting is empty; give a URL or a file path.", key="store")
    if "://" in value:
        if value.startswith("postgres://"):
            # the scheme Heroku and friends hand out; SQLAlchemy wants postgresql
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    return f"sqlite:///{path}"


def _read_pyproject(root: Path) -> tuple[dict[str, Any], Path | None, str | None]:
    """``[tool.nbtrack]``, the file it came from, and ``[project] name``."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}, None, None
    import tomllib  # here, not at the top: %load_ext nbtrack imports this module for its names

    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as TOML: {exc}.", path=path) from exc
    table = data.get("tool", {}).get("nbtrack", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nbtrack] must be a table.", path=path)
    project = data.get("project", {})
    name = project.get("name") if isinstance(project, dict) else None
    return table, path, name if isinstance(name, str) and name.strip() else None


def _as_float(value: object, key: str, where: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}: {key} must be a number of seconds, not {value!r}.", key=key
        ) from None
    if not number > 0:
        raise ConfigError(f"{where}: {key} must be greater than 0, not {value!r}.", key=key)
    return number


def _as_bool(value: object, key: str, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{where}: {key} must be true or false, not {value!r}.", key=key)


def load_settings(start: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read ``[tool.nbtrack]`` from the project root, then ``NBTRACK_*`` overrides."""
    env = dict(os.environ) if env is None else env
    root = find_project_root(start)
    table, pyproject, project_name = _read_pyproject(root)
    where = f"{pyproject} [tool.nbtrack]" if pyproject else "[tool.nbtrack]"
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KNOWN_KEYS))}).",
            key=unknown[0],
            path=pyproject,
        )

    store_url = f"sqlite:///{root / STORE_DIRNAME / STORE_FILENAME}"
    if "store" in table:
        if not isinstance(table["store"], str):
            raise ConfigError(f"{where}: store must be a string URL or path.", key="store")
        store_url = store_url_from_setting(table["store"], root)
    if env.get(STORE_ENV):
        store_url = store_url_from_setting(env[STORE_ENV], Path.cwd())

    heartbeat = DEFAULT_HEARTBEAT_TIMEOUT
    if "heartbeat_timeout" in table:
        heartbeat = _as_float(table["heartbeat_timeout"], "heartbeat_timeout", where)
    if env.get(HEARTBEAT_TIMEOUT_ENV):
        heartbeat = _as_float(env[HEARTBEAT_TIMEOUT_ENV], HEARTBEAT_TIMEOUT_ENV, "environment")

    redact = True
    if "redact_secrets" in table:
        redact = _as_bool(table["redact_secrets"], "redact_secrets", where)
    if env.get(REDACT_SECRETS_ENV):
        redact = _as_bool(env[REDACT_SECRETS_ENV], REDACT_SECRETS_ENV, "environment")

    smoke = table.get("smoke", {})
    if not isinstance(smoke, dict):
        raise ConfigError(f"{where}: smoke must be a table ([tool.nbtrack.smoke]).", key="smoke")

    experiment = project_name or root.name or "default"
    if "experiment" in table:
        experiment = experiment_name(table["experiment"], f"{where}: experiment")
    if env.get(EXPERIMENT_ENV):
        experiment = experiment_name(env[EXPERIMENT_ENV], EXPERIMENT_ENV)
    experiment_set = "experiment" in table or bool(env.get(EXPERIMENT_ENV))

    artifacts = None
    if "artifacts" in table:
        if not isinstance(table["artifacts"], str) or not table["artifacts"].strip():
            raise ConfigError(
                f"{where}: artifacts must be a URL or a directory, not {table['artifacts']!r}.",
                key="artifacts",
            )
        artifacts = table["artifacts"].strip()
    if env.get(ARTIFACTS_ENV, "").strip():
        artifacts = env[ARTIFACTS_ENV].strip()

    return Settings(
        root=root,
        experiment=experiment,
        experiment_set=experiment_set,
        artifacts=artifacts,
        store_url=store_url,
        heartbeat_timeout=heartbeat,
        redact_secrets=redact,
        smoke=smoke,
        pyproject=pyproject,
    )
