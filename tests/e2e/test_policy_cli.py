"""``gearbox policy --handler``: the policy on stdout, warnings on stderr, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import run_gearbox

CORPUS = Path(__file__).resolve().parent.parent / "policy_corpus"


def test_policy_for_a_plain_handler_with_bindings() -> None:
    handler = CORPUS / "s3_thumbnail" / "handler.py"
    result = run_gearbox(
        "policy",
        "--handler",
        f"{handler}:handler",
        "--bind",
        "THUMBNAIL_BUCKET=bucket:photos-thumbnails",
        "--account",
        "111122223333",
        "--region",
        "eu-west-1",
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ObjectPhotosThumbnails",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": "arn:aws:s3:::photos-thumbnails/*",
            },
            {
                "Sid": "S3Unscoped",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": "*",
            },
        ],
    }
    assert 'warning: statement S3Unscoped has Resource "*"' in result.stderr
    line = (
        handler.read_text()
        .splitlines()
        .index('        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()')
    )
    assert f"handler.py:{line + 1}: s3:GetObject: Bucket:" in result.stderr


def test_policy_follows_local_imports_and_prints_yaml() -> None:
    handler = CORPUS / "repository_helper_module" / "handler.py"
    result = run_gearbox("policy", "--handler", f"{handler}:handler", "--format", "yaml")
    assert result.returncode == 0, result.stderr
    assert "- dynamodb:DeleteItem\n  - dynamodb:UpdateItem\n" in result.stdout
    assert "TASKS_TABLE is not bound" in result.stderr


def test_blind_spots_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "fn.py").write_text(
        "import boto3\ndef main(event, context):\n    getattr(boto3.client('sqs'), event['op'])()\n"
    )
    result = run_gearbox("policy", "--handler", f"{tmp_path / 'fn.py'}:main")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"Version": "2012-10-17", "Statement": []}
    assert "fn.py:3: in main: getattr() on a boto3 object" in result.stderr
    assert 'extra_permissions=(Permission(actions=("sqs:<Action>",)' in result.stderr


def test_code_that_does_not_parse_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def main(event, context):\n    return (\n")
    result = run_gearbox("policy", "--handler", f"{tmp_path / 'bad.py'}:main")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "bad.py:2: does not parse" in result.stderr or "bad.py:3: does not parse" in (
        result.stderr
    )
