"""Small hostile files made on the spot: a few KB that cost a parser minutes."""

from __future__ import annotations

import zlib


def slow_pdf(pages: int = 60, glyph_runs: int = 20_000) -> bytes:
    """Return a PDF of ``pages`` pages sharing one compressed content stream of ``glyph_runs`` text runs."""
    runs = b"".join(b"1 0 0 1 %d %d Tm (x) Tj\n" % (i % 500, i % 700) for i in range(glyph_runs))
    stream = zlib.compress(b"BT /F1 1 Tf\n" + runs + b"ET\n", 9)
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids["
        + b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
        + b"]/Count %d>>" % pages,
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        b"<</Length %d/Filter/FlateDecode>>stream\n" % len(stream) + stream + b"\nendstream",
    ]
    objects += [
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 3 0 R>>>>/Contents 4 0 R>>"
    ] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
