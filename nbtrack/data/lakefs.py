"""lakeFS objects as data refs: a branch, tag or commit resolved to the commit id.

For: :func:`resolve` (``lakefs://<repository>/<ref>/<path>``) over lakeFS's
documented REST API (``/api/v1``, HTTP basic auth with an access key) with
the standard library only, so it needs no extra. Four GET requests: the
ref's log (its commit id and time), whether the ref is a branch, a branch's
uncommitted changes at the path, and the object's stat (checksum, size).

Endpoint and key, field by field, from the first place that has them:
``LAKEFS_ENDPOINT`` / ``LAKEFS_ACCESS_KEY_ID`` / ``LAKEFS_SECRET_ACCESS_KEY``,
then lakectl's own variables (``LAKECTL_SERVER_ENDPOINT_URL``,
``LAKECTL_CREDENTIALS_ACCESS_KEY_ID``, ``LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY``),
then lakectl's config file (``LAKECTL_CONFIG_FILE`` or ``~/.lakectl.yaml``).
None of them is stored.

A branch whose staging area changes the path (written, not committed) is not
pinned by its commit id: the bytes read are in no commit. Such a ref is
recorded *unresolved*, with the staged checksum and the reason, so nobody
takes the branch's commit for the version the run read.

Not for: writing to lakeFS, or refs to a whole branch or prefix (name an
object: a commit id pins every object of the branch, but the ref records the
object's checksum and size).
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from nbtrack.config import mask_url
from nbtrack.data.faults import Unreachable
from nbtrack.data.timeout import network_timeout
from nbtrack.errors import UsageError
from nbtrack.model import DataRef, JSONValue

__all__ = ["Endpoint", "endpoint", "parse_uri", "resolve"]

#: lakeFS's own rule for a repository name (api/swagger.yml, RepositoryCreation)
_REPOSITORY = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
_API = "/api/v1"


@dataclass(frozen=True)
class Endpoint:
    """Where lakeFS answers and the key to ask with (never stored, never shown)."""

    url: str  # the API root, ending in /api/v1
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:  # a traceback or a debugger must not show the secret
        return f"Endpoint(url={mask_url(self.url)!r}, access_key_id={self.access_key_id!r})"


def parse_uri(target: str) -> tuple[str, str, str]:
    """(repository, ref, path) of ``lakefs://repo/ref/path``, or a ``UsageError``.

    >>> parse_uri("lakefs://example-repo/main/data/train.parquet")
    ('example-repo', 'main', 'data/train.parquet')
    """
    shown = mask_url(target)
    repository, _, rest = target.split("://", 1)[1].partition("/")
    ref, _, path = rest.partition("/")
    form = "lakefs://<repository>/<branch, tag or commit>/<path of an object>"
    if "@" in repository:  # user:password@ has no place in a lakeFS URI: never echo it
        raise UsageError(
            f"cannot track {shown!r}: a lakeFS URI holds no credentials (set"
            f" LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY); give {form}."
        )
    if not _REPOSITORY.match(repository):
        raise UsageError(
            f"cannot track {shown!r}: {repository!r} is not a lakeFS repository name; give {form}."
        )
    if not ref or not path:
        raise UsageError(f"cannot track {shown!r}: it names no object; give {form}.")
    if path.endswith("/"):
        raise UsageError(
            f"cannot track {shown!r}: it names a prefix; give the path of one object ({form})."
        )
    return repository, ref, path


def _lakectl_file() -> dict[str, Any]:
    """lakectl's config file as lakectl reads it, or {} when there is none."""
    named = os.environ.get("LAKECTL_CONFIG_FILE", "").strip()
    path = Path(named).expanduser() if named else Path.home() / ".lakectl.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise Unreachable(f"lakectl's config {path} cannot be read: {exc.strerror}") from None
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        raise Unreachable(f"lakectl's config {path} is not valid YAML") from None
    return loaded if isinstance(loaded, dict) else {}


def _setting(names: tuple[str, ...], section: str, key: str, file: dict[str, Any]) -> str:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    table = file.get(section)
    found = table.get(key) if isinstance(table, dict) else None
    return str(found).strip() if found else ""


def endpoint() -> Endpoint:
    """The lakeFS endpoint and key of this environment (see the module docstring)."""
    file = _lakectl_file()
    url = _setting(
        ("LAKEFS_ENDPOINT", "LAKECTL_SERVER_ENDPOINT_URL"), "server", "endpoint_url", file
    )
    if not url:
        raise Unreachable(
            "no lakeFS endpoint is set (LAKEFS_ENDPOINT, LAKECTL_SERVER_ENDPOINT_URL or"
            " server.endpoint_url in ~/.lakectl.yaml)"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unreachable(f"the lakeFS endpoint {mask_url(url)!r} is not an http(s) URL")
    if parts.path in ("", "/"):  # as lakectl does: a bare server URL means its /api/v1
        url = url.rstrip("/") + _API
    key = _setting(
        ("LAKEFS_ACCESS_KEY_ID", "LAKECTL_CREDENTIALS_ACCESS_KEY_ID"),
        "credentials",
        "access_key_id",
        file,
    )
    secret = _setting(
        ("LAKEFS_SECRET_ACCESS_KEY", "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY"),
        "credentials",
        "secret_access_key",
        file,
    )
    return Endpoint(url.rstrip("/"), key, secret)


def _get(server: Endpoint, route: str, **query: str) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) of one GET; what says "not now" is raised as ``Unreachable``.

    200, 400, 404 and 410 come back to the caller, who knows what was asked;
    401/403 (no or a rejected key), 429, 5xx and no answer at all are the
    server's state, not the target's.
    """
    import urllib.error
    import urllib.request

    url = server.url + route + (f"?{urlencode(query)}" if query else "")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if server.access_key_id or server.secret_access_key:
        pair = f"{server.access_key_id}:{server.secret_access_key}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode("ascii"))
    shown = mask_url(server.url)
    try:
        with urllib.request.urlopen(request, timeout=network_timeout()) as response:
            status, raw = int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:  # refused, unknown host, timed out
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"lakeFS at {shown} did not answer: {reason}") from None
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Unreachable(f"lakeFS at {shown} answered {status} with something not its API's JSON")
    if status in (401, 403):
        why = "no access key is set" if not server.access_key_id else "it refused the access key"
        raise Unreachable(f"lakeFS at {shown} answered {status}: {why}")
    if status not in (200, 400, 404, 410):
        message = str(body.get("message", "")).strip() or "no message"
        raise Unreachable(f"lakeFS at {shown} answered {status}: {message}")
    return status, body


def _refused(shown: str, status: int, body: dict[str, Any], what: str) -> UsageError:
    message = str(body.get("message", "")).strip().rstrip(".")
    return UsageError(f"cannot track {shown!r}: lakeFS answered {status} for {what}: {message}.")


def _commit(server: Endpoint, shown: str, repository: str, ref: str) -> dict[str, Any]:
    """The commit *ref* names now (its log's first entry), or the ``UsageError`` saying why not."""
    base = f"/repositories/{quote(repository, safe='')}"
    status, body = _get(server, f"{base}/refs/{quote(ref, safe='')}/commits", amount="1")
    if status == 404:
        repo_status, _ = _get(server, base)
        if repo_status == 404:
            where = mask_url(server.url)
            raise UsageError(
                f"cannot track {shown!r}: lakeFS at {where} has no repository {repository!r}."
            )
        raise UsageError(
            f"cannot track {shown!r}: repository {repository!r} has no branch, tag or commit"
            f" {ref!r}."
        )
    if status != 200:
        raise _refused(shown, status, body, f"ref {ref!r}")
    results = body.get("results")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise UsageError(f"cannot track {shown!r}: lakeFS lists no commit for ref {ref!r}.")
    return results[0]


def _staged_change(server: Endpoint, repository: str, branch: str, path: str) -> str | None:
    """The uncommitted change of *branch* at *path* (added, changed, removed), if any.

    A diff lists paths in order, and *path* sorts before every longer path it
    prefixes, so the first entry under the prefix is the only one to read.
    """
    base = f"/repositories/{quote(repository, safe='')}/branches/{quote(branch, safe='')}"
    status, body = _get(server, f"{base}/diff", prefix=path, amount="1")
    if status != 200:
        return None
    for entry in body.get("results") or []:
        if isinstance(entry, dict) and entry.get("path") == path:
            return str(entry.get("type", "changed"))
    return None


def _iso(epoch: object) -> str | None:
    if not isinstance(epoch, int | float):
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    """The ref of ``lakefs://repo/ref/path``, its ref resolved to the commit id now.

    *version*, when given, is the lakeFS ref to read at instead of the URI's
    (a commit id or a tag). A branch with uncommitted changes at the path
    gives an unresolved ref (see the module docstring).
    """
    shown = mask_url(target)
    repository, uri_ref, path = parse_uri(target)
    ref = uri_ref if version is None else str(version).strip()
    if not ref:
        raise UsageError(f"cannot track {shown!r}: version= is empty; give a lakeFS commit or tag.")
    server = endpoint()
    commit = _commit(server, shown, repository, ref)
    commit_id = str(commit.get("id", ""))
    repo_path = f"/repositories/{quote(repository, safe='')}"
    branch_status, _ = _get(server, f"{repo_path}/branches/{quote(ref, safe='')}")
    is_branch = branch_status == 200
    staged = _staged_change(server, repository, ref, path) if is_branch else None
    # an uncommitted change is read from the branch; everything else from the commit itself,
    # so a commit landing between these requests cannot mix two versions
    read_at = ref if staged else commit_id
    status, stat = _get(
        server,
        f"{repo_path}/refs/{quote(read_at, safe='')}/objects/stat",
        path=path,
        user_metadata="false",
    )
    if status == 404:
        where = f"branch {ref!r} (uncommitted: {staged})" if staged else f"commit {commit_id}"
        raise UsageError(f"cannot track {shown!r}: there is no object {path!r} at {where}.")
    if status != 200:
        raise _refused(shown, status, stat, f"object {path!r}")
    size = stat.get("size_bytes")
    detail: dict[str, JSONValue] = {
        "repository": repository,
        "ref": uri_ref,
        "branch": is_branch,
        "commit_id": commit_id,
        "commit_time": _iso(commit.get("creation_date")),
        "checksum": str(stat.get("checksum", "")),
        "size": int(size) if isinstance(size, int) else None,
        "mtime": _iso(stat.get("mtime")),
        "endpoint": mask_url(server.url),
    }
    if version is not None:
        detail["version"] = ref
    if staged:
        detail["uncommitted"] = staged
        detail["reason"] = (
            f"branch {ref!r} has an uncommitted change ({staged}) at {path!r}, so no commit"
            " holds what was read; commit it to pin it"
        )
    return DataRef(
        path=shown,
        kind="lakefs",
        digest="" if staged else f"lakefs:{commit_id}",
        size=int(size) if isinstance(size, int) else None,
        detail=detail,
        logged_at=time.time(),
        resolved=not staged,
    )
