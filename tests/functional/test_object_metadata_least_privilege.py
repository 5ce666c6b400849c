"""Least privilege on the reference service: deployed as ``gearbox dev`` deploys it, each
function runs under its generated policy in ``enforce`` mode. Its normal path works; a call
its code never declares (a ``DeleteItem`` on another table, made through ``getattr`` so the
analysis cannot see it) gets DynamoDB's own AccessDeniedException; the observed calls show it
as made but not generated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from gearbox.dev.session import load_graph
from gearbox.local.cloud import LocalCloud
from gearbox.policy.app import function_policy
from gearbox.policy.compare import compare
from tests.e2e.conftest import GEARBOX
from tests.functional.dev_helpers import session_on
from tests.unit.object_metadata_paths import EXAMPLE, SAMPLES
from tests.waiting import wait_for

PROBE = '''

_index_object = index_object


def index_object(event, context):
    """The normal step, or (for this test) a call the code never declares."""
    if "probe" in event:
        try:
            getattr(client("dynamodb"), event["probe"])(**event["args"])
        except Exception as exc:
            return {"denied": getattr(exc, "response", {}).get("Error", {}).get("Code")}
        return {"denied": None}
    return _index_object(event, context)
'''


@pytest.fixture
def service(tmp_path: Path, cloud: LocalCloud, client: Callable[..., Any]) -> Path:
    assert cloud.settings.iam_mode == "enforce"
    project = tmp_path / "object_metadata"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    with (project / "handlers" / "index.py").open("a") as module:
        module.write(PROBE)
    session_on(cloud, client, project).up()
    return project


def test_normal_path_works_and_an_undeclared_call_is_denied(
    service: Path, cloud: LocalCloud, client: Callable[..., Any]
) -> None:
    client("s3").put_object(
        Bucket="object-metadata-uploads",
        Key="in/photo.png",
        Body=(SAMPLES / "photo.png").read_bytes(),
    )
    ddb = client("dynamodb")

    def finished() -> list[dict[str, Any]]:
        items = ddb.scan(TableName="object-metadata-processes")["Items"]
        rows = [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in items]
        return [r for r in rows if r["status"] != "RUNNING"]

    [process] = wait_for(finished, seconds=60)
    assert process["status"] == "SUCCEEDED"  # every step's calls were allowed
    assert ddb.scan(TableName="object-metadata-metadata")["Count"] == 1

    probe = {
        "probe": "delete_item",
        "args": {
            "TableName": "object-metadata-metadata",
            "Key": {"bucket": {"S": "object-metadata-uploads"}, "key": {"S": "in/photo.png"}},
        },
    }
    answer = client("lambda").invoke(
        FunctionName="object-metadata-index-object", Payload=json.dumps(probe).encode()
    )
    assert json.loads(answer["Payload"].read()) == {"denied": "AccessDeniedException"}
    assert ddb.scan(TableName="object-metadata-metadata")["Count"] == 1  # nothing deleted

    url = f"{cloud.endpoint_url}/_gearbox/iam/observed?function=object-metadata-index-object"
    with urllib.request.urlopen(url, timeout=5) as response:
        observed = json.load(response)
    graph = load_graph(service)
    [index] = [f for f in graph.functions if f.name == "index-object"]
    generated = function_policy(graph, index, cloud.settings.account_id, "us-east-1")
    difference = compare(generated.policy.document, observed["calls"])
    table = f"arn:aws:dynamodb:us-east-1:{cloud.settings.account_id}:table/object-metadata"
    assert difference.missed == [("dynamodb:DeleteItem", f"{table}-metadata")]
    assert ("dynamodb:UpdateItem", f"{table}-processes") not in difference.unused

    cli = subprocess.run(
        [
            GEARBOX,
            "policy",
            "index-object",
            "--observed",
            "--app",
            str(service),
            "--endpoint-url",
            cloud.endpoint_url,
            "--account",
            cloud.settings.account_id,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert cli.returncode == 0, cli.stderr
    printed = json.loads(cli.stdout)
    assert printed == observed["policy"]
    assert f"made but not generated: dynamodb:DeleteItem on {table}-metadata" in cli.stderr
