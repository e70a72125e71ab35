"""OCR with Tesseract: scanned pages and images into lines with boxes, then into a Document.

Tesseract is called directly (``tesseract stdin stdout -l LANG --psm 3 tsv``) with one OpenMP thread:
on a small machine its default thread pool spends more time contending than recognising (a page takes
4 s with one thread and 18 s with the default on two shared cores). Its TSV output gives every word
with a box and a confidence; words become lines, and the lines go through the same reading-order and
paragraph code as a PDF's text layer (:mod:`pipeline.layout`), so columns are read in order and running
headers and page numbers are left out.

The language is ``chi_sim`` or ``chi_tra``: ``$KB_OCR_LANG`` when set (any Tesseract language string,
e.g. ``chi_tra`` or ``chi_sim+eng``), otherwise chosen per document by OCR'ing a strip of the first
page with ``chi_sim+chi_tra`` and asking :func:`pipeline.normalize.detect_script` which script it is.

Without Tesseract (or without its Chinese language data) nothing crashes: the document is recorded
as failed with a message that says what to install.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
from functools import lru_cache

from .document import Document
from .layout import Page, TextLine, fill_document

TESSERACT = "tesseract"
LANGS = ("chi_sim", "chi_tra")
INSTALL_HINT = "install the Debian packages tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra"
#: Seconds one page may take before it is given up.
TIMEOUT = 180
#: Images larger than this many pixels are refused (a decompression bomb, or a poster, not a page).
MAX_PIXELS = 120_000_000
#: A line of at most two characters that Tesseract is less sure of than this is a speck or a smudge.
#: (Single words are not filtered by confidence: on degraded scans Tesseract often gives correct
#: characters a confidence of 0.)
MIN_SPECK_CONF = 30.0


class OcrError(RuntimeError):
    """Tesseract is missing, failed or timed out; the message says which and what to do."""


@lru_cache(maxsize=8)
def _languages(command: str) -> tuple[str, ...]:
    result = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=30)
    return tuple(line.strip() for line in result.stdout.splitlines()[1:] if line.strip())


def tesseract_problem() -> str | None:
    """None when Tesseract with Chinese language data can run; otherwise what is wrong and the fix."""
    command = shutil.which(TESSERACT)
    if command is None:
        return f"Tesseract is not installed (no '{TESSERACT}' on PATH); {INSTALL_HINT}"
    try:
        langs = _languages(command)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Tesseract cannot run ({exc}); {INSTALL_HINT}"
    missing = [lang for lang in LANGS if lang not in langs]
    if len(missing) == len(LANGS):
        return f"Tesseract has no Chinese language data (has: {', '.join(langs) or 'none'}); {INSTALL_HINT}"
    return None


def _available_langs() -> tuple[str, ...]:
    command = shutil.which(TESSERACT)
    return _languages(command) if command else ()


def run_tesseract(image, lang: str, psm: int = 3, timeout: float = TIMEOUT) -> str:
    """Tesseract's TSV output for a PIL image. Raises :class:`OcrError` with a clear reason."""
    command = shutil.which(TESSERACT)
    if command is None:
        raise OcrError(f"Tesseract is not installed; {INSTALL_HINT}")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        result = subprocess.run(
            [command, "stdin", "stdout", "-l", lang, "--psm", str(psm), "tsv"],
            input=buf.getvalue(),
            capture_output=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"Tesseract took longer than {timeout:.0f} s on a page") from exc
    except OSError as exc:
        raise OcrError(f"Tesseract cannot run: {exc}; {INSTALL_HINT}") from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"Tesseract failed (exit {result.returncode}): {detail[-1] if detail else 'no message'}")
    return result.stdout.decode("utf-8", "replace")


def parse_tsv(tsv: str) -> list[TextLine]:
    """Lines from Tesseract's TSV: its words grouped by (block, paragraph, line), specks dropped.

    Words are joined without spaces except between two Latin words or numbers (Tesseract puts a
    space between every Chinese "word" it finds); ``size`` is the median word height.
    """
    groups: dict[tuple[int, int, int], list[tuple[str, float, float, float, float, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        word, conf = cols[11].strip(), float(cols[10])
        if not word or conf < 0:
            continue
        left, top, width, height = (float(v) for v in cols[6:10])
        groups.setdefault((int(cols[2]), int(cols[3]), int(cols[4])), []).append(
            (word, left, top, left + width, top + height, conf)
        )
    lines = []
    for words in groups.values():
        words.sort(key=lambda w: w[1])
        text = ""
        for word, *_ in words:
            if text and text[-1].isascii() and text[-1].isalnum() and word[0].isascii() and word[0].isalnum():
                text += " "
            text += word
        mean_conf = statistics.mean(w[5] for w in words)
        if not any(ch.isalnum() for ch in text) or (len(text) <= 2 and mean_conf < MIN_SPECK_CONF):
            continue
        lines.append(
            TextLine(
                text,
                min(w[1] for w in words),
                min(w[2] for w in words),
                max(w[3] for w in words),
                max(w[4] for w in words),
                statistics.median(w[4] - w[2] for w in words),
                mean_conf,
            )
        )
    return lines


def prepare(image):
    """A greyscale image for Tesseract: transparency flattened onto white, EXIF rotation applied."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("L")


def ocr_lines(image, lang: str) -> tuple[list[TextLine], float]:
    """OCR one page image: its lines (boxes in pixels) and its height."""
    image = prepare(image)
    return parse_tsv(run_tesseract(image, lang)), float(image.height)


def choose_lang(image) -> str:
    """``$KB_OCR_LANG``, else ``chi_tra`` or ``chi_sim`` by the script of a sample strip of the page.

    The strip (the middle third, full width) is read with both languages at once; a text that
    :func:`~pipeline.normalize.detect_script` calls Traditional is read with ``chi_tra``.
    """
    forced = os.environ.get("KB_OCR_LANG", "").strip()
    if forced:
        return forced
    langs = _available_langs()
    if "chi_sim" not in langs or "chi_tra" not in langs:
        return "chi_sim" if "chi_sim" in langs else "chi_tra"
    from .normalize import detect_script

    image = prepare(image)
    strip = image.crop((0, image.height // 3, image.width, 2 * image.height // 3))
    sample = "".join(line.text for line in parse_tsv(run_tesseract(strip, "chi_sim+chi_tra")))
    return "chi_tra" if detect_script(sample) == "traditional" else "chi_sim"


def read_image(
    raw: bytes, source: str = "<image>", doc: Document | None = None, ocr_lang: str | None = None
) -> Document:
    """OCR an image file (PNG, JPEG, TIFF; every frame of a multi-page TIFF is a page) into ``doc``."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    doc = doc or Document(source=source)
    try:
        image = Image.open(io.BytesIO(raw))
        if image.width * image.height > MAX_PIXELS:
            return doc.fail(f"image too large: {image.width}x{image.height} pixels (limit {MAX_PIXELS})")
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        return doc.fail(f"damaged or unsupported image: {type(exc).__name__}: {str(exc)[:200]}")
    problem = tesseract_problem()
    if problem:
        return doc.fail(f"cannot OCR this image: {problem}")
    pages = []
    try:
        lang = ocr_lang or choose_lang(frames[0])
        for number, frame in enumerate(frames, start=1):
            lines, height = ocr_lines(frame, lang)
            pages.append(Page(lines, height, number, ocr=True))
    except OcrError as exc:
        return doc.fail(f"OCR failed: {exc}")
    except OSError as exc:  # a truncated image fails when its pixels are decoded
        return doc.fail(f"damaged image: {type(exc).__name__}: {str(exc)[:200]}")
    doc.encoding = f"ocr:{lang}"
    fill_document(doc, pages)
    if not doc.text.strip():
        return doc.fail(f"OCR ({lang}) found no text in this image")
    confs = [line.conf for page in pages for line in page.lines]
    if confs and statistics.mean(confs) < 60:
        doc.warnings.append(f"low OCR confidence: mean {statistics.mean(confs):.0f} of 100")
    return doc
