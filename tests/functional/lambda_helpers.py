"""Helpers for the Lambda functional tests: zips built in memory, functions created by boto3."""

from __future__ import annotations

import io
import textwrap
import zipfile
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/test-function"


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def create_function(
    lam: Any, name: str, code: str, handler: str = "app.handler", **settings: Any
) -> dict[str, Any]:
    """Create ``name`` from one module ``app.py`` holding ``code``."""
    return dict(
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler=handler,
            Code={"ZipFile": zip_of({"app.py": code})},
            **settings,
        )
    )
