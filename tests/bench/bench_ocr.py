"""Round-trip benchmark for PDFs and scans (``make bench-ocr``; pytest does not collect it).

Each seed newsletter (``corpus/*.txt``) goes through the pipeline once as text; its cleaned paragraphs
are laid out in two columns (title across both, a running header and a page number on every page),
rendered as page images with a CJK font, degraded as a scan would be (slight rotation, blur, noise,
lower resolution), OCR'd and ingested into a fresh database. Extraction F1 against the seed gold is
printed for the clean text and the scanned path side by side, in one run. A PDF with a text layer in
two columns is also produced (drawn row by row, so that content-stream order is not reading order)
and its reading order checked.

The page generators here are also used by ``tests/test_pdf.py`` and ``tests/test_ocr.py``.

    python tests/bench/bench_ocr.py [--seeds 000,001] [--dpi 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
]
FONT_INDEX_SC = 2  # in the Noto CJK collections: JP, KR, SC, TC, HK

# Page geometry in points (A4), shared by the image and the PDF renderers.
PAGE_W, PAGE_H = 595.0, 842.0
MARGIN, GUTTER = 56.0, 26.0
BODY_SIZE, TITLE_SIZE, RUNNING_SIZE = 10.5, 16.0, 9.0
PITCH = 1.65  # line pitch in font sizes
NO_LINE_START = set("，。、；：！？”’）》」』】…,.;:!?)")


def find_cjk_font() -> Path | None:
    """The Noto CJK font file (Debian fonts-noto-cjk), or None when it is not installed."""
    return next((Path(p) for p in FONT_CANDIDATES if Path(p).exists()), None)


@dataclass
class Placed:
    """One line of text placed on a page (points, origin top-left; ``y`` is the line's top)."""

    text: str
    x: float
    y: float
    size: float
    column: int  # -1 for lines across the page (title, header, footer)


def layout(
    paragraphs: list[str],
    width: Callable[[str, float], float],
    title: str = "",
    header: str = "党建工作简报",
    columns: int = 2,
) -> list[list[Placed]]:
    """Lay paragraphs out in columns, page after page; return the placed lines of each page.

    Lines are wrapped character by character (Chinese has no spaces to break at); every paragraph
    starts with a two-character indent. Each page gets a running header and a centred page number
    (``- 3 -``) that the reader is expected to remove. The lines of a page are listed in reading order.
    """
    col_w = (PAGE_W - 2 * MARGIN - (columns - 1) * GUTTER) / columns
    pages: list[list[Placed]] = []
    lines = _wrap_all(paragraphs, width, col_w)
    body_top = MARGIN + 2 * RUNNING_SIZE
    bottom = PAGE_H - MARGIN - 2 * RUNNING_SIZE
    pitch = BODY_SIZE * PITCH
    i = 0
    while i < len(lines) or not pages:
        page: list[Placed] = [Placed(header, MARGIN, MARGIN, RUNNING_SIZE, -1)]
        top = body_top
        if not pages and title:
            x = max(MARGIN, (PAGE_W - width(title, TITLE_SIZE)) / 2)
            page.append(Placed(title, x, top, TITLE_SIZE, -1))
            top += TITLE_SIZE * 2.2
        for col in range(columns):
            y = top
            x0 = MARGIN + col * (col_w + GUTTER)
            while i < len(lines) and y + BODY_SIZE <= bottom:
                text, indent, gap_before = lines[i]
                if gap_before and y > top:
                    y += pitch * 0.5
                    if y + BODY_SIZE > bottom:
                        break
                page.append(Placed(text, x0 + indent, y, BODY_SIZE, col))
                y += pitch
                i += 1
        number = f"- {len(pages) + 1} -"
        page.append(Placed(number, (PAGE_W - width(number, RUNNING_SIZE)) / 2, PAGE_H - MARGIN, RUNNING_SIZE, -1))
        pages.append(page)
    return pages


def _wrap_all(
    paragraphs: list[str], width: Callable[[str, float], float], col_w: float
) -> list[tuple[str, float, bool]]:
    """(text, indent, paragraph starts here) for every line of every paragraph."""
    out: list[tuple[str, float, bool]] = []
    indent = 2 * BODY_SIZE
    for para in paragraphs:
        line, avail, first = "", col_w - indent, True
        for ch in para:
            # Closing punctuation never starts a line (typesetting rule): it hangs in the margin.
            # (one character at most; before a second one the line is broken as usual).
            hanging = ch in NO_LINE_START and width(line, BODY_SIZE) <= avail
            if line and width(line + ch, BODY_SIZE) > avail and not hanging:
                out.append((line, indent if first else 0.0, first))
                line, avail, first = "", col_w, False
            line += ch
        if line:
            out.append((line, indent if first else 0.0, first))
    return out


def reading_text(pages: list[list[Placed]]) -> list[str]:
    """The body lines of the pages in reading order (title and columns; header and footer left out)."""
    return [p.text for page in pages for p in page[1:-1]]


# ---------------------------------------------------------------- images


def _pil_font(size_px: int):
    from PIL import ImageFont

    path = find_cjk_font()
    if path is None:
        raise RuntimeError("no CJK font: install the Debian package fonts-noto-cjk")
    return ImageFont.truetype(str(path), size_px, index=FONT_INDEX_SC)


def pil_width(dpi: int = 300) -> Callable[[str, float], float]:
    """A width function in points measured with the Noto CJK font (for :func:`layout`)."""
    cache: dict[float, object] = {}

    def width(text: str, size: float) -> float:
        font = cache.get(size) or cache.setdefault(size, _pil_font(round(size * dpi / 72)))
        return font.getlength(text) * 72 / dpi

    return width


def render_image(page: list[Placed], dpi: int = 300):
    """Draw one laid-out page as a white greyscale image at ``dpi``."""
    from PIL import Image, ImageDraw

    scale = dpi / 72
    image = Image.new("L", (round(PAGE_W * scale), round(PAGE_H * scale)), 255)
    draw = ImageDraw.Draw(image)
    fonts: dict[float, object] = {}
    for line in page:
        font = fonts.get(line.size) or fonts.setdefault(line.size, _pil_font(round(line.size * scale)))
        draw.text((line.x * scale, line.y * scale), line.text, font=font, fill=0)
    return image


def degrade(
    image,
    seed: int = 0,
    angle: float = 0.8,
    blur: float = 0.8,
    noise: float = 18.0,
    dpi_from: int = 300,
    dpi_to: int = 200,
):
    """Make a clean page image look scanned: slight rotation, blur, sensor noise and specks, lower resolution,
    JPEG compression. Deterministic for a given ``seed``."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    img = image.rotate(rng.uniform(-angle, angle), resample=Image.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(img, dtype=np.float32)
    gen = np.random.default_rng(seed)
    arr = arr + gen.normal(0, noise, arr.shape)
    specks = gen.random(arr.shape) < 0.0008
    arr[specks] = gen.uniform(0, 120, specks.sum())
    arr = np.clip(arr * 0.92 + 12, 0, 255).astype("uint8")  # greyish paper, not quite black ink
    img = Image.fromarray(arr, "L")
    if dpi_to != dpi_from:
        img = img.resize((round(img.width * dpi_to / dpi_from), round(img.height * dpi_to / dpi_from)), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return Image.open(io.BytesIO(buf.getvalue()))


def image_pdf(images, dpi: int = 200) -> bytes:
    """A PDF of page images and no text layer (what a scanner produces)."""
    buf = io.BytesIO()
    first, *rest = [im.convert("L") for im in images]
    first.save(buf, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return buf.getvalue()


# ---------------------------------------------------------------- PDF with a text layer


def _reportlab_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    name = "STSong-Light"  # a standard Adobe CJK font: no file to embed, text layer maps to Unicode
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def reportlab_width(text: str, size: float) -> float:
    """Width in points of text in the PDF font (for :func:`layout` of a text PDF)."""
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.stringWidth(text, _reportlab_font(), size)


def text_pdf(pages: list[list[Placed]], order: str = "rows") -> bytes:
    """A PDF with a text layer. ``order`` is the content-stream order: ``columns`` (reading order),
    ``rows`` (left and right column lines interleaved, as some layout programs write them) or
    ``reversed`` (right column first)."""
    from reportlab.pdfgen import canvas

    font = _reportlab_font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H))
    for page in pages:
        lines = list(page)
        if order == "rows":
            lines.sort(key=lambda p: (round(p.y, 1), p.x))
        elif order == "reversed":
            lines.sort(key=lambda p: (-p.column, p.y))
        for line in lines:
            pdf.setFont(font, line.size)
            pdf.drawString(line.x, PAGE_H - line.y - line.size * 0.88, line.text)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


# ---------------------------------------------------------------- scoring helpers


def order_score(gold_lines: list[str], extracted: str) -> tuple[float, float]:
    """(share of gold lines found, share of gold lines in reading order) in extracted text.

    Whitespace is ignored. A line is found when it occurs in the text; the order share is the longest
    increasing run of found positions (a longest increasing subsequence) over the number of lines, so
    two columns read row by row score about one half.
    """
    flat = re.sub(r"\s+", "", extracted)
    positions, cursor = [], 0
    for line in gold_lines:
        needle = re.sub(r"\s+", "", line)
        at = flat.find(needle, cursor)
        if at < 0:
            at = flat.find(needle)
        if at >= 0:
            positions.append(at)
            cursor = at + len(needle)
    return len(positions) / len(gold_lines), _lis(positions) / len(gold_lines)


def _lis(values: list[int]) -> int:
    import bisect

    tails: list[int] = []
    for v in values:
        k = bisect.bisect_left(tails, v)
        tails[k : k + 1] = [v]
    return len(tails)


def cleaned_seed(path: Path) -> tuple[str, list[str]]:
    """(title, body paragraphs) of a seed after the pipeline's normalize and clean stages."""
    from pipeline.read import read
    from pipeline.stages import run_stages

    doc = run_stages(read(path))
    paras = [p.text for p in doc.paragraphs]
    if paras and paras[0] == doc.title:
        return paras[0], paras[1:]
    return "", paras


# ---------------------------------------------------------------- the benchmark


def _gold() -> tuple[list[dict], str]:
    from kb.evaluate import load_gold

    shared = ROOT.parent / "shared" / "data" / "seed-gold.jsonl"
    if shared.exists():
        return load_gold(str(shared)), str(shared)
    copy = ROOT / "tests" / "data" / "seed-gold.jsonl"
    print(f"note: {shared} is missing; scoring against the copy in {copy.relative_to(ROOT)}")
    return load_gold(str(copy)), str(copy)


def _ingest_and_predict(
    paths: list[Path], db: Path, rename: Callable[[str], str]
) -> tuple[list[dict], list[tuple[str, str]], float]:
    from kb.ingest import ingest
    from kb.store import Store

    store = Store(db)
    started = time.perf_counter()
    report = ingest(store, paths)
    seconds = time.perf_counter() - started
    ids = [row[0] for row in store.db.execute("select id from documents where status = 'ok' order by id")]
    predicted = []
    for doc_id in ids:
        facts = store.document_facts(doc_id)
        facts["doc"] = rename(facts["doc"])
        predicted.append(facts)
    store.db.close()
    return predicted, report.failures, seconds


def text_pdf_check(seed_path: Path, out: Path) -> None:
    """Lay a seed out in two columns as a text PDF drawn row by row; print how each library reads it."""
    import pdfplumber
    import pypdf

    from pipeline.pdf import read_pdf

    title, paras = cleaned_seed(seed_path)
    pages = layout(paras, reportlab_width, title=title)
    gold = reading_text(pages)
    print(f"\ntwo-column text PDF of {seed_path.name}: {len(pages)} pages, {len(gold)} body lines")
    print(f"{'stream order':<14}{'reader':<34}{'found':>7}{'in order':>10}{'s/page':>9}")
    for order in ("columns", "rows", "reversed"):
        raw = text_pdf(pages, order)
        if order == "rows":
            (out / "pdf_two_columns_rows.pdf").write_bytes(raw)
        readers = {
            "pypdf extract_text": lambda raw=raw: "\n".join(
                p.extract_text() for p in pypdf.PdfReader(io.BytesIO(raw)).pages
            ),
            "pypdf layout mode": lambda raw=raw: "\n".join(
                p.extract_text(extraction_mode="layout") for p in pypdf.PdfReader(io.BytesIO(raw)).pages
            ),
            "pdfplumber extract_text": lambda raw=raw: "\n".join(
                p.extract_text() or "" for p in pdfplumber.open(io.BytesIO(raw)).pages
            ),
            "pdfplumber + pipeline.pdf": lambda raw=raw: read_pdf(raw, source="bench.pdf").text,
        }
        for name, fn in readers.items():
            started = time.perf_counter()
            text = fn()
            per_page = (time.perf_counter() - started) / len(pages)
            found, in_order = order_score(gold, text)
            print(f"{order:<14}{name:<34}{found:>7.3f}{in_order:>10.3f}{per_page:>9.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="", help="comma-separated seed prefixes (default: all)")
    parser.add_argument("--dpi", type=int, default=200, help="resolution of the degraded scan (default 200)")
    parser.add_argument("--keep", default="", help="keep the generated pages in this folder")
    args = parser.parse_args(argv)

    from pipeline import ocr

    if find_cjk_font() is None:
        print("cannot run: no CJK font; install the Debian package fonts-noto-cjk")
        return 2
    problem = ocr.tesseract_problem()
    if problem:
        print(f"cannot run: {problem}")
        return 2
    from kb.evaluate import evaluate

    gold, gold_path = _gold()
    seeds = sorted((ROOT / "corpus").glob("*.txt"))
    if args.seeds:
        wanted = args.seeds.split(",")
        seeds = [s for s in seeds if any(s.name.startswith(w) for w in wanted)]
    gold = [g for g in gold if any(Path(str(g.get("doc"))).name == s.name for s in seeds)]

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.keep) if args.keep else Path(tmp_name)
        scans = tmp / "scans"
        scans.mkdir(parents=True, exist_ok=True)
        width = pil_width()
        n_pages = 0
        started = time.perf_counter()
        for k, seed_path in enumerate(seeds):
            title, paras = cleaned_seed(seed_path)
            pages = layout(paras, width, title=title)
            images = [degrade(render_image(page), seed=k * 100 + i, dpi_to=args.dpi) for i, page in enumerate(pages)]
            n_pages += len(images)
            # Scans arrive as image PDFs (several pages) or as single images; use both.
            if len(images) > 1:
                (scans / f"{seed_path.stem}.pdf").write_bytes(image_pdf(images, dpi=args.dpi))
            else:
                images[0].save(scans / f"{seed_path.stem}.png")
        render_s = time.perf_counter() - started
        print(f"gold: {gold_path}")
        print(
            f"rendered {len(seeds)} seeds as {n_pages} degraded two-column pages at {args.dpi} dpi ({render_s:.1f} s)"
        )

        clean_pred, clean_fail, clean_s = _ingest_and_predict(seeds, tmp / "clean.sqlite", lambda n: n)
        scan_pred, scan_fail, scan_s = _ingest_and_predict(
            [scans], tmp / "scanned.sqlite", lambda n: Path(n).stem + ".txt"
        )
        for name, fails in (("clean", clean_fail), ("scanned", scan_fail)):
            for source, error in fails:
                print(f"{name}: FAILED {source}: {error}")
        clean_rep, scan_rep = evaluate(clean_pred, gold), evaluate(scan_pred, gold)
        print(f"ingest: clean {clean_s:.1f} s, scanned {scan_s:.1f} s ({scan_s / max(n_pages, 1):.1f} s per page)\n")
        print(f"{'':<12}{'clean F1':>10}{'scanned F1':>12}{'kept':>8}")
        kept = {}
        for row in ("entities", "relations", "metrics"):
            a, b = getattr(clean_rep, row).f1, getattr(scan_rep, row).f1
            kept[row] = b / a if a else 0.0
            print(f"{row:<12}{a:>10.3f}{b:>12.3f}{kept[row]:>8.1%}")
        overall = min(kept.values())
        print(
            f"\nscanned path keeps {overall:.1%} of the clean F1 at worst (target 90%): "
            f"{'met' if overall >= 0.9 else 'NOT met'}"
        )

        text_pdf_check(seeds[0], tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
