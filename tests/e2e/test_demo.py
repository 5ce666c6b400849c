"""``make demo``'s script, run as the Makefile runs it, and what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "object_metadata_demo.py"


def test_demo_shows_rows_the_dead_lettered_failure_and_processes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(DEMO)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    rows = out.split("== metadata rows")[1].split("== failures")[0]
    for key, size, kind in [
        ("samples/photo.png", "341", "image/png"),
        ("samples/photo.jpg", "1566", "image/jpeg"),
        ("samples/report.pdf", "1122", "application/pdf"),
        ("samples/notes.txt", "81", "text/plain"),
        ("samples/empty.txt", "0", "text/plain"),
    ]:
        [row] = [r for r in rows.splitlines() if key in r]
        assert row.split()[1:3] == [size, kind]
    assert "corrupt.png" not in rows
    failures = out.split("== failures")[1].split("== process states")[0]
    [failure] = [r for r in failures.splitlines() if "corrupt.png" in r]
    assert "FAILED" in failure
    assert "permanent" in failure
    assert "DEAD-LETTER" in out
    assert "object-metadata-dead-letter  <- sqs:object-metadata-extract-jobs-dlq" in out
    processes = out.split("== process states")[1].split("== where to look next")[0]
    assert processes.count("SUCCEEDED") == 5
    assert "gearbox logs object-metadata-extract" in out
    assert (tmp_path / ".gearbox-demo" / "lambda").is_dir()
