"""The trace header's Lineage, which counts a chain's invocations for loop detection
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html)."""

from __future__ import annotations

from gearbox.local.sinks.lineage import MAX_INVOCATIONS, function_hash, hops, next_trace_header

ARN = "arn:aws:lambda:us-east-1:123456789012:function:loop"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:other"
ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def fixed_root() -> str:
    return ROOT


def test_no_header_no_hops() -> None:
    assert hops(None) == 0
    assert hops("") == 0
    assert hops(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1") == 0


def test_a_first_invocation_starts_a_trace_with_count_zero() -> None:
    header = next_trace_header(None, ARN, new_root=fixed_root)
    assert header == f"Root={ROOT};Sampled=0;Lineage={function_hash(ARN)}:0"
    assert hops(header, ARN) == 1
    assert hops(header) == 1
    assert hops(header, OTHER) == 0


def test_each_invocation_adds_one_hop_and_keeps_the_trace() -> None:
    incoming = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    header = incoming
    for _ in range(MAX_INVOCATIONS):
        header = next_trace_header(header, ARN)
    assert header.startswith(f"{incoming};Lineage=")
    assert hops(header, ARN) == MAX_INVOCATIONS == 16


def test_functions_are_counted_apart() -> None:
    header = next_trace_header(None, ARN, new_root=fixed_root)
    header = next_trace_header(header, OTHER)
    header = next_trace_header(header, ARN)
    assert hops(header, ARN) == 2
    assert hops(header, OTHER) == 1
    assert hops(header) == 2
    assert f"Lineage={function_hash(ARN)}:1|{function_hash(OTHER)}:0" in header


def test_a_qualified_arn_is_the_same_function() -> None:
    header = next_trace_header(None, f"{ARN}:$LATEST", new_root=fixed_root)
    assert hops(header, ARN) == 1


def test_headers_as_aws_writes_them() -> None:
    """Shapes seen from AWS: ``hash:count`` entries joined by ``|`` and the versioned
    ``1:hash:count``; count 0 is a first invocation."""
    header = f"Root={ROOT};Sampled=1;Lineage=a87bd80c:1|68fd508a:5|c512fbe3:2"
    assert hops(header) == 6
    assert hops(f"Root={ROOT};Sampled=0;Lineage=037bed70:0") == 1
    assert hops(f"Root={ROOT};Parent=6654c0335342e1d2;Sampled=1;Lineage=1:fe460cdd:0") == 1
    following = next_trace_header(header, ARN)
    assert following.startswith(f"Root={ROOT};Sampled=1;Lineage=a87bd80c:1|68fd508a:5|")
    assert hops(following, ARN) == 1


def test_bad_lineage_entries_are_ignored() -> None:
    assert hops(f"Root={ROOT};Lineage=garbage|abc:x|;Sampled=1") == 0
    assert hops("Lineage") == 0
