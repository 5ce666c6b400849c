"""The one settings object of the local cloud, and the one function that resolves it.

Precedence, highest first: an explicit value (a command-line option), then the environment
(``GEARBOX_PORT``, ``GEARBOX_STATE_DIR``, ``GEARBOX_REGION``, ``GEARBOX_IAM_MODE``), then the
defaults below. Nothing reads the environment at import time; ``resolve_settings`` is given the
environment to read.

``iam_mode`` says what the edge does with a function's call that its role does not allow:
``enforce`` (the default) answers AccessDenied, ``warn`` logs it and lets it through, ``off``
checks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gearbox.errors import SettingsError

DEFAULT_PORT = 4566
DEFAULT_STATE_DIR = Path(".gearbox")
DEFAULT_REGION = "us-east-1"
# moto's default account, so ARNs of Gearbox's resources and moto's resources agree.
DEFAULT_ACCOUNT_ID = "123456789012"
IamMode = Literal["enforce", "warn", "off"]
IAM_MODES: tuple[IamMode, ...] = ("enforce", "warn", "off")
DEFAULT_IAM_MODE: IamMode = "enforce"


@dataclass(frozen=True)
class Settings:
    """Where the local cloud listens and keeps its state."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    state_dir: Path = DEFAULT_STATE_DIR
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    iam_mode: IamMode = DEFAULT_IAM_MODE


def resolve_settings(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    state_dir: Path | None = None,
    iam_mode: str | None = None,
) -> Settings:
    """Resolve settings: explicit arguments, then ``env``, then defaults."""
    if port is None:
        raw = env.get("GEARBOX_PORT")
        try:
            port = int(raw) if raw else DEFAULT_PORT
        except ValueError as exc:
            raise SettingsError(f"GEARBOX_PORT must be a number, not {raw!r}") from exc
    if not 0 <= port <= 65535:
        raise SettingsError(f"port {port} is outside 0-65535")
    if state_dir is None:
        raw_dir = env.get("GEARBOX_STATE_DIR")
        state_dir = Path(raw_dir) if raw_dir else DEFAULT_STATE_DIR
    region = env.get("GEARBOX_REGION") or DEFAULT_REGION
    return Settings(
        port=port, state_dir=state_dir, region=region, iam_mode=_iam_mode(iam_mode, env)
    )


def _iam_mode(explicit: str | None, env: Mapping[str, str]) -> IamMode:
    raw = explicit if explicit is not None else env.get("GEARBOX_IAM_MODE") or DEFAULT_IAM_MODE
    for mode in IAM_MODES:
        if raw.lower() == mode:
            return mode
    raise SettingsError(f"IAM mode must be one of {', '.join(IAM_MODES)}, not {raw!r}")
