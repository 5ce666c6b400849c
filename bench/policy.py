"""Generated IAM actions on the policy corpus: Gearbox against AWS Chalice's generator.

The corpus (``tests/policy_corpus/<case>/``) holds Lambda handlers written for this benchmark,
each with ``expected.json``: the IAM actions its code needs, written by hand from AWS's
documentation (not from either tool's output), and the environment variables an app would
bind to resources.

For every case, in the same run:

- Gearbox: ``analyze_handler`` on the handler file (following its local imports) and
  ``build_policy`` with the case's bindings;
- Chalice: ``chalice.policy.policy_from_source_code`` (``get_client_calls_for_app`` and its
  ``PolicyBuilder``) on the handler file's source; it reads that one file and knows no
  imports. It only enters functions registered on a Chalice app, so the bench shows it the
  handler as a Chalice user would write it: ``app = Chalice(...)`` added at the top and
  ``@app.lambda_function()`` on the handler (without that it sees module-level code only).

Scores, over all cases (micro-averaged: every expected action counts once per case):
recall = found expected actions / expected actions; precision = found expected actions /
generated actions. Actions Chalice always adds for CloudWatch Logs are left out of its count,
as Gearbox leaves logs to the app's graph. "scoped" is the share of generated statements whose
resource is not ``*``. Prints one table and the issue's targets (recall and precision >= 0.95).
``--verbose`` lists each case's misses and extras.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalice.policy import policy_from_source_code

from gearbox.policy import ResourceBinding, analyze_handler, build_policy

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "policy_corpus"
ACCOUNT, REGION = "123456789012", "us-east-1"


@dataclass
class Score:
    expected: int = 0
    generated: int = 0
    hits: int = 0
    statements: int = 0
    scoped: int = 0
    perfect: int = 0
    details: list[str] = field(default_factory=list)

    def add(self, case: str, expected: set[str], got: set[str], statements: list[Any]) -> None:
        self.expected += len(expected)
        self.generated += len(got)
        self.hits += len(expected & got)
        self.perfect += expected == got
        self.statements += len(statements)
        self.scoped += sum(1 for s in statements if s["Resource"] not in ("*", ["*"]))
        if expected != got:
            self.details.append(
                f"{case}: missing {sorted(expected - got)} extra {sorted(got - expected)}"
            )

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 0.0

    @property
    def precision(self) -> float:
        return self.hits / self.generated if self.generated else 0.0


def cases() -> list[tuple[str, Path, str, dict[str, Any]]]:
    result = []
    for sidecar in sorted(CORPUS.glob("*/expected.json")):
        spec = json.loads(sidecar.read_text())
        path, _, function = spec["handler"].rpartition(":")
        result.append((sidecar.parent.name, sidecar.parent / path, function, spec))
    return result


def gearbox_policy(path: Path, function: str, spec: dict[str, Any]) -> dict[str, Any]:
    bindings = {k: ResourceBinding(v[0], v[1]) for k, v in spec["bindings"].items()}
    analysis = analyze_handler(path, function, display_root=CORPUS)
    return build_policy(analysis, bindings, ACCOUNT, REGION).document


def as_chalice_app(source: str, function: str) -> str:
    """The handler file as a Chalice app: the handler registered with ``lambda_function``."""
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            lines.insert(node.lineno - 1, "@app.lambda_function()")
            break
    header = ["from chalice import Chalice", "app = Chalice(app_name='bench')"]
    return "\n".join(header + lines) + "\n"


def chalice_policy(path: Path, function: str) -> dict[str, Any]:
    with contextlib.redirect_stdout(io.StringIO()):  # "Unsupported service ..." notices
        policy: dict[str, Any] = policy_from_source_code(as_chalice_app(path.read_text(), function))
    return policy


def actions_of(policy: dict[str, Any]) -> set[str]:
    found = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return {a for a in found if not a.startswith("logs:")}


def statements_of(policy: dict[str, Any]) -> list[Any]:
    return [s for s in policy["Statement"] if actions_of({"Statement": [s]})]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args()
    scores = {"gearbox": Score(), "chalice": Score()}
    corpus = cases()
    for name, path, function, spec in corpus:
        expected = set(spec["actions"])
        for tool, policy in (
            ("gearbox", gearbox_policy(path, function, spec)),
            ("chalice", chalice_policy(path, function)),
        ):
            scores[tool].add(name, expected, actions_of(policy), statements_of(policy))
    print(
        f"policy corpus: {len(corpus)} handlers, "
        f"{scores['gearbox'].expected} expected actions (hand-written from AWS docs)"
    )
    print(f"{'tool':<10}{'recall':>8}{'precision':>11}{'exact cases':>13}{'scoped stmts':>14}")
    for tool, score in scores.items():
        share = score.scoped / score.statements if score.statements else 0.0
        print(
            f"{tool:<10}{score.recall:>8.3f}{score.precision:>11.3f}"
            f"{f'{score.perfect}/{len(corpus)}':>13}{share:>14.2f}"
        )
    ours = scores["gearbox"]
    ok = ours.recall >= 0.95 and ours.precision >= 0.95
    print(f"target recall >= 0.95 and precision >= 0.95: {'PASS' if ok else 'FAIL'}")
    if options.verbose:
        for tool, score in scores.items():
            for line in score.details:
                print(f"  {tool}: {line}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
