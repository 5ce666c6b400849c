"""Write the reference service's sample files into ``samples/`` (run: python make_samples.py).

Every file is made here, from nothing, deterministically, so the tests can state exact
facts about them:

- ``photo.png``: 64 x 48 RGB, drawn with Pillow;
- ``photo.jpg``: 80 x 60 RGB JPEG, drawn with Pillow;
- ``report.pdf``: 3 pages, hand-written PDF syntax (objects, content streams, an exact xref);
- ``notes.txt``: 5 lines of UTF-8 text, the last one without a newline;
- ``empty.txt``: 0 bytes;
- ``corrupt.png``: 256 pseudo-random bytes with a .png name, which Pillow cannot open.

Needs Pillow (the dev extra installs it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image, ImageDraw

SAMPLES = Path(__file__).resolve().parent / "samples"
NOTES = "gearbox object-metadata samples\nline two\nline three: café\n\nline five, no newline"


def draw(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (30, 90, 160))
    pen = ImageDraw.Draw(image)
    pen.rectangle((4, 4, width // 2, height // 2), fill=(240, 200, 40))
    pen.ellipse((width // 3, height // 3, width - 4, height - 4), fill=(200, 40, 60))
    return image


def pdf(pages: int) -> bytes:
    """A minimal valid PDF: catalog, page tree, one page with a text stream per page."""
    first_page = 4  # objects: 1 catalog, 2 pages, 3 font, then (page, contents) pairs
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i in range(pages):
        stream = f"BT /F1 24 Tf 72 720 Td (Page {i + 1} of {pages}) Tj ET".encode()
        contents = first_page + 2 * i + 1
        page = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {contents} 0 R >>"
        )
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def garbage(length: int) -> bytes:
    out = b""
    block = b"gearbox-corrupt-sample"
    while len(out) < length:
        block = hashlib.sha256(block).digest()
        out += block
    return out[:length]


def main() -> None:
    SAMPLES.mkdir(exist_ok=True)
    draw(64, 48).save(SAMPLES / "photo.png", format="PNG")
    draw(80, 60).save(SAMPLES / "photo.jpg", format="JPEG", quality=85)
    (SAMPLES / "report.pdf").write_bytes(pdf(3))
    (SAMPLES / "notes.txt").write_bytes(NOTES.encode())
    (SAMPLES / "empty.txt").write_bytes(b"")
    (SAMPLES / "corrupt.png").write_bytes(garbage(256))
    for path in sorted(SAMPLES.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.name}")


if __name__ == "__main__":
    main()
