"""Page images: decode photos safely, even out lighting, straighten, find ruling lines, encode for OCR.

The only module that uses Pillow and numpy. Photos come from phones (EXIF rotation, shadows, tilt); scans
come from copiers (noise, blur, a few degrees of skew). Tesseract reads straight, evenly lit pages best.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter, ImageOps

MAX_SIDE = 2600  # pixels: about 220 dpi on A4; more costs OCR time without gaining accuracy


class ImageRefused(ValueError):
    """An image that cannot or must not be decoded (too many pixels, not an image, damaged)."""


@dataclass(frozen=True)
class PreparedImage:
    """A page image ready for OCR (grey TIFF bytes), with the layout facts read from it."""

    data: bytes
    width: int
    height: int
    lines: int  # long horizontal or vertical ruling lines
    skew: float  # degrees corrected
    ink: float  # share of dark pixels: a blank page is not worth an OCR run


# ISO base media brands of HEIF still images (iPhones: heic; others: mif1, heix...).
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def image_kind(data: bytes) -> str | None:
    """Name the image format from its first bytes ("jpeg", "png", "tiff", "heif"), if it is one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heif"
    return None


def _register_heif() -> None:
    # pillow-heif teaches Pillow to open HEIC/HEIF (iPhone photos); Pillow's pixel limit still applies.
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - a dependency; without it HEIC photos read as damaged
        return
    pillow_heif.register_heif_opener()


_register_heif()


def decode_photo(data: bytes, max_pixels: int) -> Image.Image:
    """Decode an uploaded photo or scan into a grey image, upright per its EXIF data."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels:
                raise ImageRefused(f"{image.width}×{image.height} pixels > {max_pixels / 1e6:g} Mpx")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own sentence is English and names its own limit (twice ours): say ours.
        raise ImageRefused(f"pixels > {max_pixels / 1e6:g} Mpx") from None
    except ImageRefused:
        raise
    except Exception as exc:  # Pillow raises many types on damaged data
        raise ImageRefused(f"{type(exc).__name__}: {exc}") from None
    upright: Image.Image = ImageOps.exif_transpose(image) or image
    return upright.convert("L")


def prepare(image: Image.Image, photo: bool = False) -> PreparedImage:
    """Even out lighting (photos), straighten, count ruling lines and encode a grey image for OCR."""
    grey = image.convert("L")
    scale = min(1.0, MAX_SIDE / max(grey.width, grey.height))
    if scale < 1.0:
        grey = grey.resize(
            (max(1, int(grey.width * scale)), max(1, int(grey.height * scale))), Image.Resampling.LANCZOS
        )
    if photo:
        grey = _flatten_lighting(grey)
    skew = estimate_skew(grey)
    if abs(skew) >= 0.3:
        grey = grey.rotate(-skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    lines = count_ruling_lines(grey)
    ink = float(_binary(grey, 700).mean())
    buffer = io.BytesIO()
    grey.save(buffer, format="TIFF", compression="packbits")  # fast to write; runs of white shrink
    return PreparedImage(buffer.getvalue(), grey.width, grey.height, lines, skew, ink)


def _flatten_lighting(grey: Image.Image) -> Image.Image:
    # Divide by a blurred background estimate: shadows and vignetting from phone photos disappear.
    small = grey.resize((max(1, grey.width // 8), max(1, grey.height // 8)), Image.Resampling.BILINEAR)
    background = small.filter(ImageFilter.MaxFilter(9)).filter(ImageFilter.GaussianBlur(6))
    background = background.resize(grey.size, Image.Resampling.BILINEAR)
    page = np.asarray(grey, dtype=np.float32)
    back = np.maximum(np.asarray(background, dtype=np.float32), 1.0)
    flat = np.clip(page / back * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(flat)


def _binary(grey: Image.Image, width: int) -> np.ndarray:
    scale = width / grey.width
    small = grey.resize((width, max(1, int(grey.height * scale))), Image.Resampling.BILINEAR)
    pixels = np.asarray(small, dtype=np.uint8)
    threshold = min(160, int(pixels.mean() * 0.75))
    return pixels < threshold


def estimate_skew(grey: Image.Image, max_angle: float = 8.0, step: float = 1.0, width: int = 700) -> float:
    """Estimate how far (degrees, counter-clockwise) the text lines are turned from horizontal."""
    if grey.width < 100 or grey.height < 100:
        return 0.0
    ink = _binary(grey, width)
    if ink.mean() < 0.002:
        return 0.0
    rows_at, cols_at = np.nonzero(ink)
    if len(cols_at) > 60_000:  # sample: the profile's shape survives, the time does not grow with the page
        keep = np.random.default_rng(0).choice(len(cols_at), 60_000, replace=False)
        rows_at, cols_at = rows_at[keep], cols_at[keep]
    # Points jittered within their pixel: at steep angles a pixel grid's rows alias into false peaks.
    jitter = np.random.default_rng(1)
    ys = rows_at + jitter.random(len(rows_at))
    xs = cols_at + jitter.random(len(cols_at))
    height = ink.shape[0]

    def sharpness(angle: float) -> float:
        # Row profile of the ink after rotating by `angle`: sharpest when text lines are horizontal.
        theta = np.deg2rad(angle)
        rows = (ys * np.cos(theta) + xs * np.sin(theta)).astype(np.int64)
        profile = np.bincount(rows - rows.min(), minlength=height)
        return float(np.sum(np.diff(profile.astype(np.float64)) ** 2))

    coarse = np.arange(-max_angle, max_angle + 0.01, step)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - step, best + step + 0.01, 0.2 * step)
    best = max(fine, key=sharpness)
    return round(float(best), 1)


CELL = 12  # pixels of the 700-pixel-wide ink map per cell when looking for leftover blocks
TURNED_MIN_DEGREES = 5.0  # a leftover block whose lines are turned less than this is no stamp
DARK_BLOCK_CELLS = 20  # dense cells joined into a block this large are background, not letters
TURNED_MAX_REGIONS = 3  # blocks read again per page, largest first: time stays bounded


def turned_regions(encoded: bytes, read_boxes: list[tuple[int, int, int, int]]) -> list[bytes]:
    """Find blocks of ink that OCR did not read and whose lines are turned (stamps); return them upright.

    ``read_boxes`` are the (left, top, width, height) pixel boxes of words OCR read well. What ink is
    left is cut into blocks (cells of the ink map joined with their neighbours); a block whose text
    lines run at an angle is cropped from the page, turned level and handed back for another OCR run.
    """
    grey = open_image(encoded).convert("L")
    ink = _binary(grey, 700)
    scale = ink.shape[1] / grey.width
    _blank(ink, read_boxes, scale)
    rows, cols = ink.shape[0] // CELL, ink.shape[1] // CELL
    if rows == 0 or cols == 0:
        return []
    density = ink[: rows * CELL, : cols * CELL].reshape(rows, CELL, cols, CELL).mean(axis=(1, 3))
    # Text cells hold some ink; solid dark ones are shadows, margins beyond the sheet, photos, and the
    # cells around them are their frayed edges: a stamp near the sheet's edge must not join them.
    labels = np.zeros(density.shape, dtype=np.int32)
    dense = _cell_blocks(density >= 0.45, labels)
    # Bold letters make small dense blocks; shadows and the background around a sheet make large ones.
    dark = np.isin(labels, [i + 1 for i, block in enumerate(dense) if block[4] >= DARK_BLOCK_CELLS])
    near_dark = dark.copy()
    padded = np.pad(dark, 2)
    for dr in range(5):
        for dc in range(5):
            near_dark |= padded[dr : dr + rows, dc : dc + cols]
    cells = (density > 0.04) & ~near_dark
    blocks = _cell_blocks(cells)
    found: list[tuple[int, bytes]] = []
    for r0, c0, r1, c1, count in sorted(blocks, key=lambda b: -b[4])[: TURNED_MAX_REGIONS * 3]:
        if count < 6 or (r1 - r0) * (c1 - c0) > rows * cols * 0.5:
            continue  # a speck, or most of the page (a drawing, a photo): not a stamp
        if r0 == 0 or c0 == 0 or r1 == rows or c1 == cols:
            continue  # touches the edge: the shadow or background around a photographed sheet
        box = tuple(int(v * CELL / scale) for v in (c0 - 1, r0 - 1, c1 + 1, r1 + 1))
        left, top = max(0, box[0]), max(0, box[1])
        crop = grey.crop((left, top, min(grey.width, box[2]), min(grey.height, box[3])))
        angle = estimate_skew(crop, max_angle=60.0, step=3.0, width=min(700, crop.width))
        if abs(angle) < TURNED_MIN_DEGREES:
            continue
        level = crop.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        buffer = io.BytesIO()
        level.save(buffer, format="TIFF", compression="packbits")
        found.append((count, buffer.getvalue()))
        if len(found) >= TURNED_MAX_REGIONS:
            break
    return [data for _, data in found]


def _blank(ink: np.ndarray, boxes: list[tuple[int, int, int, int]], scale: float) -> None:
    """Clear the ink of the boxes given in page pixels (left, top, width, height) from a scaled ink map."""
    pad = 3
    for left, top, width, height in boxes:
        x0, y0 = max(0, int(left * scale) - pad), max(0, int(top * scale) - pad)
        ink[y0 : int((top + height) * scale) + pad, x0 : int((left + width) * scale) + pad] = False


def unread_ink(encoded: bytes, read_boxes: list[tuple[int, int, int, int]]) -> float:
    """Return the share of a page's ink that lies outside the words OCR read well (``read_boxes``)."""
    grey = open_image(encoded).convert("L")
    ink = _binary(grey, 700)
    total = int(ink.sum())
    if total == 0:
        return 0.0
    _blank(ink, read_boxes, ink.shape[1] / grey.width)
    return int(ink.sum()) / total


def _cell_blocks(cells: np.ndarray, labels: np.ndarray | None = None) -> list[tuple[int, int, int, int, int]]:
    """Join inked cells with their 8 neighbours; return each block's cell box and size.

    When ``labels`` is given, each cell of block i (0-based in the list returned) is set to i + 1.
    """
    seen = np.zeros_like(cells, dtype=bool)
    blocks: list[tuple[int, int, int, int, int]] = []
    rows, cols = cells.shape
    for start in zip(*np.nonzero(cells), strict=True):
        if seen[start]:
            continue
        stack = [start]
        seen[start] = True
        number = len(blocks) + 1
        r0, c0, r1, c1, count = start[0], start[1], start[0] + 1, start[1] + 1, 0
        while stack:
            r, c = stack.pop()
            count += 1
            if labels is not None:
                labels[r, c] = number
            r0, c0, r1, c1 = min(r0, r), min(c0, c), max(r1, r + 1), max(c1, c + 1)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < rows and 0 <= nc < cols and cells[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        stack.append((nr, nc))
        blocks.append((int(r0), int(c0), int(r1), int(c1), count))
    return blocks


def count_ruling_lines(grey: Image.Image) -> int:
    """Count long straight horizontal and vertical strokes: walls and frames of a drawing, table rules."""
    ink = _binary(grey, 1000)
    return _runs(ink, axis=1) + _runs(ink, axis=0)


def _runs(ink: np.ndarray, axis: int) -> int:
    # A line: a row (or column) whose longest dark run is ≥ 6 % of the side; text never is that long.
    grid = ink if axis == 1 else ink.T
    side = grid.shape[1]
    min_run = max(20, int(side * 0.06))
    padded = np.pad(grid.astype(np.int8), ((0, 0), (1, 1)))
    diff = np.diff(padded, axis=1)
    count = 0
    previous = False
    for row_diff in diff:
        starts = np.flatnonzero(row_diff == 1)
        ends = np.flatnonzero(row_diff == -1)
        longest = int((ends - starts).max()) if len(starts) else 0
        has_line = longest >= min_run
        if has_line and not previous:  # adjacent rows belong to one thick line
            count += 1
        previous = has_line
    return count


def ruling_lines(encoded: bytes) -> int:
    """Count the long horizontal and vertical strokes of an image this module produced."""
    return count_ruling_lines(open_image(encoded).convert("L"))


def image_size(encoded: bytes) -> tuple[int, int]:
    """Return an encoded image's width and height from its header, without decoding its pixels."""
    size: tuple[int, int] = Image.open(io.BytesIO(encoded)).size
    return size


def open_image(encoded: bytes) -> Image.Image:
    """Open an image this module produced (a grey TIFF) and decode it."""
    image = Image.open(io.BytesIO(encoded))
    image.load()
    return image


def rotate_image(encoded: bytes, degrees: int) -> bytes:
    """Rotate an image by a multiple of 90 degrees (clockwise, as tesseract's OSD reports it)."""
    image = open_image(encoded).rotate(-degrees, expand=True)
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF", compression="packbits")
    return buffer.getvalue()


def _window_all(ink: np.ndarray, length: int) -> np.ndarray:
    """Return, along axis 1, whether each window of ``length`` pixels starting there is all ink."""
    held, span = ink, 1
    while span * 2 <= length:
        held = held[:, :-span] & held[:, span:]
        span *= 2
    rest = length - span
    if rest:
        held = held[:, :-rest] & held[:, rest:]
    return held


def _window_any(starts: np.ndarray, length: int) -> np.ndarray:
    """Spread each window start over the ``length`` pixels its window covers (axis 1)."""
    held = np.pad(starts, ((0, 0), (length - 1, length - 1)))
    span = 1
    while span * 2 <= length:
        held = held[:, :-span] | held[:, span:]
        span *= 2
    rest = length - span
    if rest:
        held = held[:, :-rest] | held[:, rest:]
    return held


def _long_runs(ink: np.ndarray, length: int) -> np.ndarray:
    """Mark the ink pixels that lie on a horizontal run of at least ``length`` pixels."""
    if ink.shape[1] < length:
        return np.zeros_like(ink)
    return _window_any(_window_all(ink, length), length)


LINE_RUN_FRACTION = 1 / 80  # a stroke this long (of the page's longer side) is a wall or a rule
LINE_RUN_MIN = 16  # pixels: never shorter (a letter's stem at the smallest readable size)


@dataclass(frozen=True)
class ErasedLines:
    """A page image without its long straight strokes (walls, dimension lines), and how much ink they held."""

    data: bytes  # black-and-white TIFF
    line_share: float  # share of the page's ink that lay on long horizontal or vertical strokes


def erase_lines(encoded: bytes) -> ErasedLines:
    """Erase long horizontal and vertical strokes so the small text touching them stands alone for OCR.

    A stroke is long when it passes ``LINE_RUN_FRACTION`` of the page's longer side: about twice the
    height of the dimension figures on a drawing, which must stand alone. The stems of larger letters
    may go too: a drawing is also read as it is (``dossier_checker.ocr``).
    """
    grey = np.asarray(open_image(encoded).convert("L"), dtype=np.uint8)
    threshold = min(160, int(grey.mean() * 0.75))
    ink = grey < threshold
    length = max(LINE_RUN_MIN, int(max(ink.shape) * LINE_RUN_FRACTION))
    strokes = _long_runs(ink, length) | _long_runs(ink.T, length).T
    # Grow the strokes by a pixel: their grey, slightly skewed edges would otherwise stay as specks.
    grown = strokes.copy()
    grown[1:] |= strokes[:-1]
    grown[:-1] |= strokes[1:]
    grown[:, 1:] |= strokes[:, :-1]
    grown[:, :-1] |= strokes[:, 1:]
    kept = ink & ~grown
    share = float(strokes.sum()) / max(1, int(ink.sum()))
    buffer = io.BytesIO()
    Image.fromarray(~kept).convert("1").save(buffer, format="TIFF", compression="group4")
    return ErasedLines(buffer.getvalue(), share)
