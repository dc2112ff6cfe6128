"""What real documents carry and generated ones lacked: text drawn as glyph outlines, turned stamps.

CAD programs export a plan's labels as filled glyph outlines (paths, no characters); a town hall's
"copie certifiée conforme" stamp sits at an angle across a diploma.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import reportlab
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

FONT = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


class _CanvasPen(BasePen):  # type: ignore[misc]
    """Draw a glyph's outline into a reportlab path, scaled and moved to its place on the page."""

    def __init__(self, glyphs: Any, path: Any, x: float, y: float, scale: float) -> None:
        super().__init__(glyphs)
        self.path, self.x, self.y, self.scale = path, x, y, scale

    def _at(self, point: tuple[float, float]) -> tuple[float, float]:
        return self.x + point[0] * self.scale, self.y + point[1] * self.scale

    def _moveTo(self, point: tuple[float, float]) -> None:
        self.path.moveTo(*self._at(point))

    def _lineTo(self, point: tuple[float, float]) -> None:
        self.path.lineTo(*self._at(point))

    def _curveToOne(self, a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> None:
        self.path.curveTo(*self._at(a), *self._at(b), *self._at(c))

    def _closePath(self) -> None:
        self.path.close()


def outlined_text(c: canvas.Canvas, font: TTFont, text: str, x: float, y: float, size: float) -> None:
    """Draw text as filled glyph outlines: it looks like text and is not text."""
    glyphs = font.getGlyphSet()
    cmap = font.getBestCmap()
    scale = size / font["head"].unitsPerEm
    for char in text:
        name = cmap.get(ord(char), ".notdef")
        path = c.beginPath()
        glyphs[name].draw(_CanvasPen(glyphs, path, x, y, scale))
        c.drawPath(path, stroke=0, fill=1)
        x += glyphs[name].width * scale


ROOMS = [
    ("RÉSERVE", 6.0, 4.5),
    ("BUREAU", 3.5, 4.5),
    ("QUAI DE RÉCEPTION", 5.0, 3.5),
    ("LOCAL FRIGORIFIQUE", 3.5, 3.5),
    ("SANITAIRES", 2.5, 3.5),
]


def outlined_floor_plan(title: str = "PLAN DES LOCAUX - REZ-DE-CHAUSSÉE") -> bytes:
    """A dimensioned floor plan in which every label is outlines; only the title block is real text."""
    font = TTFont(str(FONT))
    buffer = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buffer, pagesize=(width, height))
    outlined_text(c, font, title, 60, height - 60, 20)
    scale = 40.0  # points per metre (1:70 on A4)
    x, top = 60.0, height - 110
    for i, (name, w_m, d_m) in enumerate(ROOMS):
        if i == 3:
            x, top = 60.0, top - 4.5 * scale - 50
        w, d = w_m * scale, d_m * scale
        c.setLineWidth(2.5)
        c.rect(x, top - d, w, d)
        c.setLineWidth(0.5)
        c.line(x, top + 8, x + w, top + 8)
        outlined_text(c, font, name, x + 8, top - d / 2, 10)
        outlined_text(c, font, f"{w_m * d_m:.1f} m²".replace(".", ","), x + 8, top - d / 2 - 14, 9)
        outlined_text(c, font, f"{w_m:.2f} m".replace(".", ","), x + w / 2 - 15, top + 11, 9)
        x += w + 10
    outlined_text(c, font, "Échelle 1:70 - cotes en mètres", 60, 40, 10)
    # The title block is the only real text: a few words, enough to pass for a text page.
    c.setFont("Helvetica", 7)
    c.drawString(width - 230, 30, "Cabinet Durand architectes - indice B - 12/03/2024")
    c.showPage()
    c.save()
    return buffer.getvalue()


DIPLOMA_LINES = [
    "RÉPUBLIQUE FRANÇAISE",
    "UNIVERSITÉ DE MONTPELLIER",
    "DIPLÔME D'ÉTAT DE DOCTEUR EN PHARMACIE",
    "Vu le code de l'éducation, vu l'arrêté du 8 avril 2013 relatif au régime des études",
    "en vue du diplôme d'État de docteur en pharmacie, le diplôme d'État de docteur",
    "en pharmacie est délivré à Madame Claire MARTIN, qui a soutenu sa thèse avec succès,",
    "pour en jouir avec les droits et prérogatives qui y sont attachés.",
    "Fait à Montpellier, le 12 juillet 2015",
    "Le Recteur d'académie     Le Président de l'université",
]


def stamped_diploma(angle: float = 25.0, stamp: str | None = "COPIE CERTIFIÉE CONFORME") -> bytes:
    """A diploma with a certification stamp turned by ``angle`` degrees (None: no stamp)."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    y = 760.0
    for line in DIPLOMA_LINES:
        c.setFont("Helvetica", 12)
        c.drawString(72, y, line)
        y -= 28
    if stamp:
        c.saveState()
        c.translate(360, 250)
        c.rotate(angle)
        c.rect(-10, -12, 250, 50)
        c.setFont("Helvetica-Bold", 14)
        c.drawString(0, 18, stamp)
        c.setFont("Helvetica", 10)
        c.drawString(0, 0, "Mairie de Monaco, le 3 mars 2024")
        c.restoreState()
    c.showPage()
    c.save()
    return buffer.getvalue()
