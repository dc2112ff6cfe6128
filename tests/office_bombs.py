"""Hostile word-processor files and HEIC photos, crafted on the spot: zip bombs, XML entity expansion,
external entities, deep nesting, lying zip headers, work bombs that stay under every size limit, and HEIC
headers claiming huge dimensions.

    .venv/bin/python -m tests.office_bombs FOLDER     # write every file into FOLDER

``bench/robustness.py`` reads them as a third corpus ("office-bombs"); ``tests/test_office_bombs.py`` reads
them in the suite. ``BOMBS`` names each file and the outcome a checker should give it (an error code, or
None when the file is read: its hostile part is never decoded; a work bomb may be cut by the file's time
or refused for its page count, whichever comes first on the machine).
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ODT_MIME = b"application/vnd.oasis.opendocument.text"
W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="word/document.xml"/></Relationships>'
)
LAUGHS = b"".join(
    b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) if i else b'<!ENTITY lol0 "lol">'
    for i in range(10)
)
ODT_NS = (
    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)


@dataclass(frozen=True)
class Bomb:
    """One crafted file: its name, what it attacks, and the checker's expected outcomes."""

    name: str
    what: str
    expected: tuple[str | None, ...]  # the outcomes it may have (an error code, or None: read)
    make: Callable[[], bytes]


def _zip(parts: dict[str, bytes], stored: frozenset[str] = frozenset({"mimetype"})) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue()


def _body(paragraphs: bytes) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?><w:document %s><w:body>%s</w:body></w:document>' % (
        W,
        paragraphs,
    )


def _docx(document: bytes, **extra: bytes) -> bytes:
    return _zip(
        {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, "word/document.xml": document, **extra}
    )


def _odt(content: bytes, **extra: bytes) -> bytes:
    from odf.opendocument import OpenDocumentText

    base = io.BytesIO()
    OpenDocumentText().save(base)  # a real package (mimetype, manifest, styles), its content replaced
    with zipfile.ZipFile(base) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return _zip({**parts, "content.xml": content, **extra})


def _odt_body(paragraphs: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content %s><office:body><office:text>'
        b"%s</office:text></office:body></office:document-content>" % (ODT_NS, paragraphs)
    )


STATUTES = (
    b"<w:p><w:r><w:t>STATUTS DE LA SOCIETE ANONYME MONEGASQUE PHARMAVET</w:t></w:r></w:p>"
    + (
        b"<w:p><w:r><w:t>Article 1 - Forme. Il est forme entre les proprietaires des actions une societe "
        b"anonyme monegasque regie par les lois de la Principaute.</w:t></w:r></w:p>"
    )
    * 20
)


def _laughs_docx() -> bytes:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE w:document [%s]><w:document %s><w:body><w:p><w:r><w:t>&lol9;'
        b"</w:t></w:r></w:p></w:body></w:document>" % (LAUGHS, W)
    )
    return _docx(document)


def _xxe_docx() -> bytes:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<w:document %s><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>" % W
    )
    return _docx(document)


def _hidden_doctype_docx() -> bytes:
    document = (
        b'<?xml version="1.0"?><!--' + b" padding" * 20_000 + b" --><?pi x?><!DOCTYPE w:document [%s]>"
        b"<w:document %s><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>" % (LAUGHS, W)
    )
    return _docx(document)


def _rels_laughs_docx() -> bytes:
    rels = RELS.replace(b"<Relationships", b"<!DOCTYPE Relationships [%s]><Relationships" % LAUGHS, 1)
    return _zip(
        {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": rels, "word/document.xml": _body(STATUTES)}
    )


def _ratio_bomb_docx() -> bytes:
    return _docx(_body(STATUTES), **{"word/media/zeros.bin": b"\0" * (200 * 1024 * 1024)})


def _xml_bomb_docx() -> bytes:
    paragraph = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    return _docx(_body(paragraph * (60 * 1024 * 1024 // len(paragraph))))


def _many_members_docx() -> bytes:
    return _docx(_body(STATUTES), **{f"customXml/item{i}.xml": b"<a/>" for i in range(5000)})


def _total_bomb_docx() -> bytes:
    # Many members, each compressed under the ratio limit, adding up past the total declared size.
    rng = random.Random(1)
    chunk = bytes(rng.randrange(256) if rng.random() < 0.02 else 0 for _ in range(1024 * 1024))
    return _docx(_body(STATUTES), **{f"word/media/part{i}.bin": chunk for i in range(210)})


def _lying_sizes_docx() -> bytes:
    # word/document.xml inflates to 50 MB while both its headers declare 2,000 bytes.
    big = _body(b"<w:p><w:r><w:t>y</w:t></w:r></w:p>" * (50 * 1024 * 1024 // 34))
    data = bytearray(_docx(big))
    declared = len(big)
    target = b"word/document.xml"
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(target)] == target:
                (size,) = struct.unpack_from("<I", data, start + offset)
                if size == declared:
                    struct.pack_into("<I", data, start + offset, 2000)
            start += 4
    return bytes(data)


def _deep_docx() -> bytes:
    depth = 90_000  # under 1 MB of XML: no ratio limit applies, the XML parser meets it
    return _docx(_body(b"<w:p>" + b"<w:r>" * depth + b"<w:t>x</w:t>" + b"</w:r>" * depth + b"</w:p>"))


def _work_bomb_paragraphs(count: int, template: bytes) -> bytes:
    rng = random.Random(16)
    return b"".join(template % rng.randrange(10**9) for _ in range(count))


def _work_bomb_docx() -> bytes:
    # A million short paragraphs of digits: 40 MB of XML that compresses under every ratio and size limit.
    return _docx(_body(_work_bomb_paragraphs(1_000_000, b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>")))


def _image_inside_docx() -> bytes:
    # A 20000 x 20000 PNG inside the package: the checker reads text, the image is never decoded.
    return _docx(_body(STATUTES), **{"word/media/image1.png": _png_bomb(20_000)})


def _png_bomb(side: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    stream = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def _laughs_odt() -> bytes:
    content = _odt_body(b"<text:p>&lol9;</text:p>").replace(
        b"<office:document-content",
        b"<!DOCTYPE office:document-content [%s]><office:document-content" % LAUGHS,
        1,
    )
    return _odt(content)


def _xxe_styles_odt() -> bytes:
    styles = (
        b'<?xml version="1.0"?><!DOCTYPE office:document-styles [<!ENTITY xxe SYSTEM "file:///etc/shadow">]>'
        b"<office:document-styles %s>&xxe;</office:document-styles>" % ODT_NS
    )
    return _odt(_odt_body(b"<text:p>Statuts</text:p>"), **{"styles.xml": styles})


def _ratio_bomb_odt() -> bytes:
    return _odt(_odt_body(b"<text:p>x</text:p>" * (60 * 1024 * 1024 // 18)))


def _deep_odt() -> bytes:
    depth = 45_000  # under 1 MB of XML: no ratio limit applies, the XML parser meets it
    return _odt(
        _odt_body(b"<text:p>" + b"<text:span>" * depth + b"x" + b"</text:span>" * depth + b"</text:p>")
    )


def _work_bomb_odt() -> bytes:
    return _odt(_odt_body(_work_bomb_paragraphs(500_000, b"<text:p>%d</text:p>")))


def _huge_mimetype_odt() -> bytes:
    return _zip(
        {"mimetype": ODT_MIME + b" " * (50 * 1024 * 1024), "content.xml": _odt_body(b"")}, frozenset()
    )


def _heic(side: int = 64) -> bytes:
    import pillow_heif
    from PIL import Image, ImageDraw

    pillow_heif.register_heif_opener()
    image = Image.new("L", (side, side), 255)
    ImageDraw.Draw(image).rectangle((side // 8, side // 8, side // 2, side // 4), fill=0)
    out = io.BytesIO()
    image.save(out, "HEIF")
    return out.getvalue()


def _heic_claiming(width: int, height: int) -> bytes:
    data = bytearray(_heic())
    at = data.find(b"ispe")
    struct.pack_into(">II", data, at + 8, width, height)
    return bytes(data)


BOMBS: tuple[Bomb, ...] = (
    Bomb(
        "docx_billion_laughs.docx",
        "document.xml declares nested entities (10^9 'lol')",
        ("office_dtd",),
        _laughs_docx,
    ),
    Bomb("docx_xxe_etc_passwd.docx", "external entity reading /etc/passwd", ("office_dtd",), _xxe_docx),
    Bomb(
        "docx_doctype_after_comment.docx",
        "entity declarations hidden after a 160 KB comment",
        ("office_dtd",),
        _hidden_doctype_docx,
    ),
    Bomb(
        "docx_rels_laughs.docx",
        "entity expansion in the package relationships",
        ("office_dtd",),
        _rels_laughs_docx,
    ),
    Bomb(
        "docx_zip_ratio_200MB.docx", "a member inflating 200 MB of zeros", ("office_bomb",), _ratio_bomb_docx
    ),
    Bomb("docx_xml_60MB.docx", "document.xml of 60 MB", ("office_bomb",), _xml_bomb_docx),
    Bomb("docx_5000_members.docx", "5,000 zip members", ("office_bomb",), _many_members_docx),
    Bomb(
        "docx_total_210MB.docx",
        "210 members of 1 MB each (210 MB in all)",
        ("office_bomb",),
        _total_bomb_docx,
    ),
    Bomb(
        "docx_lying_sizes.docx",
        "document.xml inflating to 50 MB behind headers declaring 2,000 bytes",
        ("office_damaged",),
        _lying_sizes_docx,
    ),
    Bomb("docx_nesting_90k.docx", "runs nested 90,000 deep", ("office_damaged",), _deep_docx),
    Bomb(
        "docx_million_paragraphs.docx",
        "a million paragraphs (40 MB of XML under every ratio limit): parser work",
        ("file_too_many_pages", "file_too_slow"),
        _work_bomb_docx,
    ),
    Bomb("docx_png_20000x20000_inside.docx", "a 400 Mpx PNG inside the package", (None,), _image_inside_docx),
    Bomb("odt_billion_laughs.odt", "content.xml declares nested entities", ("office_dtd",), _laughs_odt),
    Bomb("odt_xxe_styles.odt", "styles.xml with an external entity", ("office_dtd",), _xxe_styles_odt),
    Bomb("odt_content_60MB.odt", "content.xml of 60 MB", ("office_bomb",), _ratio_bomb_odt),
    # Refused as damaged by the depth limit; on a heavily loaded machine the parse may reach the deadline first.
    Bomb("odt_nesting_45k.odt", "spans nested 45,000 deep", ("office_damaged", "file_too_slow"), _deep_odt),
    Bomb(
        "odt_500k_paragraphs.odt",
        "500,000 paragraphs (10 MB of XML under every ratio limit): parser work",
        ("file_too_many_pages", "file_too_slow"),
        _work_bomb_odt,
    ),
    Bomb("odt_mimetype_50MB.odt", "a 50 MB mimetype member", ("file_not_pdf",), _huge_mimetype_odt),
    Bomb(
        "heic_claims_65535x65535.heic",
        "a 64 px HEIC whose header claims 65535 x 65535",
        ("image_too_big",),
        lambda: _heic_claiming(65535, 65535),
    ),
    Bomb(
        "heic_claims_7000x6000.heic",
        "a 64 px HEIC whose header claims 42 Mpx",
        ("image_too_big",),
        lambda: _heic_claiming(7000, 6000),
    ),
    Bomb("heic_truncated.heic", "a HEIC cut in half", ("image_damaged",), lambda: _heic()[:200]),
    Bomb("heic_valid_64px.heic", "a valid small HEIC (control)", (None,), _heic),
)


def write(folder: Path) -> list[Path]:
    """Write every crafted file into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for bomb in BOMBS:
        path = folder / bomb.name
        path.write_bytes(bomb.make())
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(Path(sys.argv[1] if len(sys.argv) > 1 else "office-bombs")):
        print(f"{written.stat().st_size:>10,} {written}")
