"""Page layout: lines with their boxes, in reading order, grouped into paragraphs, into a Document.

The part of reading a page that does not care where its lines came from: a PDF's text layer
(:mod:`pipeline.pdf`) or Tesseract's words on a scan (:mod:`pipeline.ocr`). Column gutters give the
reading order, the lines of each column are grouped into paragraphs by their geometry (first-line
indent, a line stopping short, a wider gap, a change of size), and lines that repeat at the top or
bottom of every page (headers, footers, page numbers) are left out of the text.
"""

from __future__ import annotations

import difflib
import re
import statistics
from dataclasses import dataclass, field

from .document import Document

#: Share of the page height at the top and at the bottom where running headers and footers live.
EDGE = 0.15

#: A line starting with one of these continues the line before (its ink sits right of its box,
#: so it looks indented).
CLOSING = set("，。、；：！？”’）》」』】…,.;:!?)")

PAGE_NUMBER = re.compile(
    r"[-—–一~·•\s]*\d{1,4}[-—–一~·•\s]*"  # 3, - 3 -, —3—
    r"|第\s*[\d一二三四五六七八九十百零〇]+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"  # 第3页, 第3页 共8页
    r"|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?"  # Page 3 of 8
    r"|\d{1,4}\s*/\s*\d{1,4}",  # 3/8
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
        merged.append(
            TextLine(
                " ".join(line.text for line in row),
                row[0].x0,
                min(line.top for line in row),
                max(line.x1 for line in row),
                max(line.bottom for line in row),
                statistics.median(line.size for line in row),
                statistics.mean(line.conf for line in row),
            )
        )
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
    gaps = [b.top - a.bottom for a, b in zip(block, block[1:], strict=False)]
    usual_gap = statistics.median(gaps) if gaps else 0.0
    result = [[block[0]]]
    for i in range(1, len(block)):
        a, b = block[i - 1], block[i]
        window = block[max(0, i - 4) : i + 4]
        left = min(line.x0 for line in window)
        right = max(line.x1 for line in window)
        new = b.text[:1] not in CLOSING and (
            b.x0 - left >= 1.2 * size
            or right - a.x1 >= 1.5 * size
            or b.top - a.bottom > usual_gap + 0.7 * size
            or (abs(b.size - a.size) > 0.3 * min(a.size, b.size) and min(len(a.text), len(b.text)) >= 4)
        )  # a few characters give no reliable size
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
                1
                for j, other in enumerate(edges)
                if j != k and any(difflib.SequenceMatcher(None, key, _key(o.text)).ratio() >= 0.8 for o in other)
            )
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
