"""A stand-in lakeFS server: the documented REST responses for the endpoints nbtrack calls.

No lakeFS server can be installed from the package registries (it ships as a
Go binary and a container image), so the tests of ``nbtrack.data.lakefs``
talk HTTP to this one instead: a stdlib ``ThreadingHTTPServer`` on a free
loopback port serving, under ``/api/v1``, the JSON shapes of lakeFS's
``api/swagger.yml`` (``Repository``, ``CommitList``, ``Ref``, ``DiffList``,
``ObjectStats``, ``Error``) for exactly these operations:

* ``getRepository``  GET /repositories/{repository}
* ``logCommits``     GET /repositories/{repository}/refs/{ref}/commits?amount=
* ``getBranch``      GET /repositories/{repository}/branches/{branch}
* ``diffBranch``     GET /repositories/{repository}/branches/{branch}/diff?prefix=&amount=
* ``statObject``     GET /repositories/{repository}/refs/{ref}/objects/stat?path=

Every request must carry HTTP basic auth with the server's key pair (401
``{"message": "error authenticating request"}`` otherwise, as lakeFS
answers). Behind it is a small model of lakeFS's data: repositories whose
branches point at commits, tags, and a staging area per branch; tests build
it with :meth:`LakeFS.create_repository`, :meth:`~LakeFS.put` (write to a
branch, uncommitted), :meth:`~LakeFS.commit` and :meth:`~LakeFS.tag`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@dataclass
class _Commit:
    id: str
    parents: list[str]
    message: str
    creation_date: int
    tree: dict[str, dict[str, Any]]  # path -> ObjectStats


@dataclass
class _Repository:
    name: str
    default_branch: str
    creation_date: int
    commits: dict[str, _Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit id
    tags: dict[str, str] = field(default_factory=dict)
    staged: dict[str, dict[str, dict[str, Any] | None]] = field(default_factory=dict)


class LakeFS:
    """The model behind the stand-in; what tests set up and the handler reads."""

    def __init__(self) -> None:
        self.repositories: dict[str, _Repository] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self._clock = 1_700_000_000

    def _tick(self) -> int:
        self._clock += 60
        return self._clock

    def create_repository(self, name: str, default_branch: str = "main") -> str:
        """A repository with its first commit on *default_branch*; that commit's id."""
        with self.lock:
            repo = _Repository(name, default_branch, self._tick())
            self.repositories[name] = repo
            first = self._new_commit(repo, [], "Repository created", {})
            repo.branches[default_branch] = first
            repo.staged[default_branch] = {}
            return first

    def _new_commit(
        self, repo: _Repository, parents: list[str], message: str, tree: dict[str, Any]
    ) -> str:
        seed = f"{repo.name}|{parents}|{message}|{len(repo.commits)}".encode()
        commit = _Commit(hashlib.sha256(seed).hexdigest(), parents, message, self._tick(), tree)
        repo.commits[commit.id] = commit
        return commit.id

    def branch(self, repository: str, name: str, source: str) -> None:
        with self.lock:
            repo = self.repositories[repository]
            repo.branches[name] = self._commit_of(repo, source).id
            repo.staged[name] = {}

    def put(self, repository: str, branch: str, path: str, data: bytes) -> str:
        """Write an object to a branch (staged, not committed); its checksum."""
        checksum = hashlib.md5(data).hexdigest()  # lakeFS keeps the store's ETag
        stats = {
            "path": path,
            "path_type": "object",
            "physical_address": f"local://data/{checksum}",
            "checksum": checksum,
            "size_bytes": len(data),
            "mtime": self._tick(),
            "content_type": "application/octet-stream",
        }
        with self.lock:
            self.repositories[repository].staged[branch][path] = stats
        return checksum

    def delete(self, repository: str, branch: str, path: str) -> None:
        with self.lock:
            self.repositories[repository].staged[branch][path] = None

    def commit(self, repository: str, branch: str, message: str = "update") -> str:
        with self.lock:
            repo = self.repositories[repository]
            head = repo.commits[repo.branches[branch]]
            tree = self._overlay(head.tree, repo.staged[branch])
            repo.branches[branch] = self._new_commit(repo, [head.id], message, tree)
            repo.staged[branch] = {}
            return repo.branches[branch]

    def tag(self, repository: str, name: str, ref: str) -> None:
        with self.lock:
            repo = self.repositories[repository]
            repo.tags[name] = self._commit_of(repo, ref).id

    @staticmethod
    def _overlay(
        tree: dict[str, dict[str, Any]], staged: dict[str, dict[str, Any] | None]
    ) -> dict[str, dict[str, Any]]:
        merged = dict(tree)
        for path, stats in staged.items():
            if stats is None:
                merged.pop(path, None)
            else:
                merged[path] = stats
        return merged

    def _commit_of(self, repo: _Repository, ref: str) -> _Commit:
        """A branch, a tag or a full commit id to its commit (KeyError: no such ref)."""
        if ref in repo.branches:
            return repo.commits[repo.branches[ref]]
        if ref in repo.tags:
            return repo.commits[repo.tags[ref]]
        return repo.commits[ref]

    # -- the API, as the handler serves it: (status, JSON body) --

    def get_repository(self, repository: str) -> tuple[int, dict[str, Any]]:
        repo = self.repositories.get(repository)
        if repo is None:
            return 404, {"message": "repository not found"}
        body = {
            "id": repo.name,
            "creation_date": repo.creation_date,
            "default_branch": repo.default_branch,
            "storage_namespace": f"local://{repo.name}",
        }
        return 200, body

    def log_commits(self, repository: str, ref: str, amount: int) -> tuple[int, dict[str, Any]]:
        repo = self.repositories.get(repository)
        if repo is None:
            return 404, {"message": "repository not found"}
        try:
            commit: _Commit | None = self._commit_of(repo, ref)
        except KeyError:
            return 404, {"message": "not found"}
        results = []
        while commit is not None and len(results) < amount:
            results.append(
                {
                    "id": commit.id,
                    "parents": commit.parents,
                    "committer": "admin",
                    "message": commit.message,
                    "creation_date": commit.creation_date,
                    "meta_range_id": "",
                    "metadata": {},
                }
            )
            commit = repo.commits[commit.parents[0]] if commit.parents else None
        return 200, _page(results, has_more=commit is not None, amount=amount)

    def get_branch(self, repository: str, branch: str) -> tuple[int, dict[str, Any]]:
        repo = self.repositories.get(repository)
        if repo is None:
            return 404, {"message": "repository not found"}
        if branch not in repo.branches:
            return 404, {"message": "branch not found"}
        return 200, {"id": branch, "commit_id": repo.branches[branch]}

    def diff_branch(
        self, repository: str, branch: str, prefix: str, amount: int
    ) -> tuple[int, dict[str, Any]]:
        repo = self.repositories.get(repository)
        if repo is None or branch not in repo.branches:
            return 404, {"message": "not found"}
        head = repo.commits[repo.branches[branch]].tree
        results = []
        for path, stats in sorted(repo.staged[branch].items()):
            if not path.startswith(prefix):
                continue
            if stats is None and path not in head:
                continue
            kind = "removed" if stats is None else "changed" if path in head else "added"
            size = (stats or head[path])["size_bytes"]
            results.append({"type": kind, "path": path, "path_type": "object", "size_bytes": size})
        return 200, _page(results[:amount], has_more=len(results) > amount, amount=amount)

    def stat_object(self, repository: str, ref: str, path: str) -> tuple[int, dict[str, Any]]:
        repo = self.repositories.get(repository)
        if repo is None:
            return 404, {"message": "repository not found"}
        try:
            tree = self._commit_of(repo, ref).tree
        except KeyError:
            return 404, {"message": "not found"}
        if ref in repo.branches:  # a branch reads through its staging area
            tree = self._overlay(tree, repo.staged[ref])
        if path not in tree:
            return 404, {"message": "path not found"}
        return 200, tree[path]


def _page(results: list[dict[str, Any]], *, has_more: bool, amount: int) -> dict[str, Any]:
    last = results[-1].get("id", results[-1].get("path", "")) if results else ""
    pagination = {
        "has_more": has_more,
        "next_offset": last if has_more else "",
        "results": len(results),
        "max_per_page": amount,
    }
    return {"pagination": pagination, "results": results}


class _Handler(BaseHTTPRequestHandler):
    model: LakeFS
    credentials: tuple[str, str]

    def log_message(self, format: str, *args: Any) -> None:  # quiet in test output
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _authenticated(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            pair = base64.b64decode(header.removeprefix("Basic "), validate=True).decode()
        except ValueError:
            return False
        return tuple(pair.split(":", 1)) == self.credentials

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.model.requests.append(self.path)
        if not self._authenticated():
            self._send(401, {"message": "error authenticating request"})
            return
        if not url.path.startswith("/api/v1/repositories/"):
            self._send(404, {"message": "not found"})
            return
        parts = [unquote(p) for p in url.path.removeprefix("/api/v1/").split("/")]
        with self.model.lock:
            self._send(*self._route(parts[1:], query))

    def _route(self, parts: list[str], query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        model = self.model
        amount = int(query.get("amount", "100"))
        match parts:
            case [repo]:
                return model.get_repository(repo)
            case [repo, "refs", ref, "commits"]:
                return model.log_commits(repo, ref, amount)
            case [repo, "branches", branch]:
                return model.get_branch(repo, branch)
            case [repo, "branches", branch, "diff"]:
                return model.diff_branch(repo, branch, query.get("prefix", ""), amount)
            case [repo, "refs", ref, "objects", "stat"]:
                if "path" not in query:
                    return 400, {"message": "path is required"}
                return model.stat_object(repo, ref, query["path"])
        return 404, {"message": "not found"}


@dataclass
class LakeFSServer:
    model: LakeFS
    url: str  # the server's root, as a user sets LAKEFS_ENDPOINT
    server: ThreadingHTTPServer
    thread: threading.Thread

    def env(
        self, access_key_id: str = ACCESS_KEY_ID, secret_access_key: str = SECRET_ACCESS_KEY
    ) -> dict[str, str]:
        return {
            "LAKEFS_ENDPOINT": self.url,
            "LAKEFS_ACCESS_KEY_ID": access_key_id,
            "LAKEFS_SECRET_ACCESS_KEY": secret_access_key,
        }

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()


@contextmanager
def lakefs_server(
    access_key_id: str = ACCESS_KEY_ID, secret_access_key: str = SECRET_ACCESS_KEY
) -> Iterator[LakeFSServer]:
    """A stand-in lakeFS on a free loopback port, stopped on exit."""
    model = LakeFS()
    handler = type(
        "Handler", (_Handler,), {"model": model, "credentials": (access_key_id, secret_access_key)}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    running = LakeFSServer(model, f"http://127.0.0.1:{server.server_address[1]}", server, thread)
    try:
        yield running
    finally:
        running.stop()
