"""A real S3-compatible server for tests: moto's server mode on a free loopback port.

``moto_server`` (from ``moto[server]``) speaks the S3 REST protocol over
HTTP, so boto3 talks to it exactly as it talks to AWS: signing, headers,
error codes. Each server is its own process, so a test can stop it (an
endpoint that went away) and one can check credentials (moto's
``INITIAL_NO_AUTH_ACTION_COUNT``: after that many requests, every request
must be signed with a key moto's IAM knows).

Use :func:`s3_server` as a context manager, or the ``s3`` fixture of a
conftest that wraps it for a session; :meth:`S3Server.env` is the
environment a process needs to reach it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: moto accepts any key until it checks credentials; these are what tests sign with
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]

    def env(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> dict[str, str]:
        """The variables an AWS tool reads to reach this server (no profile, no config file)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=REGION
        ).client("s3", endpoint_url=self.endpoint)

    def bucket(self, *, versioned: bool) -> str:
        """A new bucket with a unique name, versioning on or off."""
        name = f"nbtrack-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_server() -> list[str]:
    found = Path(sys.executable).parent / "moto_server"
    if found.exists():
        return [str(found)]
    which = shutil.which("moto_server")
    if which is None:
        raise RuntimeError("moto_server is not installed (pip install 'moto[server]')")
    return [which]


@contextmanager
def s3_server(
    *, check_credentials_after: int | None = None, port: int | None = None
) -> Iterator[S3Server]:
    """A moto S3 server on loopback, stopped on exit.

    *port* starts it on a given port (a server started again where a stopped
    one was: same endpoint, empty state); default a free one.

    With *check_credentials_after*, the first that many requests pass
    unsigned (enough to create an IAM user and its key) and every later one
    must carry a key moto's IAM issued.
    """
    port = port or _free_port()
    env = {**os.environ, "MOTO_PORT": str(port)}
    if check_credentials_after is not None:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(check_credentials_after)
    process = subprocess.Popen(
        [*_moto_server(), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        server.stop()


def _wait_until_up(server: S3Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {server.process.returncode}")
        try:
            # moto's own status page: not an S3 action, so it spends no unsigned request
            with urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer on {server.endpoint} in {timeout:.0f} s")
