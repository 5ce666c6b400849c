"""The AccessDenied answer of each AWS protocol, as the service itself sends it.

- JSON protocols (DynamoDB, Secrets Manager, KMS, ...): 400, ``__type``
  ``com.amazon.coral.service#AccessDeniedException``; SQS (JSON, query-compatible) adds
  ``x-amzn-query-error: AccessDenied;Sender``, so SDKs report ``AccessDenied`` as SQS's
  query API did.
- REST-JSON (Lambda): 403, ``x-amzn-ErrorType: AccessDeniedException``, ``{"Type": "User",
  "message": ...}``.
- REST-XML (S3): 403, ``<Error><Code>AccessDenied</Code>...``.
- Query (SNS, IAM, STS, ...): 403, ``<ErrorResponse><Error><Type>Sender</Type><Code>...``;
  SNS's code is ``AuthorizationError``, the others' ``AccessDenied``. EC2: ``<Response>``
  with ``UnauthorizedOperation``.

The message is AWS's: "User: <assumed-role ARN> is not authorized to perform: <action> on
resource: <ARN> because no identity-based policy allows the <action> action" (or "with an
explicit deny in an identity-based policy").
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from gearbox.local.edge.actions import service_model
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response
from gearbox.policy.evaluate import Decision

_QUERY_CODES = {"sns": "AuthorizationError"}


def denial_message(principal_arn: str, decision: Decision) -> str:
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.reason == "explicit-deny"
        else f"because no identity-based policy allows the {decision.action} action"
    )
    return (
        f"User: {principal_arn} is not authorized to perform: {decision.action} "
        f"on resource: {decision.resource} {why}"
    )


def access_denied(exchange: Exchange, principal_arn: str, decision: Decision) -> Response:
    """The response ``exchange``'s service gives a call its caller may not make."""
    message = denial_message(principal_arn, decision)
    model = service_model(exchange.service or "")
    request = exchange.request
    request_id = exchange.request_id
    if request.header("x-amz-target") or model.protocol == "json":
        return _json(message, request_id, model.query_compatible)
    if model.protocol == "rest-json":
        return _rest_json(message, request_id)
    if model.protocol == "rest-xml":
        return _rest_xml(message, request_id)
    if model.protocol == "ec2":
        return _ec2(message, request_id)
    return _query(message, request_id, model.xml_namespace, _QUERY_CODES.get(model.prefix))


def _json(message: str, request_id: str, query_compatible: bool) -> Response:
    body = {"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
    if query_compatible:
        headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
    return Response(400, tuple(headers), json.dumps(body).encode())


def _rest_json(message: str, request_id: str) -> Response:
    headers = (
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", "AccessDeniedException"),
    )
    return Response(403, headers, json.dumps({"Type": "User", "message": message}).encode())


def _rest_xml(message: str, request_id: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    )
    headers = (("Content-Type", "application/xml"), ("x-amz-request-id", request_id))
    return Response(403, headers, body.encode())


def _query(message: str, request_id: str, namespace: str, code: str | None) -> Response:
    xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
    body = (
        f"<ErrorResponse{xmlns}><Error><Type>Sender</Type>"
        f"<Code>{code or 'AccessDenied'}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    headers = (("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id))
    return Response(403, headers, body.encode())


def _ec2(message: str, request_id: str) -> Response:
    body = (
        "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{request_id}</RequestID></Response>"
    )
    return Response(403, (("Content-Type", "text/xml"),), body.encode())
