"""A drawing's scattered labels and dimensions are read by OCR (sparse-text pass), and big drawings get time."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from dossier_checker import imaging, ocr

pytestmark = pytest.mark.skipif(not ocr.available(), reason="tesseract with French data is not installed")

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ROOMS = [("CUISINE", (260, 330)), ("SEJOUR", (900, 330)), ("CHAMBRE", (260, 1000)), ("BUREAU", (900, 1000))]


def _plan() -> bytes:
    """Draw a dimensioned floor plan: walls, hatching, doors, small room labels and dimensions apart."""
    image = Image.new("L", (1600, 1500), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 26)
    draw.rectangle((100, 100, 1500, 1400), outline=0, width=14)
    draw.line((800, 100, 800, 1400), fill=0, width=10)
    draw.line((100, 750, 1500, 750), fill=0, width=10)
    for x in range(110, 1500, 24):  # hatched wall band along the top: ink the page analysis trips on
        draw.line((x, 40, x + 30, 90), fill=0, width=3)
    for x0, y0 in ((300, 745), (1000, 745), (795, 400), (795, 1100)):
        draw.arc((x0 - 60, y0 - 60, x0 + 60, y0 + 60), 0, 90, fill=0, width=3)
    for x in range(130, 780, 40):  # tiled floor in the kitchen and furniture strokes in each room
        draw.line((x, 120, x, 300), fill=0, width=2)
    for x0, y0 in ((850, 150), (150, 800), (850, 800), (1200, 150), (1200, 800), (150, 450)):
        draw.rectangle((x0, y0, x0 + 180, y0 + 120), outline=0, width=3)
        draw.line((x0, y0, x0 + 180, y0 + 120), fill=0, width=2)
    for name, (x, y) in ROOMS:
        draw.text((x, y), name, fill=0, font=font)
    for text, (x, y) in (
        ("4,20", (420, 1430)),
        ("3,50", (1120, 1430)),
        ("6,10", (20, 420)),
        ("5,80", (20, 1050)),
    ):
        draw.text((x, y), text, fill=0, font=font)
        draw.line((x - 200, y + 14, x - 10, y + 14), fill=0, width=2)
    return imaging.prepare(image).data


def test_scattered_room_labels_of_a_drawing_are_read() -> None:
    result = ocr.read_page(_plan())
    for name, _ in ROOMS:
        assert name in result.text


def test_sparse_rows_put_words_of_one_label_back_together() -> None:
    words = [
        (400, 100, 40, 20, "x"),
        (300, 102, 80, 20, "11'"),
        (450, 98, 40, 20, "10'"),
        (900, 100, 90, 20, "Bath"),
    ]
    assert ocr._rows(words) == [(98, "11' x 10'"), (100, "Bath")]


def test_a_scan_under_a_junk_text_layer_is_read_by_ocr_too() -> None:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from dossier_checker import extract
    from dossier_checker.model import Limits

    picture = Image.new("L", (800, 600), 255)
    ImageDraw.Draw(picture).rectangle((50, 50, 750, 550), outline=0, width=8)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(595, 842))
    pdf.drawImage(ImageReader(picture), 0, 0, width=595, height=842)
    text = pdf.beginText(40, 800)
    text.setTextRenderMode(3)  # invisible, as a scanner's OCR layer is
    junk = ("i ,liü;l L.; :., ,,i 0.1yi :Ut", "Attt(;,:.ctrcri Cu Zr [if,-l", "I I I ;r ll I t_ rrl i.) E")
    for line in junk * 4:  # letters enough for a text layer, hardly a word among them
        text.textLine(line)
    pdf.drawText(text)
    pdf.save()
    result = extract.extract(buffer.getvalue(), Limits(), lambda count: None)
    assert [(p.number, p.merge) for p in result.pending] == [(1, True)]
