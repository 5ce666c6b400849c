"""Who sent a request, and for which service and region: read from its SigV4 credential.

The credential scope ``AKID/20261126/us-east-1/sqs/aws4_request`` sits in the ``Authorization``
header of a signed request, or in the ``X-Amz-Credential`` query parameter of a presigned URL.
Signatures are not verified (any access key works locally, as the issue asks); the access key
only says who is calling. Requests signed with SigV2 or not signed at all carry no scope:
their service is left for the backend to infer, as moto's server does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from gearbox.local.edge.messages import Request


@dataclass(frozen=True)
class CredentialScope:
    access_key: str
    date: str
    region: str
    service: str


def credential_scope(request: Request) -> CredentialScope | None:
    """The SigV4 credential scope of ``request``, or None when it carries none."""
    auth = request.header("authorization")
    if auth.startswith("AWS4-"):
        credential = _auth_parameter(auth, "Credential")
    elif "X-Amz-Credential" in request.query_string:
        values = parse_qs(request.query_string).get("X-Amz-Credential", [])
        credential = values[0] if values else None
    else:
        return None
    if credential is None:
        return None
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    access_key, date, region, service, _ = parts
    return CredentialScope(access_key=access_key, date=date, region=region, service=service)


def _auth_parameter(auth: str, name: str) -> str | None:
    _, _, params = auth.partition(" ")
    for part in params.split(","):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
