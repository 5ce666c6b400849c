"""Helpers for tests that deploy a project on the test's local cloud as ``gearbox dev`` does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gearbox.dev.session import DevSession
from gearbox.dev.targets import Place
from gearbox.local.cloud import LocalCloud


class Printed:
    """What the session prints, kept; an error it prints fails the test."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def info(self, message: str) -> None:
        self.said.append(message)

    def error(self, message: str) -> None:
        raise AssertionError(message)


def session_on(cloud: LocalCloud, client: Callable[..., Any], project: Path) -> DevSession:
    """A dev session for ``project`` on ``cloud`` (not yet up); its output is a ``Printed``."""
    place = Place(cloud.endpoint_url, cloud.settings.region, cloud.settings.account_id)
    return DevSession(project, place, client, Printed())
