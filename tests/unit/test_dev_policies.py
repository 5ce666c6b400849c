"""What ``gearbox dev`` tells a user about the policies it deploys: the analysis's blind
spots, with the file, line and a suggested declaration."""

from __future__ import annotations

import textwrap
from pathlib import Path

from gearbox.dev.session import generated_policies, load_graph
from gearbox.dev.targets import Place

APP = """
import boto3

from gearbox.app import App

app = App("blind")


@app.function()
def handler(event, context):
    getattr(boto3.client("s3", region_name="us-east-1"), event["op"])()
"""


def test_blind_spots_become_warnings_and_the_policy_still_has_logs(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    made = generated_policies(
        load_graph(tmp_path / "app.py"), Place("http://127.0.0.1:1", "us-east-1", "123456789012")
    )
    [warning] = made.warnings
    assert warning.startswith(f"blind-handler: {tmp_path / 'app.py'}:11: in handler: getattr()")
    assert "extra_permissions=" in warning
    [statement] = made.documents["blind-handler"]["Statement"]
    assert statement["Sid"] == "Logs"
