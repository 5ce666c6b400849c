"""The ``Lineage`` part of an ``X-Amzn-Trace-Id`` header: how often an event chain has run a
function, for Lambda's recursive loop detection. Pure functions.

AWS (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html): Lambda tracks
events with X-Ray trace headers; each time an event invokes a function the header's
metadata counts it, and the AWS SDK inside a function copies the header (``_X_AMZN_TRACE_ID``)
onto the calls it makes, so the count follows the event to the next service. Lambda "drops
requests after exceeding 16 invocations"; "for asynchronous invokes, Lambda sends the event
to a dead-letter queue or on-failure destination, if one is configured"
(https://aws.amazon.com/blogs/compute/detecting-and-stopping-recursive-loops-in-aws-lambda-functions/).

The header carries ``Lineage=<hash>:<count>`` entries joined by ``|``, one per function,
e.g. ``Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=a87bd80c:1|68fd508a:5``.
Headers seen from AWS show ``<count>`` 0 on a function's first invocation, so an entry
``h:n`` means n+1 invocations; some show a leading version field (``1:fe460cdd:0``), which
is read and not written.

Where it differs from AWS: the format is AWS-internal and undocumented; ``<hash>`` here is
the first 8 hex digits of SHA-256 of the unqualified function ARN (AWS's hash is unknown),
so a header minted by AWS counts for Gearbox only where the hashes happen to agree. A new
trace (no incoming header) gets a random root and ``Sampled=0``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

MAX_INVOCATIONS = 16  # a chain may run a function this many times; the next is stopped

_LINEAGE = "Lineage"
_ROOT = "Root"


def hops(header: str | None, function_arn: str | None = None) -> int:
    """How many invocations ``header`` records: of ``function_arn``, or of the function the
    chain has run most often when it is None. 0 without a lineage."""
    counts = _lineage(header)
    if function_arn is not None:
        return counts.get(function_hash(function_arn), 0)
    return max(counts.values(), default=0)


def next_trace_header(
    incoming: str | None,
    function_arn: str,
    *,
    new_root: Callable[[], str] | None = None,
) -> str:
    """The header an invocation of ``function_arn`` runs with: ``incoming`` with one more
    invocation of the function in its lineage (a new trace when there is none)."""
    fields = _fields(incoming)
    if _ROOT not in fields:
        fields = {_ROOT: (new_root or new_trace_root)(), "Sampled": "0", **fields}
    counts = _lineage(incoming)
    key = function_hash(function_arn)
    counts[key] = counts.get(key, 0) + 1
    fields[_LINEAGE] = "|".join(f"{h}:{n - 1}" for h, n in counts.items())
    return ";".join(f"{k}={v}" for k, v in fields.items())


def function_hash(function_arn: str) -> str:
    unqualified = ":".join(function_arn.split(":")[:7])
    return hashlib.sha256(unqualified.encode("utf-8")).hexdigest()[:8]


def new_trace_root() -> str:
    """An X-Ray trace id: ``1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>``."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _fields(header: str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            fields[key] = value
    return fields


def _lineage(header: str | None) -> dict[str, int]:
    """Invocations per function hash in ``header``'s lineage; bad entries are skipped."""
    counts: dict[str, int] = {}
    for entry in _fields(header).get(_LINEAGE, "").split("|"):
        parts = entry.split(":")
        if len(parts) < 2:
            continue
        try:
            counts[parts[-2]] = max(counts.get(parts[-2], 0), int(parts[-1]) + 1)
        except ValueError:
            continue
    return counts
