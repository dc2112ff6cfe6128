"""Lay fixture documents out as PDFs (reportlab), and make scans and phone photos of them."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
import pypdfium2
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from tests.pdfgen.content import Block, Doc, PlanSpec


@dataclass(frozen=True)
class Layout:
    font: str
    bold: str
    size: float
    title_size: float
    centered: bool
    margin: float
    rule: bool  # a line under the letterhead / title


FONTS = [("Helvetica", "Helvetica-Bold"), ("Times-Roman", "Times-Bold"), ("Courier", "Courier-Bold")]


def layout(rng: random.Random) -> Layout:
    font, bold = rng.choice(FONTS[:2] if rng.random() < 0.85 else FONTS)
    return Layout(
        font,
        bold,
        rng.choice([10, 10.5, 11, 12]),
        rng.choice([15, 16, 18, 20]),
        rng.random() < 0.6,
        rng.choice([56, 64, 72]),
        rng.random() < 0.5,
    )


class _Writer:
    def __init__(self, lay: Layout) -> None:
        self.buffer = io.BytesIO()
        self.c = canvas.Canvas(self.buffer, pagesize=A4, invariant=1)
        self.lay = lay
        self.width, self.height = A4
        self.y = self.height - lay.margin

    def need(self, height: float) -> None:
        if self.y - height < self.lay.margin:
            self.page_break()

    def page_break(self) -> None:
        self.c.showPage()
        self.y = self.height - self.lay.margin

    def text(self, text: str, font: str, size: float, centered: bool = False, gap: float = 4) -> None:
        usable = self.width - 2 * self.lay.margin
        lines = simpleSplit(text, font, size, usable)
        for line in lines:
            self.need(size * 1.35)
            self.c.setFont(font, size)
            if centered:
                self.c.drawCentredString(self.width / 2, self.y - size, line)
            else:
                self.c.drawString(self.lay.margin, self.y - size, line)
            self.y -= size * 1.35
        self.y -= gap

    def block(self, block: Block) -> None:
        lay = self.lay
        if block.kind == "title":
            self.y -= 6
            self.text(block.text, lay.bold, lay.title_size, lay.centered, gap=10)
            if lay.rule:
                self.c.line(lay.margin, self.y + 4, self.width - lay.margin, self.y + 4)
                self.y -= 6
        elif block.kind == "subtitle":
            self.text(block.text, lay.bold, lay.size + 2, lay.centered, gap=8)
        elif block.kind == "heading":
            self.text(block.text, lay.bold, lay.size + 0.5, gap=3)
        elif block.kind == "para":
            self.text(block.text, lay.font, lay.size, gap=6)
        elif block.kind == "small":
            self.text(block.text, lay.font, lay.size - 2, lay.centered, gap=4)
        elif block.kind == "letterhead":
            self.text(block.text, lay.bold, lay.size - 1, False, gap=2)
            self.c.line(lay.margin, self.y, self.width - lay.margin, self.y)
            self.y -= 18
        elif block.kind == "signature":
            self.y -= 16
            self.text(block.text, lay.font, lay.size, False, gap=30)
        elif block.kind == "pagebreak":
            self.page_break()
        elif block.kind == "plan":
            assert block.plan is not None
            self.plan(block.plan)

    def plan(self, plan: PlanSpec) -> None:
        # Rooms in rows, to scale: walls as separate lines, doors as arcs, dimension lines with labels.
        lay = self.lay
        usable = self.width - 2 * lay.margin
        scale = 26.0  # points per metre (about 1:110 on A4)
        rows: list[list[tuple[str, float, float]]] = [[]]
        row_width = 0.0
        for room in plan.rooms:
            if row_width + room[1] * scale > usable - 30 and rows[-1]:
                rows.append([])
                row_width = 0.0
            rows[-1].append(room)
            row_width += room[1] * scale
        total_height = sum(max(r[2] for r in row) * scale + 26 for row in rows)
        self.need(total_height + 40)
        c = self.c
        top = self.y - 20
        for row in rows:
            depth = max(r[2] for r in row) * scale
            x = lay.margin + 24
            for name, width_m, depth_m in row:
                w, d = width_m * scale, depth_m * scale
                y0 = top - d
                c.setLineWidth(2)
                for x1, y1, x2, y2 in (
                    (x, y0, x + w, y0),
                    (x + w, y0, x + w, top),
                    (x, top, x + w, top),
                    (x, y0, x, top),
                ):
                    c.line(x1, y1, x2, y2)
                c.setLineWidth(0.6)
                door = min(w, d) * 0.25
                c.arc(x + 4, y0 - door, x + 4 + 2 * door, y0 + door, 0, 90)
                c.line(x + 4 + door, y0, x + 4 + door, y0 + door)
                c.setFont(lay.font, 7.5)
                c.drawCentredString(x + w / 2, y0 + d / 2, name)
                if plan.dimensions:
                    c.setFont(lay.font, 6.5)
                    c.line(x, top + 6, x + w, top + 6)
                    c.line(x, top + 3, x, top + 9)
                    c.line(x + w, top + 3, x + w, top + 9)
                    c.drawCentredString(
                        x + w / 2, top + 9, f"{width_m:.2f}".replace(".", ",") + (" m" if width_m > 5 else "")
                    )
                    c.saveState()
                    c.translate(x - 6, y0 + d / 2)
                    c.rotate(90)
                    c.drawCentredString(0, 2, f"{depth_m:.2f}")
                    c.restoreState()
                    c.line(x - 6, y0, x - 6, top)
                    c.setFont(lay.font, 6)
                    c.drawCentredString(x + w / 2, y0 + d / 2 - 10, f"{width_m * depth_m:.1f} m²")
                x += w + 6
            top -= depth + 26
        self.y = top - 6
        total = sum(w * d for _, w, d in plan.rooms)
        if plan.scale:
            self.text("Échelle 1:100", lay.font, lay.size - 1, gap=2)
        if plan.caption:
            self.text(plan.caption.format(total=f"{total:.0f}"), lay.font, lay.size - 1, gap=6)

    def finish(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def to_pdf(doc: Doc, rng: random.Random) -> bytes:
    """Lay a document out as a text PDF."""
    writer = _Writer(layout(rng))
    for block in doc.blocks:
        writer.block(block)
    return writer.finish()


def merge(pdfs: list[bytes]) -> bytes:
    """Concatenate PDFs into one bundle."""
    out = pypdfium2.PdfDocument.new()
    for data in pdfs:
        src = pypdfium2.PdfDocument(data)
        out.import_pages(src)
        src.close()
    buffer = io.BytesIO()
    out.save(buffer)
    out.close()
    return buffer.getvalue()


def page_images(pdf: bytes, dpi: int) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    images = []
    for page in document:
        images.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
        page.close()
    document.close()
    return images


def degrade(image: Image.Image, rng: random.Random, tilt: float, noise: float, blur: float) -> Image.Image:
    """Make a clean page look scanned: tilted, noisy, blurred, a little grey."""
    out = image.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(out, dtype=np.float32)
    generator = np.random.default_rng(rng.randint(0, 1 << 30))
    pixels = pixels * 0.92 + 10 + generator.normal(0, noise, pixels.shape)
    speckles = generator.random(pixels.shape) < 0.0008
    pixels[speckles] = 30
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scanned(
    pdf: bytes,
    rng: random.Random,
    dpi: int = 200,
    tilt: float | None = None,
    noise: float = 12.0,
    blur: float = 0.6,
) -> bytes:
    """Rasterise a PDF into an image-only PDF, as a copier would."""
    pages = [
        degrade(img, rng, rng.uniform(-2.5, 2.5) if tilt is None else tilt, noise, blur)
        for img in page_images(pdf, dpi)
    ]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", resolution=dpi, save_all=True, append_images=pages[1:], quality=70)
    return buffer.getvalue()


def photo(pdf: bytes, rng: random.Random, exif_rotate: bool = False) -> bytes:
    """Photograph the first page with a phone: on a desk, tilted, unevenly lit, JPEG."""
    page = page_images(pdf, 170)[0]
    tilted = page.rotate(rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=90)
    canvas_img = Image.new("L", (tilted.width + 160, tilted.height + 200), 70)
    canvas_img.paste(tilted, (80, 100))
    pixels = np.asarray(canvas_img, dtype=np.float32)
    h, w = pixels.shape
    gradient = np.linspace(0.75, 1.0, w)[None, :] * np.linspace(0.85, 1.0, h)[:, None]
    generator = np.random.default_rng(rng.randint(0, 1 << 30))
    pixels = pixels * gradient + generator.normal(0, 6, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")
    buffer = io.BytesIO()
    if exif_rotate:
        # Phones store the pixels sideways and say so in EXIF (orientation 6: rotate 90° clockwise to view).
        sideways = image.rotate(90, expand=True)
        exif = Image.Exif()
        exif[0x0112] = 6
        sideways.save(buffer, format="JPEG", quality=72, exif=exif)
    else:
        image.save(buffer, format="JPEG", quality=72)
    return buffer.getvalue()
