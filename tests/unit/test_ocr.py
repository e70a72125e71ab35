"""Scans: images and PDF pages without a text layer are OCR'd with Tesseract; failures are recorded."""

from __future__ import annotations

import io

import pytest

from pipeline import ocr
from pipeline.read import read
from tests.bench.bench_ocr import (
    BODY_SIZE,
    MARGIN,
    PAGE_W,
    Placed,
    _wrap_all,
    cleaned_seed,
    degrade,
    find_cjk_font,
    image_pdf,
    pil_width,
    render_image,
)
from tests.conftest import seed

needs_tesseract = pytest.mark.skipif(
    ocr.tesseract_problem() is not None, reason=f"no OCR here: {ocr.tesseract_problem()}"
)
needs_font = pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font: install fonts-noto-cjk")


def scan_of(paragraphs: list[str], header: str = "", footer: str = "", seed_no: int = 0, height: float = 420.0):
    """A degraded 200 dpi scan of a short page (one column, A4 width) holding the paragraphs."""
    width = pil_width()
    col_w = PAGE_W - 2 * MARGIN
    lines: list[Placed] = []
    y = MARGIN + 24
    if header:
        lines.append(Placed(header, MARGIN, 24, 9, -1))
    for text, indent, first in _wrap_all(paragraphs, width, col_w):
        y += BODY_SIZE * (0.8 if first and len(lines) > 1 else 0)
        lines.append(Placed(text, MARGIN + indent, y, BODY_SIZE, 0))
        y += BODY_SIZE * 1.65
    if footer:
        lines.append(Placed(footer, PAGE_W / 2 - 12, height - MARGIN / 2, 9, -1))
    image = render_image(lines).crop((0, 0, round(PAGE_W * 300 / 72), round(height * 300 / 72)))
    return degrade(image, seed=seed_no)


def rich_paragraph() -> str:
    """A paragraph of seed 001 of at most 150 characters in which extraction finds the most entities."""
    from kb.extraction import extract_text

    _, paras = cleaned_seed(seed("001"))
    candidates = [p for p in paras if 60 <= len(p) <= 150][:8]
    return max(candidates, key=lambda p: len({e["name"] for e in extract_text(p)["entities"]}))


def _entities(text: str) -> set[tuple[str, str]]:
    from kb.extraction import extract_text

    return {(e["name"], e["type"]) for e in extract_text(text)["entities"]}


@needs_tesseract
@needs_font
def test_scanned_seed_paragraph_is_read_with_its_entities(tmp_path):
    paragraph = rich_paragraph()
    path = tmp_path / "scan.png"
    scan_of([paragraph]).save(path)
    doc = read(path)
    assert doc.ok, doc.error
    assert doc.encoding == "ocr:chi_sim" and doc.page_starts == [0]
    clean, scanned = _entities(paragraph), _entities(doc.text)
    assert len(clean) >= 3
    assert len(clean & scanned) >= 0.8 * len(clean), (clean - scanned, doc.text)


@needs_tesseract
@needs_font
def test_pdf_without_text_layer_is_ocrd_page_by_page(tmp_path, store):
    from kb.ingest import ingest

    _, paras = cleaned_seed(seed("000"))
    first, second = [p for p in paras if 60 <= len(p) <= 160][:2]
    pages = [
        scan_of([first], header="党建工作简报", footer="- 1 -", seed_no=1),
        scan_of([second], header="党建工作简报", footer="- 2 -", seed_no=2),
    ]
    path = tmp_path / "scanned.pdf"
    path.write_bytes(image_pdf(pages))
    doc = read(path)
    assert doc.ok, doc.error
    assert doc.encoding == "ocr:chi_sim" and len(doc.page_starts) == 2
    assert any("OCR (chi_sim) on pages 1-2" in w for w in doc.warnings)
    assert "简报" not in doc.text and "- 2 -" not in doc.text  # running header and page numbers left out
    assert ingest(store, [path]).added == 1
    rows = list(store.db.execute("select text, page from paragraphs order by idx"))
    assert [page for _, page in rows] == [1, 2]
    assert _similar(rows[0][0], first) and _similar(rows[1][0], second)


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


@needs_tesseract
@needs_font
def test_traditional_scan_is_read_with_chi_tra():
    import opencc

    paragraph = opencc.OpenCC("s2t").convert(cleaned_seed(seed("003"))[1][0][:90])
    image = scan_of([paragraph], seed_no=3, height=200)
    assert ocr.choose_lang(image) == "chi_tra"


def test_ocr_language_can_be_forced(monkeypatch):
    monkeypatch.setenv("KB_OCR_LANG", "chi_tra+eng")
    assert ocr.choose_lang(None) == "chi_tra+eng"


@needs_tesseract
def test_image_with_no_text_is_recorded_as_failed(tmp_path, store):
    from PIL import Image, ImageDraw

    from kb.ingest import ingest

    image = Image.new("L", (1240, 900), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 150, 900, 500), outline=0, width=5)
    draw.ellipse((400, 550, 700, 850), fill=90)
    degrade(image, seed=5, dpi_to=300).save(tmp_path / "photo.jpg")
    report = ingest(store, [tmp_path])
    assert (report.added, report.failed) == (0, 1)
    assert "found no text in this image" in store.failures()[0]["error"]


def test_damaged_image_is_recorded_as_failed(tmp_path):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buf, "PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[:60])
    (tmp_path / "fake.jpg").write_bytes(b"not an image at all")
    for name in ("cut.png", "fake.jpg"):
        doc = read(tmp_path / name)
        assert not doc.ok and "image" in doc.error, (name, doc.error)


def test_missing_tesseract_fails_the_document_with_what_to_install(tmp_path, monkeypatch, store):
    from PIL import Image, ImageDraw

    from kb.ingest import ingest

    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).text((20, 80), "scan", fill=0)
    image.save(tmp_path / "page.png")
    (tmp_path / "scan.pdf").write_bytes(image_pdf([image]))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))  # no tesseract on PATH
    assert "not installed" in ocr.tesseract_problem()
    image_doc, pdf_doc = read(tmp_path / "page.png"), read(tmp_path / "scan.pdf")
    for doc in (image_doc, pdf_doc):
        assert not doc.ok and "Tesseract is not installed" in doc.error and "tesseract-ocr-chi-sim" in doc.error
    assert "it has no text layer" in pdf_doc.error
    report = ingest(store, [tmp_path])
    assert (report.added, report.failed) == (0, 2)


def test_tesseract_tsv_becomes_lines_without_spaces_inside_chinese():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t10\t10\t40\t30\t91.0\t金山",
        "5\t1\t1\t1\t1\t2\t52\t10\t40\t30\t0.0\t工业区",  # right, though Tesseract is unsure
        "5\t1\t1\t1\t1\t3\t95\t10\t20\t30\t88.0\tG60",
        "5\t1\t1\t1\t1\t4\t118\t10\t30\t30\t85.0\tCorridor",
        "5\t1\t2\t1\t1\t1\t500\t600\t6\t6\t12.0\t丶",  # a speck
        "4\t1\t1\t1\t1\t0\t10\t10\t200\t30\t-1\t",
    ]
    lines = ocr.parse_tsv("\n".join([header] + rows))
    assert [line.text for line in lines] == ["金山工业区G60 Corridor"]
    assert (lines[0].x0, lines[0].x1, lines[0].size) == (10, 148, 30)
