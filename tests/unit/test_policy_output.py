"""The policy document: deterministic, stable Sids, valid for IAM (parliament finds nothing
but the ``Resource: "*"`` statements the notes explain), and the --bind/--handler parsing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import parliament
import pytest
from parliament import analyze_policy_string

from gearbox.cli.policy import parse_bindings, parse_handler
from gearbox.errors import PolicyError
from gearbox.policy import ResourceBinding, analyze_handler, build_policy

CORPUS = Path(__file__).resolve().parent.parent / "policy_corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/expected.json"))


def corpus_policy(name: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    spec = json.loads((CORPUS / name / "expected.json").read_text())
    path, _, function = spec["handler"].rpartition(":")
    bindings = {k: ResourceBinding(*v) for k, v in spec["bindings"].items()}
    analysis = analyze_handler(CORPUS / name / path, function, display_root=CORPUS)
    policy = build_policy(analysis, bindings, "123456789012", "us-east-1")
    return policy.document, policy.notes


def test_corpus_has_at_least_40_handlers() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_generated_policy_passes_parliament(name: str) -> None:
    document, notes = corpus_policy(name)
    findings = analyze_policy_string(json.dumps(document)).findings
    starred = {s["Sid"] for s in document["Statement"] if s["Resource"] == "*"}
    for finding in findings:
        severity = parliament.config.get(finding.issue, {}).get("severity")
        # The only finding allowed: a "*" resource we could not scope, which the notes explain.
        assert finding.issue == "RESOURCE_STAR", (finding.issue, finding.detail, severity)
    assert starred == set(notes)
    assert all(notes[sid] for sid in starred)


@pytest.mark.parametrize("name", CASES)
def test_policy_is_deterministic_with_stable_sorted_sids(name: str) -> None:
    first, _ = corpus_policy(name)
    second, _ = corpus_policy(name)
    assert json.dumps(first) == json.dumps(second)
    sids = [s["Sid"] for s in first["Statement"]]
    assert sids == sorted(sids)
    assert len(set(sids)) == len(sids)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)
    for statement in first["Statement"]:
        assert statement["Action"] == sorted(statement["Action"])


def test_sids_name_the_resource() -> None:
    document, _ = corpus_policy("s3_transfer_files")
    assert [s["Sid"] for s in document["Statement"]] == ["S3ObjectArchive", "S3ObjectRawData"]


def test_parse_handler_and_bindings() -> None:
    assert parse_handler("src/app.py:main") == (Path("src/app.py"), "main")
    with pytest.raises(PolicyError, match=r"expected path/to/file\.py:function"):
        parse_handler("app.py")
    assert parse_bindings(["T=table:orders", "Q=queue:jobs"]) == {
        "T": ResourceBinding("table", "orders"),
        "Q": ResourceBinding("queue", "jobs"),
    }
    with pytest.raises(PolicyError, match="expected VAR=KIND:NAME"):
        parse_bindings(["T=tabel:orders"])
    with pytest.raises(ValueError, match="unknown resource kind"):
        ResourceBinding("bukkit", "b")
