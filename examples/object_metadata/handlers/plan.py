"""Which asynchronous steps follow a successful extraction, and which function runs each.

Pure. Images get a thumbnail; every object is indexed and announced on the topic. The steps
run in parallel (each invoked with ``invoke_async``); the process-state table says when all
of them are done.
"""

from __future__ import annotations

from handlers.metadata import PILLOW_TYPES

THUMBNAIL, INDEX, NOTIFY = "thumbnail", "index", "notify"
# step -> the environment variable that names its function (set by app.py)
STEP_FUNCTIONS = {
    THUMBNAIL: "THUMBNAIL_FUNCTION",
    INDEX: "INDEX_FUNCTION",
    NOTIFY: "NOTIFY_FUNCTION",
}


def steps_for(content_type: str) -> tuple[str, ...]:
    if content_type in PILLOW_TYPES:
        return (THUMBNAIL, INDEX, NOTIFY)
    return (INDEX, NOTIFY)
