"""``make demo``: the object-metadata service (examples/object_metadata) on the local cloud.

Starts a local cloud in this process (an ephemeral port on 127.0.0.1, state in
``.gearbox-demo/``), deploys the service as ``gearbox dev`` does, uploads the sample files
(one of them a corrupt PNG that makes extraction fail), prints the journal as events flow,
then the metadata rows, the failure that went through the dead-letter queue and how it was
handled, and the process states. Exits 1 if the service did not end where it should.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from gearbox.app import ProcessState
from gearbox.cli.dev import user_clients
from gearbox.dev.session import DevSession
from gearbox.dev.stream import JournalFeed, line
from gearbox.dev.targets import Place
from gearbox.local.cloud import LocalCloud
from gearbox.settings import Settings

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "object_metadata"
SAMPLES = PROJECT / "samples"
STATE = Path(".gearbox-demo")
GOOD = ("photo.png", "photo.jpg", "report.pdf", "notes.txt", "empty.txt")
BAD = "corrupt.png"
DEADLINE_SECONDS = 120


class Printer:
    def info(self, message: str) -> None:
        print(message, flush=True)

    def error(self, message: str) -> None:
        print(f"error: {message}", file=sys.stderr, flush=True)


def scan(clients: Any, table: str) -> list[dict[str, Any]]:
    items = clients("dynamodb").scan(TableName=table)["Items"]
    deserializer = TypeDeserializer()
    return [{k: deserializer.deserialize(v) for k, v in item.items()} for item in items]


def finished(clients: Any, names: dict[str, str]) -> bool:
    rows = scan(clients, names["metadata"])
    failures = [f for f in scan(clients, names["failures"]) if f.get("status") == "FAILED"]
    processes = scan(clients, names["processes"])
    done = [p for p in processes if p.get("status") in ("SUCCEEDED", "FAILED")]
    return len(rows) >= len(GOOD) and len(failures) >= 1 and len(done) >= len(GOOD)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join("  " + line for line in out)


def main() -> int:
    out = Printer()
    shutil.rmtree(STATE, ignore_errors=True)
    cloud = LocalCloud.open(Settings(port=0, state_dir=STATE))
    cloud.start()
    try:
        return run(cloud, out)
    finally:
        cloud.stop()


def run(cloud: LocalCloud, out: Printer) -> int:
    out.info(f"== local cloud on {cloud.endpoint_url} (state in {STATE}/)")
    clients = user_clients(cloud.endpoint_url, cloud.settings.region, {})
    place = Place(cloud.endpoint_url, cloud.settings.region, cloud.settings.account_id)
    feed = JournalFeed(cloud.endpoint_url, after=0)
    shown = PROJECT.relative_to(Path.cwd()) if PROJECT.is_relative_to(Path.cwd()) else PROJECT
    out.info(f"== deploying {shown}")
    session = DevSession(PROJECT, place, clients, out)
    started = time.monotonic()
    graph = session.up()
    out.info(f"   deployed in {time.monotonic() - started:.1f} s")
    names = {r.name: r.physical for r in graph.resources}
    bucket = names["uploads"]
    out.info(f"== uploading {len(GOOD) + 1} sample files to s3://{bucket}/ ({BAD} is corrupt)")
    for name in (*GOOD, BAD):
        clients("s3").put_object(
            Bucket=bucket, Key=f"samples/{name}", Body=(SAMPLES / name).read_bytes()
        )
    out.info("== what happened, as the journal streams it")
    deadline = time.monotonic() + DEADLINE_SECONDS
    stop = threading.Event()
    while not stop.is_set():
        for entry in feed.poll():
            out.info("   " + line(entry))
        if finished(clients, names):
            break
        if time.monotonic() > deadline:
            out.error(f"the service did not finish within {DEADLINE_SECONDS} s")
            return 1
        time.sleep(0.3)
    time.sleep(0.5)
    for entry in feed.poll():
        out.info("   " + line(entry))
    report(clients, names, cloud, out)
    return 0


def report(clients: Any, names: dict[str, str], cloud: LocalCloud, out: Printer) -> None:
    rows = sorted(scan(clients, names["metadata"]), key=lambda r: r["key"])
    out.info(f"\n== metadata rows ({names['metadata']})")
    out.info(
        table(rows, ["key", "size", "content_type", "width", "height", "pages", "lines", "sha256"])
    )
    failures = scan(clients, names["failures"])
    out.info(f"\n== failures that went through the dead-letter queue ({names['failures']})")
    out.info(table(failures, ["object", "status", "attempts", "error_type", "reason"]))
    state = ProcessState(clients("dynamodb"), names["processes"])
    views = [state.get(p["process_id"]) for p in scan(clients, names["processes"])]
    out.info(f"\n== process states ({names['processes']})")
    rows = [
        {
            "object": (v.get("input") or {}).get("key", ""),
            "status": v["status"],
            "completed": ",".join(v["completed"]),
            "failed": ",".join(v["failed"]),
            "created_at": v["created_at"],
            "finished_at": v["finished_at"],
        }
        for v in sorted(views, key=lambda v: str((v.get("input") or {}).get("key")))
    ]
    out.info(table(rows, ["object", "status", "completed", "failed", "created_at", "finished_at"]))
    out.info("\n== where to look next")
    out.info(
        f"   gearbox logs object-metadata-extract --state-dir {STATE}   # each invocation's log"
    )
    out.info("   gearbox graph examples/object_metadata                # the event graph")
    out.info(
        "   gearbox dev examples/object_metadata                  # run it live, reload on edits"
    )


if __name__ == "__main__":
    sys.exit(main())
