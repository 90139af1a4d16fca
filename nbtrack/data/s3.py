"""S3 objects as data refs: the version id of the object read, else its ETag.

For: :func:`resolve` (``s3://bucket/key``, optionally pinned to a version id)
through boto3 (the ``nbtrack[s3]`` extra). boto3 finds the endpoint and the
credentials the way every AWS tool does (``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_S3``, ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, the shared
config files, an instance role); nbtrack passes none and stores none.

Not for: prefixes ("directories"). S3 has no version of a prefix, and a
listing is not atomic: objects change while the pages come in, so a digest
over it could name a state the bucket never had. A prefix is a ``UsageError``
that asks for an object; a set of objects that must move together belongs in
a versioned system (lakeFS, Delta Lake).

Which digest: in a versioned bucket ``s3-version:<VersionId>`` (the bytes
can be fetched again by that id); otherwise ``etag:<ETag>``. An ETag-only ref
is *resolved*: it names the bytes the run read as exactly as a local file's
sha256 does (a later check tells whether the object still holds them), and
like a local file it cannot bring them back once overwritten;
``detail["versioned"]`` says which of the two a ref is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nbtrack.config import mask_url
from nbtrack.data.faults import Unreachable
from nbtrack.data.timeout import network_timeout
from nbtrack.errors import UsageError
from nbtrack.model import DataRef, JSONValue

__all__ = ["parse_uri", "resolve"]

#: error codes of a request S3 refused for who is asking, not for what was asked
_DENIED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}
_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NoSuchVersion"}
#: a version id S3 cannot parse comes back 400 (head_object has no body to say more)
_BAD_VERSION = {"400", "InvalidArgument"}


def parse_uri(target: str) -> tuple[str, str]:
    """(bucket, key) of ``s3://bucket/key``; a ``UsageError`` for anything that is not one object.

    >>> parse_uri("s3://bucket/data/train.csv")
    ('bucket', 'data/train.csv')
    """
    shown = mask_url(target)
    rest = target.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    if not bucket or "@" in bucket or ":" in bucket:
        raise UsageError(f"cannot track {shown!r}: give s3://<bucket>/<key>, an object's URI.")
    if not key or key.endswith("/"):
        raise UsageError(
            f"cannot track {shown!r}: it names a bucket or a prefix, and S3 keeps no version of"
            " those; track each object (s3://bucket/key) a run reads."
        )
    return bucket, key


def _client() -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise Unreachable(
            "boto3 is not installed (pip install 'nbtrack[s3]' to resolve s3:// refs)"
        ) from None
    seconds = network_timeout()
    config = Config(
        connect_timeout=seconds,
        read_timeout=seconds,
        # one retry: a blip passes, a server that is down costs seconds, not minutes
        retries={"max_attempts": 2, "mode": "standard"},
    )
    try:
        return boto3.session.Session().client("s3", config=config)
    except Exception as exc:  # a broken profile or config file: the environment, not the URI
        raise Unreachable(f"boto3 could not set up an S3 client: {exc}") from None


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _call(shown: str, method: Any, **kwargs: Any) -> dict[str, Any]:
    """One S3 request; "cannot answer now" as ``Unreachable``, the rest as botocore raised it."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    try:
        return dict(method(**kwargs))
    except ClientError as exc:
        if _code(exc) in _DENIED:
            # S3 also answers 403 for a missing key to credentials that may not list the
            # bucket: the reason says both, as S3 does not tell them apart
            raise Unreachable(
                f"S3 refused the request ({_code(exc)}): the credentials found are not accepted"
                " or may not read this object (check AWS_ACCESS_KEY_ID / AWS_PROFILE)"
            ) from None
        raise
    except (NoCredentialsError, PartialCredentialsError):
        raise Unreachable(
            "no AWS credentials found (set AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
        ) from None
    except BotoCoreError as exc:  # connection refused, timeouts, a bad endpoint URL
        raise Unreachable(f"S3 did not answer: {exc}") from None


def _missing(client: Any, shown: str, bucket: str, key: str, version: str | None) -> UsageError:
    """The one sentence for a 404: which of bucket, key or version is not there."""
    from botocore.exceptions import ClientError

    try:
        _call(shown, client.head_bucket, Bucket=bucket)
    except ClientError as exc:
        if _code(exc) in _MISSING:
            return UsageError(f"cannot track {shown!r}: there is no bucket {bucket!r}.")
        raise
    if version is not None:
        try:
            _call(shown, client.head_object, Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise
        else:
            return UsageError(
                f"cannot track {shown!r} at version {version!r}: the object has no such version."
            )
    listing = _call(shown, client.list_objects_v2, Bucket=bucket, Prefix=f"{key}/", MaxKeys=1)
    if listing.get("KeyCount"):
        return UsageError(
            f"cannot track {shown!r}: it is a prefix, and S3 keeps no version of one; track each"
            " object (s3://bucket/key) a run reads."
        )
    return UsageError(f"cannot track {shown!r}: bucket {bucket!r} has no object {key!r}.")


def _versioned(client: Any, shown: str, bucket: str) -> bool | None:
    """Whether the bucket keeps versions; None when the caller may not ask (no such right)."""
    from botocore.exceptions import ClientError

    try:
        answer = _call(shown, client.get_bucket_versioning, Bucket=bucket)
    except (ClientError, Unreachable):
        return None
    return answer.get("Status") == "Enabled"


def _head(client: Any, shown: str, bucket: str, key: str, version: str | None) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version is not None:
        kwargs["VersionId"] = version
    try:
        return _call(shown, client.head_object, **kwargs)
    except ClientError as exc:
        code = _code(exc)
        if version is not None and code in _BAD_VERSION:
            raise UsageError(
                f"cannot track {shown!r} at version {version!r}: S3 knows no such version id."
            ) from None
        if code in _MISSING or code == "405":  # 405: a version that is a delete marker
            raise _missing(client, shown, bucket, key, version) from None
        raise Unreachable(f"S3 answered {code}") from None


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    """The ref of ``s3://bucket/key`` now, or at the version id *version*.

    An object in a versioned bucket gives ``s3-version:<VersionId>``, any
    other ``etag:<ETag>``; no bucket, no key or no such version is a
    ``UsageError``, no credentials, refused credentials or an endpoint that
    does not answer is ``Unreachable``.
    """
    shown = mask_url(target)
    bucket, key = parse_uri(target)
    pinned = None if version is None else str(version)
    if pinned is not None and not pinned.strip():
        raise UsageError(f"cannot track {shown!r}: version= is empty; give an S3 version id.")
    client = _client()
    head = _head(client, shown, bucket, key, pinned)
    etag = str(head.get("ETag", "")).strip('"')
    version_id = head.get("VersionId")
    if version_id == "null":  # written before versioning was turned on: no id to fetch it by
        version_id = None
    versioned = _versioned(client, shown, bucket)
    modified = head.get("LastModified")
    detail: dict[str, JSONValue] = {
        "bucket": bucket,
        "key": key,
        "etag": etag,
        "version_id": version_id,
        "versioned": versioned,
        "last_modified": modified.isoformat() if modified is not None else None,
        "endpoint": mask_url(str(client.meta.endpoint_url)),
    }
    if pinned is not None:
        detail["version"] = pinned
    digest = f"s3-version:{version_id}" if version_id else f"etag:{etag}"
    size = head.get("ContentLength")
    return DataRef(
        path=shown,
        kind="s3",
        digest=digest,
        size=int(size) if size is not None else None,
        detail=detail,
        logged_at=time.time(),
        resolved=True,
    )
