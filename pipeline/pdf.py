"""Read PDFs: the text layer in reading order, page by page; pages without one are OCR'd.

A page of a newsletter is laid out in columns, with a title across them, a running header and a page
number. The text layer (pdfplumber: every character with its box) is turned into lines here; the
layout code (:mod:`pipeline.layout`) puts them in reading order by finding column gutters, groups
the lines of each column into paragraphs by their geometry, and leaves out the lines that repeat at
the top or bottom of every page (headers, footers, page numbers). Pages without a text layer are
OCR'd (:mod:`pipeline.ocr`) and go through the same layout code.

What becomes of a PDF in the Document:

- ``original``: every page's lines in reading order, one per line, paragraphs separated by a blank
  line, pages by a blank line; running headers and footers included (they are on the page);
- ``text``: the same without the running lines, with the lines of each paragraph joined
  (``offsets`` map every character back to ``original``);
- ``page_starts``: where each page begins in ``original``, so paragraphs get their page number.
"""

from __future__ import annotations

import io
import logging
import re
import statistics

from . import ocr
from .document import Document
from .layout import Page, TextLine, fill_document

#: A page with fewer usable characters than this has no text layer worth reading: it is OCR'd.
MIN_TEXT_CHARS = 8
#: Resolution at which a page without a text layer is rendered for OCR: the resolution of the scan
#: it holds, within these bounds (rendering a 200 dpi scan at 300 dpi makes OCR slower, not better),
#: or the default when the page holds no image.
OCR_DPI, MIN_OCR_DPI, MAX_OCR_DPI = 300, 150, 400
#: A newsletter issue has a few dozen pages. A PDF with more is a book or an archive in one file:
#: read as one document it took over 600 s and 2.75 GB (2,000 text pages), so it is refused with
#: the reason (counted by pdfium, which reads the page tree without laying out any page).
MAX_PAGES = 500


# ---------------------------------------------------------------- characters to lines (text layer)


def lines_from_chars(chars: list[dict]) -> list[TextLine]:
    """Group pdfplumber characters into lines, split where a gap wider than a character (a gutter)
    separates them. Spaces are kept where the PDF has them, and added for gaps of half a character."""
    chars = [c for c in chars if c.get("upright", True) and c.get("text")]
    if not chars:
        return []
    chars.sort(key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"]))
    rows: list[list[dict]] = []
    row_cy = row_h = 0.0
    for c in chars:
        cy, h = (c["top"] + c["bottom"]) / 2, max(c["bottom"] - c["top"], 1.0)
        if rows and abs(cy - row_cy) <= 0.4 * max(h, row_h):
            rows[-1].append(c)
        else:
            rows.append([c])
            row_cy, row_h = cy, h
    lines: list[TextLine] = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        piece: list[dict] = []
        for c in row:
            size = max(c.get("size") or (c["bottom"] - c["top"]), 1.0)
            if piece and c["x0"] - piece[-1]["x1"] > 1.0 * size:
                lines.append(_line_of(piece))
                piece = []
            piece.append(c)
        lines.append(_line_of(piece))
    return [line for line in lines if line.text.strip()]


def _line_of(chars: list[dict]) -> TextLine:
    parts: list[str] = []
    previous: list[dict | None] = [None, *chars[:-1]]
    for prev, c in zip(previous, chars, strict=False):
        size = max(c.get("size") or (c["bottom"] - c["top"]), 1.0)
        if prev is not None and c["x0"] - prev["x1"] > 0.5 * size and " " not in (prev["text"], c["text"]):
            parts.append(" ")
        parts.append(c["text"])
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    sizes = [c.get("size") or (c["bottom"] - c["top"]) for c in chars if c["text"].strip()]
    return TextLine(
        text,
        min(c["x0"] for c in chars),
        min(c["top"] for c in chars),
        max(c["x1"] for c in chars),
        max(c["bottom"] for c in chars),
        statistics.median(sizes) if sizes else 10.0,
    )


# ---------------------------------------------------------------- the PDF reader


def _usable(chars: list[dict]) -> tuple[list[dict], int, int]:
    """(characters to read, how many carry text, how many are unmapped glyphs such as ``(cid:12)``)."""
    mapped = [c for c in chars if c.get("text") and not c["text"].startswith("(cid:")]
    unmapped = len(chars) - len(mapped)
    return mapped, sum(1 for c in mapped if c["text"].strip()), unmapped


def read_pdf(raw: bytes, source: str = "<pdf>", doc: Document | None = None, ocr_lang: str | None = None) -> Document:
    """Read a PDF into ``doc``: the text layer where a page has one, OCR where it has not.

    A damaged or encrypted PDF, or one whose scanned pages cannot be OCR'd (Tesseract missing),
    gives a failed Document with the reason.
    """
    import pdfplumber

    doc = doc or Document(source=source)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    n_pages = _page_count(raw)
    if n_pages is not None and n_pages > MAX_PAGES:
        return doc.fail(_too_many_pages(n_pages))
    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
        n_pages = len(pdf.pages)
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types for damaged files
        return doc.fail(f"damaged or unreadable PDF: {_reason(exc)}")
    if n_pages == 0:
        return doc.fail("PDF has no pages")
    if n_pages > MAX_PAGES:  # pdfium could not count them
        pdf.close()
        return doc.fail(_too_many_pages(n_pages))
    pages: list[Page] = []
    needs_ocr: dict[int, float] = {}  # page number -> resolution to render it at
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                chars, n_text, unmapped = _usable(page.dedupe_chars().chars)
                height = float(page.height)
            except Exception as exc:  # noqa: BLE001
                return doc.fail(f"damaged PDF: page {number} cannot be read: {_reason(exc)}")
            if n_text < MIN_TEXT_CHARS:
                if unmapped:
                    doc.warnings.append(f"page {number}: text layer has no Unicode mapping; OCR'd instead")
                needs_ocr[number] = _scan_dpi(page)
                pages.append(Page([], height, number, ocr=True))
            else:
                pages.append(Page(lines_from_chars(chars), height, number))
            page.close()  # pdfplumber keeps every page's objects otherwise: memory grows with the pages
    doc.encoding = "pdf"
    if needs_ocr:
        problem = ocr.tesseract_problem()
        if problem:
            pages_word = "pages" if len(needs_ocr) > 1 else "page"
            which = (
                "it has no text layer"
                if len(needs_ocr) == n_pages
                else f"{pages_word} {_ranges(list(needs_ocr))} of {n_pages} have no text layer"
            )
            return doc.fail(f"cannot OCR this PDF ({which}): {problem}")
        try:
            lang = ocr_lang
            for number, image in _render(raw, needs_ocr):
                lang = lang or ocr.choose_lang(image)
                lines, height = ocr.ocr_lines(image, lang)
                pages[number - 1] = Page(lines, height, number, ocr=True)
        except ocr.OcrError as exc:
            return doc.fail(f"OCR failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - pdfium rendering errors
            return doc.fail(f"damaged PDF: a page cannot be rendered for OCR: {_reason(exc)}")
        doc.encoding = f"pdf+ocr:{lang}" if len(needs_ocr) < n_pages else f"ocr:{lang}"
        doc.warnings.append(f"OCR ({lang}) on page{'s' if len(needs_ocr) > 1 else ''} {_ranges(list(needs_ocr))}")
    fill_document(doc, pages)
    if not doc.text.strip():
        return doc.fail("no text in this PDF: the text layer is empty and OCR found no text")
    return doc


def _page_count(raw: bytes) -> int | None:
    """The number of pages, from the page tree alone (None if pdfium cannot open the file)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except Exception:  # noqa: BLE001 - damaged or encrypted: pdfplumber says why below
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def _too_many_pages(n_pages: int) -> str:
    return f"PDF too long for one document: {n_pages} pages (limit {MAX_PAGES}); split it into issues"


def _scan_dpi(page) -> float:
    """The resolution of the largest image on a pdfplumber page (clamped), or ``OCR_DPI``."""
    try:
        images = [im for im in page.images if im.get("srcsize") and im["x1"] - im["x0"] > 0]
    except Exception:  # noqa: BLE001 - a damaged image dictionary: render at the default
        return OCR_DPI
    if not images:
        return OCR_DPI
    largest = max(images, key=lambda im: (im["x1"] - im["x0"]) * (im["bottom"] - im["top"]))
    dpi = largest["srcsize"][0] / ((largest["x1"] - largest["x0"]) / 72)
    return min(max(dpi, MIN_OCR_DPI), MAX_OCR_DPI)


def _render(raw: bytes, pages: dict[int, float]):
    """Yield ``(page number, greyscale PIL image)`` for the given 1-based pages, each at its resolution."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(raw)
    try:
        for number, dpi in pages.items():
            page = pdf[number - 1]
            yield number, page.render(scale=dpi / 72, grayscale=True).to_pil()
            page.close()
    finally:
        pdf.close()


def _reason(exc: Exception) -> str:
    message = str(exc).strip() or "no details"
    return f"{type(exc).__name__}: {message[:200]}"


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` → ``1-3, 5``."""
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)
