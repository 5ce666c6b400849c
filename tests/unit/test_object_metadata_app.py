"""The reference service's declaration (``examples/object_metadata/app.py``) says what the
service is: its resources, its functions, their triggers, settings and environment.

Needs ``gearbox.app.App``; skipped with that reason until the declaration API is merged.
"""

from __future__ import annotations

from typing import Any

import pytest

import gearbox.app
from tests.unit.object_metadata_paths import load

pytestmark = pytest.mark.skipif(
    not hasattr(gearbox.app, "App"),
    reason="gearbox.app has no App yet: the declaration API is merged separately",
)


@pytest.fixture(scope="module")
def declared() -> Any:
    return load("app").app


def functions(declared: Any) -> dict[str, Any]:
    return {f.name: f for f in declared.app.functions}


def test_the_service_and_its_resources(declared: Any) -> None:
    app = declared.app
    assert app.name == "object-metadata"
    names = {r.name for r in app.resources}
    assert {"uploads", "thumbnails", "extract-jobs", "object-events"} <= names
    assert {"metadata", "failures", "processes", "search-index"} <= names
    jobs = declared.jobs
    assert jobs.max_receive_count == 3
    assert jobs.dlq is not None and jobs.dlq.name == "extract-jobs-dlq"
    metadata = declared.metadata
    assert (metadata.partition_key.name, metadata.sort_key.name) == ("bucket", "key")
    assert declared.processes.partition_key.name == "process_id"


def test_the_functions_and_their_triggers(declared: Any) -> None:
    found = functions(declared)
    assert set(found) == {"extract", "dead-letter", "make-thumbnail", "index-object", "notify"}
    extract = found["extract"]
    assert (extract.module, extract.qualname) == ("handlers.extract", "extract")
    (s3,) = extract.triggers
    assert s3.bucket == declared.uploads and s3.via == declared.jobs
    assert set(extract.requirements) == {"Pillow", "pypdf"}
    assert declared.jobs.visibility_timeout >= extract.timeout
    environment = dict(extract.environment)
    assert environment["TABLE_NAME"] == declared.metadata
    assert environment["JOBS_QUEUE_URL"] == declared.jobs
    (dlq,) = found["dead-letter"].triggers
    assert dlq.queue == declared.jobs.dlq and dlq.partial_failures
    for step in ("make-thumbnail", "index-object", "notify"):
        assert found[step].triggers == ()
        assert found[step].retry_attempts == 0
        assert "PROCESSES_TABLE" in dict(found[step].environment)
