"""Settings precedence and the state directory's guards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gearbox.errors import SettingsError, StateDirError, StateDirLocked
from gearbox.local.statedir import open_state_dir
from gearbox.settings import DEFAULT_PORT, resolve_settings


def test_precedence_option_then_environment_then_default() -> None:
    assert resolve_settings({}).port == DEFAULT_PORT
    assert resolve_settings({"GEARBOX_PORT": "5000"}).port == 5000
    assert resolve_settings({"GEARBOX_PORT": "5000"}, port=6000).port == 6000
    assert resolve_settings({"GEARBOX_STATE_DIR": "/tmp/x"}).state_dir == Path("/tmp/x")
    assert resolve_settings({}).host == "127.0.0.1"


def test_bad_port_settings() -> None:
    with pytest.raises(SettingsError):
        resolve_settings({"GEARBOX_PORT": "many"})
    with pytest.raises(SettingsError):
        resolve_settings({}, port=65536)


def test_iam_mode_precedence_and_values() -> None:
    assert resolve_settings({}).iam_mode == "enforce"
    assert resolve_settings({"GEARBOX_IAM_MODE": "warn"}).iam_mode == "warn"
    assert resolve_settings({"GEARBOX_IAM_MODE": "OFF"}).iam_mode == "off"
    assert resolve_settings({"GEARBOX_IAM_MODE": "warn"}, iam_mode="enforce").iam_mode == "enforce"
    with pytest.raises(SettingsError, match="IAM mode must be one of enforce, warn, off"):
        resolve_settings({"GEARBOX_IAM_MODE": "strict"})


def test_state_dir_is_locked_while_open(tmp_path: Path) -> None:
    first = open_state_dir(tmp_path / "s", "0.1.0")
    with pytest.raises(StateDirLocked):
        open_state_dir(tmp_path / "s", "0.1.0")
    first.release()
    open_state_dir(tmp_path / "s", "0.1.0").release()


def test_state_dir_written_by_newer_format(tmp_path: Path) -> None:
    (tmp_path / "format.json").write_text(json.dumps({"format": 2, "gearbox": "2.0"}))
    with pytest.raises(StateDirError, match="newer Gearbox"):
        open_state_dir(tmp_path, "0.1.0")
    # the refused directory's lock was released
    (tmp_path / "format.json").write_text(json.dumps({"format": 1, "gearbox": "0.1.0"}))
    open_state_dir(tmp_path, "0.1.0").release()


def test_state_dir_gets_a_gitignore(tmp_path: Path) -> None:
    open_state_dir(tmp_path / "s", "0.1.0").release()
    assert (tmp_path / "s" / ".gitignore").read_text().splitlines()[-1] == "*"
