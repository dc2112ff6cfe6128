"""A scanned architect's plan: centimetre figures written on their dimension lines and room labels along
vertical walls are read (the lines are erased before a sparse-text OCR pass, the page is read turned both
ways), so the plan is "present"; a drawing with room labels but no dimensions stays short of it."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image, ImageDraw, ImageFont

from dossier_checker import features, imaging, ocr
from dossier_checker.check import check_files
from dossier_checker.model import InputFile, Limits, Page

pytestmark = [
    pytest.mark.skipif(not ocr.available(), reason="tesseract with French data is not installed"),
    pytest.mark.timeout(180),
]

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WALLS = (150, 250, 1500, 2150)  # left, top, right, bottom of the outer walls


def _label(image: Image.Image, text: str, at: tuple[int, int], size: int, turned: bool) -> None:
    """Write a label, turned a quarter (reading upwards, as along a vertical wall) when asked."""
    font = ImageFont.truetype(FONT, size)
    box = ImageDraw.Draw(image).textbbox((0, 0), text, font=font)
    stamp = Image.new("L", (box[2] + 4, box[3] + 4), 255)
    ImageDraw.Draw(stamp).text((2, 0), text, fill=0, font=font)
    if turned:
        stamp = stamp.rotate(90, expand=True)
    image.paste(stamp, at)


def _scanned_plan(dimensions: bool) -> bytes:
    """Draw a villa's ground floor as an architect's fax: thick walls, a tiled terrace, rooms, cotes in cm."""
    image = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = WALLS
    draw.rectangle(WALLS, outline=0, width=12)
    draw.line((800, top, 800, bottom), fill=0, width=8)
    draw.line((left, 1200, right, 1200), fill=0, width=8)
    draw.line((800, 1700, right, 1700), fill=0, width=8)
    for x in range(left + 20, 800, 30):  # the tiles of one room: ink a page analysis trips on
        draw.line((x, top + 20, x, 600), fill=0, width=3)
    for y in range(top + 20, 600, 30):
        draw.line((left + 20, y, 790, y), fill=0, width=3)
    for x0, y0 in ((800, 700), (800, 1450), (500, 1200), (1100, 1200)):
        draw.arc((x0 - 70, y0 - 70, x0 + 70, y0 + 70), 0, 90, fill=0, width=2)
    if dimensions:
        # Dimension lines above and beside the walls, their figures written on the line itself.
        for y, cuts in ((150, (left, 800, right)), (200, (left, 420, 800, 1150, right))):
            draw.line((left, y, right, y), fill=0, width=2)
            for a, b in itertools.pairwise(cuts):
                draw.line((a, y - 12, a, y + 12), fill=0, width=2)
                _label(image, f"{(b - a) * 5 // 10 * 10 // 10}", ((a + b) // 2 - 30, y - 24), 22, False)
        for x, cuts in ((70, (top, 1200, bottom)), (1580, (top, 1200, 1700, bottom))):
            draw.line((x, top, x, bottom), fill=0, width=2)
            for a, b in itertools.pairwise(cuts):
                draw.line((x - 12, a, x + 12, a), fill=0, width=2)
                _label(image, f"{(b - a) * 5 // 10 * 10 // 10},5", (x - 22, (a + b) // 2 - 40), 22, True)
    for name, at, turned in (
        ("SEJOUR", (450, 850), True),
        ("CUISINE", (1150, 700), True),
        ("CHAMBRE", (400, 1600), False),
        ("CELLIER", (1150, 1900), True),
        ("ENTREE", (1100, 1400), False),
    ):
        _label(image, name, at, 28, turned)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_figures_on_dimension_lines_and_turned_labels_of_a_scanned_plan_are_read() -> None:
    page = imaging.prepare(Image.open(io.BytesIO(_scanned_plan(True)))).data
    text = ocr.read_page(page).text
    rooms = features.room_labels(text)
    assert {"sejour", "cuisine", "cellier"} <= rooms  # written along vertical walls
    found = Page(1, text, text, "ocr", lines=40)
    assert features.page_features(found)["dimension_labels"] == 1.0


def test_a_scanned_plan_with_dimensions_is_a_floor_plan_and_one_without_is_not() -> None:
    limits = Limits(file_seconds=120.0)  # a busy test machine must not cut the OCR short
    with_dimensions = check_files("opening", {}, [InputFile("plan-rdc.png", _scanned_plan(True))], limits)
    without = check_files("opening", {}, [InputFile("plan-rdc.png", _scanned_plan(False))], limits)
    status = {p.id: p.status for p in with_dimensions.pieces}
    assert status["floor_plan"] == "present", with_dimensions.pieces
    assert {p.id: p.status for p in without.pieces}["floor_plan"] != "present"
