"""``gearbox up``: starting, stopping, refusing bad situations with one line and exit code 2."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import Running, free_port, run_gearbox


def test_up_serves_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    running = start_up(tmp_path / "state")
    assert f"http://127.0.0.1:{running.port}" in running.banner
    sqs = running.client("sqs")
    url = sqs.create_queue(QueueName="hello")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    assert running.stop(signal.SIGINT) == 0
    assert (tmp_path / "state" / ".gitignore").read_text().strip().endswith("*")


def test_up_binds_loopback_only(tmp_path: Path, start_up: Callable[..., Running]) -> None:
    running = start_up(tmp_path / "state")
    connections = Path("/proc/net/tcp").read_text().splitlines()[1:]
    port_hex = f"{running.port:04X}"
    listening = [line.split()[1] for line in connections if line.split()[3] == "0A"]
    mine = [address for address in listening if address.endswith(":" + port_hex)]
    assert mine == ["0100007F:" + port_hex]  # 127.0.0.1 only


def test_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_gearbox("up", "--port", str(port), "--state-dir", str(tmp_path / "s"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: port {port} on 127.0.0.1 is already in use"


def test_second_up_on_the_same_state_dir_is_refused(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    start_up(tmp_path / "state")
    done = run_gearbox("up", "--port", str(free_port()), "--state-dir", str(tmp_path / "state"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "in use by another gearbox up" in done.stderr


def test_state_dir_that_is_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for state_dir in (blocker, blocker / "below"):
        done = run_gearbox("up", "--port", str(free_port()), "--state-dir", str(state_dir))
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert str(blocker) in done.stderr


def test_state_dir_from_a_newer_gearbox(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "format.json").write_text(json.dumps({"format": 99, "gearbox": "9.0.0"}))
    done = run_gearbox("up", "--port", str(free_port()), "--state-dir", str(state))
    assert done.returncode == 2
    assert "written by a newer Gearbox" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_port_option(tmp_path: Path) -> None:
    done = run_gearbox("up", "--port", "70000", "--state-dir", str(tmp_path / "s"))
    assert done.returncode == 2
    assert "70000" in done.stderr


def test_help_lists_up() -> None:
    done = run_gearbox("--help")
    assert done.returncode == 0
    assert "up" in done.stdout


def test_a_database_from_a_newer_gearbox_is_refused(tmp_path: Path) -> None:
    import sqlite3

    state = tmp_path / "state"
    state.mkdir()
    db = sqlite3.connect(state / "lambda.db")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema', '99')")
    db.commit()
    db.close()
    done = run_gearbox("up", "--port", str(free_port()), "--state-dir", str(state))
    assert done.returncode == 2
    assert "written by a newer Gearbox" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
