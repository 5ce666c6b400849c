"""The ``make_thumbnail`` step: an image's PNG thumbnail, at most 256 px a side, in the
thumbnails bucket under ``<key>.png``.

The image is read up to ``MAX_IMAGE_BYTES`` (the same 50 MiB as the metadata parsers);
larger ones fail the step with a clear error. Pillow's ``draft`` lets JPEG decode at a
reduced scale, so a large photo is not decoded at full size.

Only objects of the uploads bucket get thumbnails: the function reads from
``UPLOADS_BUCKET`` and refuses an event naming another bucket, so its role needs read access
to that one bucket only.

Environment: ``UPLOADS_BUCKET``, ``THUMBNAIL_BUCKET``, ``PROCESSES_TABLE``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any

from handlers.aws import client
from handlers.metadata import PARSE_LIMIT
from handlers.plan import THUMBNAIL
from handlers.steps import run_step

MAX_SIDE = 256
MAX_IMAGE_BYTES = PARSE_LIMIT


def make_thumbnail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_step(THUMBNAIL, event, thumbnail_object)


def thumbnail_object(event: Mapping[str, Any]) -> dict[str, Any]:
    bucket, key = os.environ["UPLOADS_BUCKET"], str(event["key"])
    if event.get("bucket", bucket) != bucket:
        raise ValueError(f"{event['bucket']}: thumbnails are made for {bucket} only")
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    data = body.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{key}: larger than {MAX_IMAGE_BYTES} bytes, no thumbnail")
    png, width, height = thumbnail_png(data)
    target = os.environ["THUMBNAIL_BUCKET"]
    client("s3").put_object(Bucket=target, Key=f"{key}.png", Body=png, ContentType="image/png")
    return {"thumbnail": f"s3://{target}/{key}.png", "width": width, "height": height}


def thumbnail_png(data: bytes, max_side: int = MAX_SIDE) -> tuple[bytes, int, int]:
    """A PNG no larger than ``max_side`` on either side, keeping the aspect ratio."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (max_side, max_side))
        image.thumbnail((max_side, max_side))
        small = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGB")
        out = io.BytesIO()
        small.save(out, format="PNG")
        return out.getvalue(), small.width, small.height
