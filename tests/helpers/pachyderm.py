"""A stand-in pachd for the tests: the two PFS RPCs a data ref needs, over real gRPC.

No pachd binary can be had from PyPI, Debian or npm, so the tests of
``nbtrack.data.pachyderm`` run against this: a ``grpcio`` server on a free
loopback port serving ``/pfs_v2.API/InspectCommit`` and
``/pfs_v2.API/InspectFile``, decoding requests and encoding answers with
``pachyderm_sdk``'s own message classes, so the bytes are the protocol's.
It answers as Pachyderm 2 documents: a commit given by branch resolves to
the branch head; an unknown repo, branch, commit or file is ``NOT_FOUND``;
a wrong ``authn-token`` is ``UNAUTHENTICATED``; an open commit has no
``finished`` time. Any other RPC is gRPC's own ``UNIMPLEMENTED``, so a
resolver that starts calling something else fails its tests.
"""

from __future__ import annotations

import hashlib
import time
from concurrent import futures
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

import grpc
from pachyderm_sdk.api import pfs

__all__ = ["PachdStandIn", "PfsCommit", "PfsRepo"]


def _abort(context: Any, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, message)  # raises: the call ends with this status
    raise AssertionError("unreachable")


@dataclass
class PfsCommit:
    id: str
    started: datetime
    finished: datetime | None
    #: path -> content (directories are the paths' prefixes)
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class PfsRepo:
    commits: dict[str, PfsCommit]
    branches: dict[str, str]


class PachdStandIn:
    """The stand-in on a free loopback port; ``calls`` lists the RPC names it was sent."""

    def __init__(self, repos: dict[tuple[str, str], PfsRepo], *, token: str | None = None) -> None:
        self.repos = repos
        self.token = token
        #: seconds each answer waits (a pachd too slow for the resolver's timeout)
        self.delay = 0.0
        self.calls: list[str] = []
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handlers = {
            "InspectCommit": grpc.unary_unary_rpc_method_handler(
                self._inspect_commit,
                request_deserializer=pfs.InspectCommitRequest.FromString,
                response_serializer=bytes,
            ),
            "InspectFile": grpc.unary_unary_rpc_method_handler(
                self._inspect_file,
                request_deserializer=pfs.InspectFileRequest.FromString,
                response_serializer=bytes,
            ),
        }
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("pfs_v2.API", handlers),)
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def address(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    def start(self) -> PachdStandIn:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None).wait(timeout=10)

    def _check(self, name: str, context: Any) -> None:
        self.calls.append(name)
        time.sleep(self.delay)
        if self.token is None:
            return
        sent = dict(context.invocation_metadata()).get("authn-token")
        if sent != self.token:
            _abort(
                context,
                grpc.StatusCode.UNAUTHENTICATED,
                "provided auth token is corrupted or has expired",
            )

    def _commit(self, commit: pfs.Commit, context: Any) -> tuple[PfsRepo, PfsCommit, str | None]:
        named = commit.repo if commit.repo and commit.repo.name else commit.branch.repo
        project = named.project.name if named.project and named.project.name else "default"
        repo = self.repos.get((project, named.name))
        if repo is None:
            _abort(context, grpc.StatusCode.NOT_FOUND, f"repo {project}/{named.name} not found")
        branch = commit.branch.name if commit.branch and commit.branch.name else None
        if commit.id:
            found = repo.commits.get(commit.id)
            if found is None:
                _abort(
                    context,
                    grpc.StatusCode.NOT_FOUND,
                    f"commit {commit.id} not found in repo {named.name}",
                )
            return repo, found, branch
        if branch not in repo.branches:
            _abort(
                context,
                grpc.StatusCode.NOT_FOUND,
                f"branch {branch} not found in repo {named.name}",
            )
        return repo, repo.commits[repo.branches[branch]], branch

    def _inspect_commit(self, request: pfs.InspectCommitRequest, context: Any) -> pfs.CommitInfo:
        self._check("InspectCommit", context)
        _, found, branch = self._commit(request.commit, context)
        repo = request.commit.repo if request.commit.repo.name else request.commit.branch.repo
        info = pfs.CommitInfo(
            commit=pfs.Commit(
                id=found.id, repo=repo, branch=pfs.Branch(name=branch or "", repo=repo)
            ),
            started=found.started,
            details=pfs.CommitInfoDetails(size_bytes=sum(map(len, found.files.values()))),
        )
        if found.finished is not None:
            info.finished = found.finished
        return info

    def _inspect_file(self, request: pfs.InspectFileRequest, context: Any) -> pfs.FileInfo:
        self._check("InspectFile", context)
        _, found, _ = self._commit(request.file.commit, context)
        path = "/" + request.file.path.strip("/")
        inside = {p: c for p, c in found.files.items() if p == path or p.startswith(path + "/")}
        if not inside:
            _abort(
                context, grpc.StatusCode.NOT_FOUND, f"file {path} not found in commit {found.id}"
            )
        digest = hashlib.sha256()
        for name in sorted(inside):
            digest.update(inside[name])
        return pfs.FileInfo(
            file=pfs.File(commit=request.file.commit, path=path),
            file_type=pfs.FileType.FILE if path in inside else pfs.FileType.DIR,
            committed=found.finished or found.started,
            size_bytes=sum(map(len, inside.values())),
            hash=digest.digest(),
        )
