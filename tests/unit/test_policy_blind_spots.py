"""What the analysis cannot follow is reported with file, line, function and a suggested
``extra_permissions=`` declaration; code that cannot be analysed is an error naming the file
and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gearbox.errors import PolicyError
from gearbox.policy import analyze_handler
from tests.unit.policy_helpers import analyse, write_project

BLIND_CASES = {
    "getattr with a computed name": (
        """
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            return getattr(s3, event["op"])(Bucket="b")
        """,
        4,
        "getattr() on a boto3 object with a name that is not a constant",
        '"s3:<Action>"',
    ),
    "service name from the environment": (
        """
        import os, boto3
        def handler(event, context):
            boto3.client(os.environ["SERVICE"]).list_things()
        """,
        3,
        "boto3.client() with a service name that is not a constant",
        '"<service>:<Action>"',
    ),
    "client handed to a third-party library": (
        """
        import boto3
        import somelib
        def handler(event, context):
            somelib.sync(boto3.client("s3"), event)
        """,
        4,
        "passed to code outside the project",
        "extra_permissions=",
    ),
    "library that calls AWS itself": (
        """
        import awswrangler as wr
        def handler(event, context):
            return wr.s3.read_csv("s3://b/k")
        """,
        1,
        "imports awswrangler, which calls AWS in ways not analysed",
        "extra_permissions=",
    ),
    "paginator with a computed operation": (
        """
        import boto3
        def handler(event, context):
            boto3.client("dynamodb").get_paginator(event["op"]).paginate()
        """,
        3,
        "dynamodb paginator whose operation is not a constant",
        '"dynamodb:<Action>"',
    ),
    "method that is not an operation": (
        """
        import boto3
        def handler(event, context):
            boto3.client("sqs").send_mesage(QueueUrl="u", MessageBody="x")
        """,
        3,
        "sqs client has no operation 'send_mesage'",
        '"sqs:<Action>"',
    ),
}


@pytest.mark.parametrize("name", sorted(BLIND_CASES))
def test_blind_spot_is_reported_with_location_and_suggestion(tmp_path: Path, name: str) -> None:
    source, line, reason, suggestion = BLIND_CASES[name]
    analysis = analyse(tmp_path, source)
    assert len(analysis.blind_spots) == 1, analysis.blind_spots
    spot = analysis.blind_spots[0]
    assert (spot.location.file, spot.location.line) == ("handler.py", line)
    assert reason in spot.reason
    assert suggestion in spot.suggestion
    assert spot.function in ("handler", "<module>")


def test_blind_spot_names_the_helper_function_it_is_in(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        """
        from helpers import run
        def handler(event, context):
            run(event["op"])
        """,
        extra={
            "helpers.py": """
                import boto3
                class Jobs:
                    def go(self, op):
                        getattr(boto3.client("glue"), op)()
                def run(op):
                    Jobs().go(op)
                """
        },
    )
    (spot,) = analysis.blind_spots
    assert (spot.location.file, spot.location.line, spot.function) == ("helpers.py", 4, "Jobs.go")
    assert '"glue:<Action>"' in spot.suggestion


def test_code_that_does_not_parse_names_file_and_line(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "handler.py": "import helpers\ndef handler(e, c):\n    pass\n",
            "helpers.py": "x = 1\ndef broken(:\n    pass\n",
        },
    )
    with pytest.raises(PolicyError, match=r"helpers\.py:2: does not parse"):
        analyze_handler(tmp_path / "handler.py", "handler")


def test_missing_file_and_missing_function(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file"):
        analyze_handler(tmp_path / "nope.py", "handler")
    write_project(tmp_path, {"handler.py": "def other(e, c):\n    pass\n"})
    with pytest.raises(PolicyError, match="has no function 'handler'"):
        analyze_handler(tmp_path / "handler.py", "handler")


def test_recursion_terminates(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        """
        import boto3
        def walk(client, n):
            client.list_tables()
            return walk(client, n - 1)
        def handler(event, context):
            walk(boto3.client("dynamodb"), 3)
        """,
    )
    assert [(c.service, c.operation) for c in analysis.calls] == [("dynamodb", "ListTables")]


def test_only_reachable_code_counts(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        """
        import boto3
        def unused():
            boto3.client("s3").delete_bucket(Bucket="b")
        def handler(event, context):
            boto3.client("s3").list_buckets()
        """,
    )
    assert [(c.service, c.operation) for c in analysis.calls] == [("s3", "ListBuckets")]
