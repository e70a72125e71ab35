"""PDFs with a text layer: reading order across columns, page numbers, running lines, damaged files."""

from __future__ import annotations

import pytest

from pipeline.document import Document
from pipeline.layout import Page, TextLine, fill_document, running_lines
from pipeline.pdf import read_pdf
from pipeline.read import iter_paths, read
from tests.bench.bench_ocr import cleaned_seed, layout, order_score, reading_text, reportlab_width, text_pdf
from tests.conftest import seed

pytest.importorskip("reportlab", reason="reportlab (test extra) generates the test PDFs")


@pytest.fixture(scope="module")
def two_column_pages():
    """Seed 000 laid out in two columns over two pages, title across both, header and page number."""
    title, paras = cleaned_seed(seed("000"))
    pages = layout(paras[:14], reportlab_width, title=title)
    assert len(pages) >= 2
    return pages


def test_two_column_pdf_is_read_in_reading_order(two_column_pages):
    # Drawn row by row (left line, right line, ...): the content stream is not the reading order.
    doc = read_pdf(text_pdf(two_column_pages, order="rows"), source="two_columns.pdf")
    assert doc.ok, doc.error
    found, in_order = order_score(reading_text(two_column_pages), doc.text)
    assert (found, in_order) == (1.0, 1.0)
    assert doc.text.startswith(two_column_pages[0][1].text)  # the title comes first
    assert len(doc.page_starts) == len(two_column_pages) and doc.page_starts[0] == 0


@pytest.mark.parametrize("order", ["columns", "reversed"])
def test_reading_order_does_not_depend_on_stream_order(two_column_pages, order):
    rows = read_pdf(text_pdf(two_column_pages, order="rows")).text
    assert read_pdf(text_pdf(two_column_pages, order=order)).text == rows


def test_lines_of_a_paragraph_are_joined_and_paragraphs_kept(two_column_pages):
    doc = read_pdf(text_pdf(two_column_pages))
    _, paras = cleaned_seed(seed("000"))
    text_paragraphs = doc.text.split("\n\n")
    # Whole paragraphs that fit in one column come back as one paragraph each.
    whole = [p for p in paras[:6] if p in text_paragraphs]
    assert len(whole) >= 4
    # Offsets point into the original, which keeps the printed line breaks.
    longest = max(whole, key=len)
    start = doc.text.index(longest)
    span = doc.original[doc.offsets[start] : doc.offsets[start + len(longest) - 1] + 1]
    assert span.replace("\n", "") == longest and span.count("\n") >= 2


def test_running_header_and_page_numbers_are_left_out_of_the_text(two_column_pages):
    doc = read_pdf(text_pdf(two_column_pages))
    header = two_column_pages[0][0].text
    assert header not in doc.text and "- 1 -" not in doc.text and "- 2 -" not in doc.text
    assert doc.original.count(header) == len(two_column_pages)  # still in the original, page by page
    page2 = doc.original[doc.page_starts[1] :]
    assert page2.startswith(header) and "- 2 -" in page2


def test_paragraphs_get_their_page_number_in_the_store(store, two_column_pages, tmp_path):
    from kb.ingest import ingest

    path = tmp_path / "issue.pdf"
    path.write_bytes(text_pdf(two_column_pages))
    report = ingest(store, [tmp_path])
    assert (report.added, report.failed) == (1, 0)
    pages = [row[0] for row in store.db.execute("select page from paragraphs order by idx")]
    assert pages[0] == 1 and pages[-1] == len(two_column_pages)
    assert pages == sorted(pages) and None not in pages
    last_page_line = reading_text(two_column_pages[-1:])[-1]
    last = store.db.execute("select text, page from paragraphs order by idx desc limit 1").fetchone()
    assert last_page_line in last[0] and last[1] == len(two_column_pages)


def _page(number: int, texts: list[tuple[str, float]]) -> Page:
    return Page([TextLine(t, 50, y, 50 + 10 * len(t), y + 10, 10) for t, y in texts], 800, number)


@pytest.mark.parametrize("number", ["- 3 -", "第3页", "第三页", "3", "Page 3 of 8", "3/8", "—3—"])
def test_bare_page_number_at_the_foot_is_removed(number):
    page = _page(1, [("产业集群党委采取组织建设联合的方式。", 100), (number, 760)])
    doc = fill_document(Document(source="x.pdf"), [page])
    assert doc.text == "产业集群党委采取组织建设联合的方式。"
    assert number in doc.original


def test_header_repeating_on_pages_is_removed_even_with_its_issue_number():
    pages = [_page(n, [(f"党建工作简报 第{n + 11}期", 40), (f"正文第{n}页的内容，有逗号。", 300)]) for n in (1, 2, 3)]
    ids = running_lines(pages)
    assert {line.text for page in pages for line in page.lines if id(line) in ids} == {
        "党建工作简报 第12期",
        "党建工作简报 第13期",
        "党建工作简报 第14期",
    }


def test_a_line_repeating_in_the_body_or_on_one_page_only_is_kept():
    pages = [
        _page(1, [("党建工作简报", 40), ("重复的正文。", 300)]),
        _page(2, [("另一行。", 40), ("重复的正文。", 300)]),
    ]
    assert running_lines(pages) == set()


def test_corrupt_and_fake_pdfs_are_recorded_with_clear_errors(tmp_path, store, two_column_pages):
    from kb.ingest import ingest

    good = text_pdf(two_column_pages)
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (tmp_path / "truncated.pdf").write_bytes(good[:900])
    (tmp_path / "not_a_pdf.pdf").write_bytes("这不是PDF文件，只是文字。".encode())
    (tmp_path / "empty.pdf").write_bytes(b"")
    for name in ("garbage.pdf", "truncated.pdf", "not_a_pdf.pdf"):
        doc = read(tmp_path / name)
        assert not doc.ok and "PDF" in doc.error, (name, doc.error)
    assert read(tmp_path / "empty.pdf").error == "empty file"
    report = ingest(store, [tmp_path])
    assert (report.added, report.failed) == (0, 4)
    errors = {row["source"].rsplit("/", 1)[-1]: row["error"] for row in store.failures()}
    assert "damaged or unreadable PDF" in errors["garbage.pdf"]


def test_pdf_is_recognised_by_its_bytes_whatever_its_name(tmp_path, two_column_pages):
    path = tmp_path / "issue.txt"
    path.write_bytes(text_pdf(two_column_pages))
    doc = read(path)
    assert doc.ok and doc.encoding == "pdf" and len(doc.page_starts) == len(two_column_pages)


def test_folders_are_walked_for_pdfs_and_images(tmp_path):
    for name in ("a.pdf", "b.PNG", "c.jpg", "d.jpeg", "e.tif", "f.tiff", "g.txt", "h.docx", "i.gif"):
        (tmp_path / name).write_bytes(b"x")
    assert sorted(p.name for p in iter_paths([tmp_path])) == [
        "a.pdf",
        "b.PNG",
        "c.jpg",
        "d.jpeg",
        "e.tif",
        "f.tiff",
        "g.txt",
    ]


def test_a_pdf_over_the_page_limit_is_refused_quickly_with_the_reason(tmp_path):
    import time

    from reportlab.pdfgen import canvas

    from pipeline.pdf import MAX_PAGES

    path = tmp_path / "long.pdf"
    pdf = canvas.Canvas(str(path))
    for n in range(MAX_PAGES + 1):
        pdf.drawString(72, 720, f"page {n}")
        pdf.showPage()
    pdf.save()
    started = time.time()
    doc = read(path)
    assert not doc.ok and f"{MAX_PAGES + 1} pages (limit {MAX_PAGES})" in doc.error, doc.error
    assert time.time() - started < 30
