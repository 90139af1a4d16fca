"""s3:// refs against a real S3-compatible server (moto's server mode, one process a session)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nbtrack
from nbtrack.data.refs import DataUnresolvedWarning, resolve
from nbtrack.errors import UsageError
from tests.helpers.s3 import REGION, S3Server, s3_server


def test_a_versioned_object_is_pinned_by_its_version_id(s3: S3Server, tmp_path: Path) -> None:
    bucket = s3.bucket(versioned=True)
    put = s3.client().put_object(Bucket=bucket, Key="data/train.csv", Body=b"a,b\n1,2\n")
    ref = resolve(f"s3://{bucket}/data/train.csv", root=tmp_path)
    assert (ref.kind, ref.digest, ref.size, ref.resolved) == (
        "s3",
        f"s3-version:{put['VersionId']}",
        8,
        True,
    )
    assert ref.path == f"s3://{bucket}/data/train.csv"
    assert ref.detail["bucket"] == bucket
    assert ref.detail["key"] == "data/train.csv"
    assert ref.detail["version_id"] == put["VersionId"]
    assert ref.detail["etag"] == put["ETag"].strip('"')
    assert ref.detail["versioned"] is True
    assert str(ref.detail["last_modified"]).startswith(time.strftime("%Y-", time.gmtime()))
    assert ref.detail["endpoint"] == s3.endpoint


def test_overwriting_a_versioned_object_changes_the_version_and_the_old_one_can_be_pinned(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = s3.bucket(versioned=True)
    client = s3.client()
    first = client.put_object(Bucket=bucket, Key="t.csv", Body=b"first")["VersionId"]
    before = resolve(f"s3://{bucket}/t.csv", root=tmp_path)
    second = client.put_object(Bucket=bucket, Key="t.csv", Body=b"second!")["VersionId"]
    after = resolve(f"s3://{bucket}/t.csv", root=tmp_path)
    pinned = resolve(f"s3://{bucket}/t.csv", version=first, root=tmp_path)

    assert first != second
    assert (before.digest, before.size) == (f"s3-version:{first}", 5)
    assert (after.digest, after.size) == (f"s3-version:{second}", 7)
    assert (pinned.digest, pinned.size, pinned.detail["version"]) == (
        f"s3-version:{first}",
        5,
        first,
    )


def test_an_unversioned_object_is_named_by_its_etag_which_follows_the_content(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = s3.bucket(versioned=False)
    client = s3.client()
    one = client.put_object(Bucket=bucket, Key="x.bin", Body=b"one")["ETag"].strip('"')
    first = resolve(f"s3://{bucket}/x.bin", root=tmp_path)
    two = client.put_object(Bucket=bucket, Key="x.bin", Body=b"two")["ETag"].strip('"')
    second = resolve(f"s3://{bucket}/x.bin", root=tmp_path)

    assert one != two
    assert (first.digest, first.resolved, first.detail["versioned"]) == (f"etag:{one}", True, False)
    assert first.detail["version_id"] is None
    assert second.digest == f"etag:{two}"


def test_the_s3_only_endpoint_variable_wins_over_the_general_one(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.bucket(versioned=False)
    s3.client().put_object(Bucket=bucket, Key="k", Body=b"1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.endpoint)
    ref = resolve(f"s3://{bucket}/k", root=tmp_path)
    assert (ref.resolved, ref.detail["endpoint"]) == (True, s3.endpoint)


def test_a_run_records_the_s3_ref_in_the_store(
    s3: S3Server, store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    bucket = s3.bucket(versioned=True)
    version = s3.client().put_object(Bucket=bucket, Key="k.csv", Body=b"123")["VersionId"]
    with nbtrack.start_run() as run:
        nbtrack.track_data(f"s3://{bucket}/k.csv")
    [stored] = nbtrack.get_run(run.id).data
    assert (stored.path, stored.kind, stored.digest, stored.size, stored.resolved) == (
        f"s3://{bucket}/k.csv",
        "s3",
        f"s3-version:{version}",
        3,
        True,
    )
    assert stored.detail["bucket"] == bucket


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://{bucket}/missing.csv", r"has no object 'missing\.csv'"),
        ("s3://no-such-bucket-nbtrack/x.csv", r"no bucket 'no-such-bucket-nbtrack'"),
        ("s3://{bucket}/dir", r"'s3://\S+/dir': it is a prefix"),
        ("s3://{bucket}/dir/", r"names a bucket or a prefix"),
        ("s3://{bucket}", r"names a bucket or a prefix"),
        ("s3:///key", r"give s3://<bucket>/<key>"),
    ],
)
def test_a_target_that_can_never_resolve_is_one_sentence_naming_it(
    s3: S3Server, tmp_path: Path, uri: str, message: str
) -> None:
    bucket = s3.bucket(versioned=False)
    s3.client().put_object(Bucket=bucket, Key="dir/part-0.csv", Body=b"x")
    target = uri.format(bucket=bucket)
    with pytest.raises(UsageError, match=message) as raised:
        resolve(target, root=tmp_path)
    said = str(raised.value)
    assert said.startswith(f"cannot track {target!r}")
    assert "\n" not in said
    assert "An error occurred" not in said  # not botocore's own text


def test_a_version_that_does_not_exist_is_a_usage_error(s3: S3Server, tmp_path: Path) -> None:
    bucket = s3.bucket(versioned=True)
    client = s3.client()
    client.put_object(Bucket=bucket, Key="k", Body=b"1")
    other = s3.bucket(versioned=True)
    foreign = client.put_object(Bucket=other, Key="k", Body=b"2")["VersionId"]
    for version in (foreign, "not-a-version-id"):
        with pytest.raises(UsageError, match=rf"at version '{version}'.*no such version"):
            resolve(f"s3://{bucket}/k", version=version, root=tmp_path)
    with pytest.raises(UsageError, match="version= is empty"):
        resolve(f"s3://{bucket}/k", version=" ", root=tmp_path)


def test_a_bad_uri_in_a_run_loses_nothing_already_recorded(
    s3: S3Server, project_root: Path
) -> None:
    bucket = s3.bucket(versioned=False)
    s3.client().put_object(Bucket=bucket, Key="good", Body=b"ok")
    with nbtrack.start_run() as run:
        nbtrack.track_data(f"s3://{bucket}/good")
        with pytest.raises(UsageError):
            nbtrack.track_data(f"s3://{bucket}/bad")
        nbtrack.log_metric("loss", 0.5)
    stored = nbtrack.get_run(run.id)
    assert [d.path for d in stored.data] == [f"s3://{bucket}/good"]
    assert stored.status.value == "FINISHED"


def test_a_stopped_server_gives_an_unresolved_ref_one_warning_and_the_run_finishes(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project_root / "train.csv").write_text("a\n1\n")
    with s3_server() as own:
        for name, value in own.env().items():
            monkeypatch.setenv(name, value)
        bucket = own.bucket(versioned=True)
        own.client().put_object(Bucket=bucket, Key="k", Body=b"1")
        with nbtrack.start_run() as run:
            nbtrack.track_data(f"s3://{bucket}/k")
            own.stop()
            with pytest.warns(DataUnresolvedWarning) as warned:
                down = nbtrack.track_data(f"s3://{bucket}/k")
            nbtrack.track_data(project_root / "train.csv")
    assert len(warned) == 1
    assert "S3 did not answer" in str(warned[0].message)
    assert (down.resolved, down.digest, down.size) == (False, "", None)
    stored = nbtrack.get_run(run.id)
    assert stored.status.value == "FINISHED"
    assert [(d.kind, d.resolved) for d in stored.data] == [
        ("s3", True),
        ("s3", False),
        ("file", True),
    ]
    assert "S3 did not answer" in str(stored.data[1].detail["reason"])


def _user_with_a_key(server: S3Server) -> tuple[str, str]:
    import boto3

    iam = boto3.session.Session(
        aws_access_key_id="setup", aws_secret_access_key="setup", region_name=REGION
    ).client("iam", endpoint_url=server.endpoint)
    iam.create_user(UserName="ana")
    key = iam.create_access_key(UserName="ana")["AccessKey"]
    allow = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    policy = {"Version": "2012-10-17", "Statement": [allow]}
    iam.put_user_policy(UserName="ana", PolicyName="s3", PolicyDocument=json.dumps(policy))
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def test_rejected_credentials_give_an_unresolved_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto checks signatures after the first 5 requests: the 3 IAM calls, 2 S3 set-up calls
    with s3_server(check_credentials_after=5) as checking:
        key_id, secret = _user_with_a_key(checking)
        client = checking.client(key_id, secret)
        client.create_bucket(Bucket="nbtrack-auth")
        client.put_object(Bucket="nbtrack-auth", Key="k", Body=b"1")
        for name, value in checking.env(key_id, secret).items():
            monkeypatch.setenv(name, value)
        assert resolve("s3://nbtrack-auth/k", root=tmp_path).digest.startswith("etag:")
        for wrong in (checking.env(key_id, "not-the-secret"), checking.env("AKIANOSUCHKEY", "x")):
            for name, value in wrong.items():
                monkeypatch.setenv(name, value)
            with pytest.warns(DataUnresolvedWarning, match=r"S3 refused the request \(403\)"):
                ref = resolve("s3://nbtrack-auth/k", root=tmp_path)
            assert ref.resolved is False
            assert secret not in json.dumps(ref.detail)


def test_no_credentials_at_all_give_an_unresolved_ref(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.warns(DataUnresolvedWarning, match="no AWS credentials found"):
        ref = resolve("s3://any-bucket/k", root=tmp_path)
    assert ref.detail["reason"].startswith("no AWS credentials found")  # type: ignore[union-attr]


def test_a_hung_endpoint_is_given_up_on_after_the_data_timeout(
    s3: S3Server, silent_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent_port}")
    monkeypatch.setenv("NBTRACK_DATA_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.warns(DataUnresolvedWarning, match="S3 did not answer"):
        ref = resolve("s3://bucket/k", root=tmp_path)
    # 2 attempts of 0.5 s and botocore's backoff between them: far below a default 60 s
    assert time.monotonic() - started < 5
    assert ref.resolved is False


def test_without_boto3_the_ref_is_unresolved_and_says_which_extra_to_install(
    s3: S3Server, tmp_path: Path
) -> None:
    child = (
        "import sys, warnings\n"
        "sys.modules['boto3'] = None\n"
        "from nbtrack.data.refs import resolve\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    ref = resolve('s3://bucket/key')\n"
        "print(ref.resolved, ref.digest == '', len(seen))\n"
        "print(ref.detail['reason'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child],
        cwd=tmp_path,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    flags, reason = done.stdout.splitlines()
    assert flags == "False True 1"
    assert "pip install 'nbtrack[s3]'" in reason
