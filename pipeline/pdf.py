"""Read PDFs: the text layer in reading order, page by page; pages without one are OCR'd.

A page of a newsletter is laid out in columns, with a title across them, a running header and a page
number. The text layer (pdfplumber: every character with its box) is turned into lines, the lines
put in reading order by finding column gutters, the lines of each column grouped into paragraphs by
their geometry (first-line indent, a line stopping short, a wider gap, a change of size), and lines
that repeat at the top or bottom of every page (headers, footers, page numbers) left out of the
text. The same layout code orders the lines Tesseract finds on a scanned page (``pipeline.ocr``).

What becomes of a PDF in the Document:

- ``original``: every page's lines in reading order, one per line, paragraphs separated by a blank
  line, pages by a blank line; running headers and footers included (they are on the page);
- ``text``: the same without the running lines, with the lines of each paragraph joined
  (``offsets`` map every character back to ``original``);
- ``page_starts``: where each page begins in ``original``, so paragraphs get their page number.
"""
from __future__ import annotations

import difflib
import io
import logging
import re
import statistics
from dataclasses import dataclass, field

from .document import Document

#: A page with fewer usable characters than this has no text layer worth reading: it is OCR'd.
MIN_TEXT_CHARS = 8
#: Resolution at which a page without a text layer is rendered for OCR: the resolution of the scan
#: it holds, within these bounds (rendering a 200 dpi scan at 300 dpi makes OCR slower, not better),
#: or the default when the page holds no image.
OCR_DPI, MIN_OCR_DPI, MAX_OCR_DPI = 300, 150, 400
#: Share of the page height at the top and at the bottom where running headers and footers live.
EDGE = 0.15
#: A newsletter issue has a few dozen pages. A PDF with more is a book or an archive in one file:
#: read as one document it took over 600 s and 2.75 GB (2,000 text pages), so it is refused with
#: the reason (counted by pdfium, which reads the page tree without laying out any page).
MAX_PAGES = 500

#: A line starting with one of these continues the line before (its ink sits right of its box,
#: so it looks indented).
CLOSING = set("，。、；：！？”’）》」』】…,.;:!?)")

PAGE_NUMBER = re.compile(
    r"[-—–一~·•\s]*\d{1,4}[-—–一~·•\s]*"                       # 3, - 3 -, —3—
    r"|第\s*[\d一二三四五六七八九十百零〇]+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"  # 第3页, 第3页 共8页
    r"|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?"                # Page 3 of 8
    r"|\d{1,4}\s*/\s*\d{1,4}",                                   # 3/8
    re.IGNORECASE,
)


@dataclass
class TextLine:
    """A line (or a piece of a line between column gutters) of text with its box on the page.

    Coordinates grow rightwards and downwards (points for a PDF, pixels for a scan); ``size`` is the
    font size or the height of the characters, the unit all layout thresholds are measured in.
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    conf: float = 100.0  # OCR confidence (0–100); 100 for a text layer

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Page:
    """The lines found on one page, and its height (to tell headers and footers)."""

    lines: list[TextLine]
    height: float
    number: int  # 1-based
    ocr: bool = False
    warnings: list[str] = field(default_factory=list)


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
    for prev, c in zip([None] + chars[:-1], chars):
        size = max(c.get("size") or (c["bottom"] - c["top"]), 1.0)
        if prev is not None and c["x0"] - prev["x1"] > 0.5 * size and " " not in (prev["text"], c["text"]):
            parts.append(" ")
        parts.append(c["text"])
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    sizes = [c.get("size") or (c["bottom"] - c["top"]) for c in chars if c["text"].strip()]
    return TextLine(text, min(c["x0"] for c in chars), min(c["top"] for c in chars),
                    max(c["x1"] for c in chars), max(c["bottom"] for c in chars),
                    statistics.median(sizes) if sizes else 10.0)


# ---------------------------------------------------------------- reading order


def _median_size(lines: list[TextLine]) -> float:
    return statistics.median(line.size for line in lines) if lines else 10.0


def find_gutter(lines: list[TextLine]) -> tuple[float, float] | None:
    """A vertical strip free of text between two columns: ``(x0, x1)``, or None.

    A few lines may cross it (a title or a rule across the page: at most 15% of the lines); it must
    be at least one character wide, with at least two lines wholly on each side.
    """
    if len(lines) < 4:
        return None
    size = _median_size(lines)
    lo, hi = min(line.x0 for line in lines), max(line.x1 for line in lines)
    step = max(size / 4, 0.5)
    n_bins = int((hi - lo) / step) + 1
    cover = [0] * n_bins
    for line in lines:
        for b in range(int((line.x0 - lo) / step), min(int((line.x1 - lo) / step) + 1, n_bins)):
            cover[b] += 1
    # The fewest crossing lines first: a strip crossed only by the title beats a wider one that
    # also clips the longest lines of a column.
    for allowed in range(0, max(1, int(0.15 * len(lines))) + 1):
        best: tuple[float, float] | None = None
        b = 0
        while b < n_bins:
            if cover[b] > allowed:
                b += 1
                continue
            start = b
            while b < n_bins and cover[b] <= allowed:
                b += 1
            x0, x1 = lo + start * step, lo + b * step
            if x1 - x0 < size:
                continue
            left = sum(1 for line in lines if line.x1 <= x0 + step)
            right = sum(1 for line in lines if line.x0 >= x1 - step)
            if left >= 2 and right >= 2 and (best is None or x1 - x0 > best[1] - best[0]):
                best = (x0, x1)
        if best:
            return best
    return None


def reading_order(lines: list[TextLine]) -> list[list[TextLine]]:
    """Blocks of lines in reading order: columns left to right, each top to bottom.

    Lines that cross the gutter (a title, a heading across the page) cut the page into bands, read
    top to bottom, each band column by column (a recursive cut, so three columns and columns inside
    a band work too).
    """
    if not lines:
        return []
    gutter = find_gutter(lines)
    if gutter is None:
        return [sort_rows(lines)]
    gx0, gx1 = gutter
    # Lines across the whole strip are titles and headings; a line that only reaches into it (a
    # full stop hanging past the column's edge) stays with the column its middle is in.
    crossing = [line for line in lines if line.x0 < gx0 and line.x1 > gx1]
    if not crossing:
        middle = (gx0 + gx1) / 2
        left = [line for line in lines if (line.x0 + line.x1) / 2 < middle]
        right = [line for line in lines if (line.x0 + line.x1) / 2 >= middle]
        return reading_order(left) + reading_order(right)
    crossing.sort(key=lambda line: line.top)
    ids = {id(line) for line in crossing}
    rest = [line for line in lines if id(line) not in ids]
    bands: list[list[TextLine]] = [[] for _ in range(len(crossing) + 1)]
    for line in rest:
        bands[sum(1 for c in crossing if c.cy <= line.cy)].append(line)
    blocks: list[list[TextLine]] = []
    for k, band in enumerate(bands):
        blocks.extend(reading_order(band))
        if k < len(crossing):
            if k and not bands[k]:  # consecutive crossing lines (a title on two lines) are one block
                blocks[-1].append(crossing[k])
            else:
                blocks.append([crossing[k]])
    return [b for b in blocks if b]


def sort_rows(lines: list[TextLine]) -> list[TextLine]:
    """Top to bottom; pieces of one row (a name and a date far apart) become one line, left to right."""
    size = _median_size(lines)
    ordered = sorted(lines, key=lambda line: (line.cy, line.x0))
    rows: list[list[TextLine]] = []
    for line in ordered:
        if rows and abs(line.cy - rows[-1][0].cy) <= 0.5 * size:
            rows[-1].append(line)
        else:
            rows.append([line])
    merged = []
    for row in rows:
        row.sort(key=lambda line: line.x0)
        if len(row) == 1:
            merged.append(row[0])
            continue
        merged.append(TextLine(" ".join(line.text for line in row), row[0].x0, min(line.top for line in row),
                               max(line.x1 for line in row), max(line.bottom for line in row),
                               statistics.median(line.size for line in row),
                               statistics.mean(line.conf for line in row)))
    return merged


# ---------------------------------------------------------------- paragraphs


def paragraphs(block: list[TextLine]) -> list[list[TextLine]]:
    """Group the lines of one column block into paragraphs.

    A new paragraph starts where a line is indented (Chinese paragraphs open with a two-character
    indent), where the line before stopped short of the column's right edge, where the gap between
    lines is wider than usual, or where the character size changes (a heading). Edges are measured
    against the neighbouring lines, so the slight slant of a scanned page does not look like an indent.
    """
    if not block:
        return []
    size = _median_size(block)
    gaps = [b.top - a.bottom for a, b in zip(block, block[1:])]
    usual_gap = statistics.median(gaps) if gaps else 0.0
    result = [[block[0]]]
    for i in range(1, len(block)):
        a, b = block[i - 1], block[i]
        window = block[max(0, i - 4):i + 4]
        left = min(line.x0 for line in window)
        right = max(line.x1 for line in window)
        new = b.text[:1] not in CLOSING and (
            b.x0 - left >= 1.2 * size
            or right - a.x1 >= 1.5 * size
            or b.top - a.bottom > usual_gap + 0.7 * size
            or (abs(b.size - a.size) > 0.3 * min(a.size, b.size)
                and min(len(a.text), len(b.text)) >= 4))  # a few characters give no reliable size
        if new:
            result.append([b])
        else:
            result[-1].append(b)
    return result


# ---------------------------------------------------------------- running headers and footers


def _edge_lines(page: Page) -> list[TextLine]:
    """Lines in the top or bottom strip of a page: at most the two outermost rows at each end."""
    if not page.lines:
        return []
    ordered = sorted(page.lines, key=lambda line: line.top)
    top = [line for line in ordered[:2] if line.bottom <= EDGE * page.height]
    bottom = [line for line in ordered[-2:] if line.top >= (1 - EDGE) * page.height]
    return top + [line for line in bottom if line not in top]


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def running_lines(pages: list[Page]) -> set[int]:
    """``id()`` of the lines that are headers, footers or page numbers.

    A line is one when it sits at the top or bottom of its page and either is a bare page number
    (``- 3 -``, ``第3页``, ``Page 3 of 8``) or repeats (digits aside, near enough for OCR's
    misreadings) at the top or bottom of at least half the pages, and of two pages at least.
    """
    edges = [_edge_lines(page) for page in pages]
    found: set[int] = set()
    for k, lines in enumerate(edges):
        for line in lines:
            text = line.text.strip()
            if PAGE_NUMBER.fullmatch(text):
                found.add(id(line))
                continue
            if len(pages) < 2:
                continue
            key = _key(text)
            pages_with = 1 + sum(
                1 for j, other in enumerate(edges) if j != k
                and any(difflib.SequenceMatcher(None, key, _key(o.text)).ratio() >= 0.8 for o in other))
            if pages_with >= max(2, len(pages) / 2):
                found.add(id(line))
    return found


# ---------------------------------------------------------------- pages to a Document


def _glue(left: str, right: str) -> str:
    """What joins two lines of a paragraph: a space between Latin words or numbers, else nothing."""
    if left and right and left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return " "
    return ""


def fill_document(doc: Document, pages: list[Page]) -> Document:
    """Set ``original``, ``text``, ``offsets`` and ``page_starts`` of ``doc`` from laid-out pages."""
    running = running_lines(pages)
    original: list[str] = []
    text: list[str] = []
    offsets: list[int] = []
    at = 0  # length of the original so far

    def put(s: str) -> int:
        nonlocal at
        original.append(s)
        start = at
        at += len(s)
        return start

    doc.page_starts = []
    for page in pages:
        if original:
            put("\n")
        doc.page_starts.append(at)
        head = [line for line in page.lines if id(line) in running and line.cy < page.height / 2]
        foot = [line for line in page.lines if id(line) in running and line.cy >= page.height / 2]
        body = [line for line in page.lines if id(line) not in running]
        for line in sorted(head, key=lambda line: (line.top, line.x0)):
            put(line.text + "\n")
        if head:
            put("\n")
        for block in reading_order(body):
            for para in paragraphs(block):
                if text:
                    text.append("\n\n")
                    offsets.extend([at - 1, at - 1] if at else [0, 0])
                for n, line in enumerate(para):
                    if n:
                        glue = _glue(para[n - 1].text, line.text)
                        newline = put("\n")
                        if glue:
                            text.append(glue)
                            offsets.append(newline)
                    start = put(line.text)
                    text.append(line.text)
                    offsets.extend(range(start, start + len(line.text)))
                put("\n\n")
        for line in sorted(foot, key=lambda line: (line.top, line.x0)):
            put(line.text + "\n")
    doc.original = "".join(original).rstrip("\n") + "\n"
    doc.text = "".join(text)
    doc.offsets = [min(o, len(doc.original) - 1) for o in offsets]
    return doc


# ---------------------------------------------------------------- the PDF reader


def _usable(chars: list[dict]) -> tuple[list[dict], int, int]:
    """(characters to read, how many carry text, how many are unmapped glyphs such as ``(cid:12)``)."""
    mapped = [c for c in chars if c.get("text") and not c["text"].startswith("(cid:")]
    unmapped = len(chars) - len(mapped)
    return mapped, sum(1 for c in mapped if c["text"].strip()), unmapped


def read_pdf(raw: bytes, source: str = "<pdf>", doc: Document | None = None,
             ocr_lang: str | None = None) -> Document:
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
        from . import ocr

        problem = ocr.tesseract_problem()
        if problem:
            which = "it has no text layer" if len(needs_ocr) == n_pages else \
                f"page{'s' if len(needs_ocr) > 1 else ''} {_ranges(list(needs_ocr))} of {n_pages} have no text layer"
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
    return (f"PDF too long for one document: {n_pages} pages (limit {MAX_PAGES}); "
            "split it into issues")


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
