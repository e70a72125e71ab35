"""Stage 1: files and folders, encodings, HTML, and bad inputs recorded as failures."""

from __future__ import annotations

import codecs
import os

import pytest

from pipeline.read import iter_paths, read
from tests.conftest import CORPUS, seed


def test_folder_is_walked_recursively_for_text_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.md").write_text("党建", encoding="utf-8")
    (tmp_path / "top.txt").write_text("党建", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")  # scans are inputs too (OCR)
    (tmp_path / "sheet.xlsx").write_bytes(b"PK")
    found = sorted(p.name for p in iter_paths([tmp_path]))
    assert found == ["deep.md", "image.png", "top.txt"]


def test_symlink_loop_does_not_trap_the_walk(tmp_path):
    (tmp_path / "x.txt").write_text("党建引领", encoding="utf-8")
    os.symlink(tmp_path, tmp_path / "loop")
    assert [p.name for p in iter_paths([tmp_path])] == ["x.txt"]


def test_seeds_decode_as_utf8():
    docs = [read(p) for p in sorted(CORPUS.glob("*.txt"))]
    assert len(docs) == 5
    assert all(d.ok and d.encoding == "utf_8" and len(d.sha256) == 64 for d in docs)


@pytest.mark.parametrize("encoding", ["gb18030", "big5", "utf-16", "utf-32", "utf-32-be"])
def test_other_encodings_are_detected(tmp_path, encoding):
    source = seed("003") if encoding == "big5" else seed("004")
    text = source.read_text(encoding="utf-8")
    # Big5 cannot hold every character of the Traditional seed; keep what it can.
    text = text.encode(encoding, errors="ignore").decode(encoding)
    path = tmp_path / f"doc.{encoding}.txt"
    data = text.encode(encoding)  # Python's utf-16 and utf-32 codecs write a byte-order mark
    path.write_bytes(codecs.BOM_UTF32_BE + data if encoding == "utf-32-be" else data)
    doc = read(path)
    assert doc.ok, doc.error
    assert doc.original.replace("\r", "") == text.replace("\r", "")
    assert "\x00" not in doc.original


def test_nul_characters_never_reach_the_text(tmp_path):
    # A NUL far past the first block of an otherwise valid UTF-8 file, and a UTF-16 file that
    # decodes to NULs: both are refused with the reason, neither is stored as text.
    late_nul = tmp_path / "late.txt"
    late_nul.write_bytes(("党建联盟成立。" * 3000).encode("utf-8") + b"\x00\x00")
    wide_nul = tmp_path / "wide.txt"
    wide_nul.write_bytes(codecs.BOM_UTF16_LE + "党建\x00联盟".encode("utf-16-le"))
    for path in (late_nul, wide_nul):
        doc = read(path)
        assert not doc.ok and "NUL" in doc.error, doc.error


def test_binary_file_fails_with_reason(tmp_path):
    path = tmp_path / "scan.txt"
    path.write_bytes(bytes(range(256)) * 20)
    doc = read(path)
    assert not doc.ok and "binary" in doc.error


def test_empty_file_fails_with_reason(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    doc = read(path)
    assert not doc.ok and doc.error == "empty file"


def test_missing_file_fails_with_reason(tmp_path):
    doc = read(tmp_path / "nope.txt")
    assert not doc.ok and "cannot read" in doc.error


def test_html_keeps_blocks_as_paragraphs_and_drops_scripts(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>集群党建</title><script>var x='党委';</script></head><body>"
        "<h1>产业集群党委成立</h1><div><p>第一段<b>加粗</b>文字。</p><p>第二段。</p></div></body></html>",
        encoding="utf-8",
    )
    doc = read(path)
    assert doc.ok
    blocks = [b.strip() for b in doc.original.split("\n\n") if b.strip()]
    assert blocks == ["集群党建", "产业集群党委成立", "第一段加粗文字。", "第二段。"]
    assert "var x" not in doc.original


@pytest.mark.parametrize("name", ["items.jsonl", "items.csv"])
def test_a_file_of_records_is_never_read_as_one_text(tmp_path, name):
    """read() of a file of records says kb ingest reads it per record (pipeline.records)."""
    path = tmp_path / name
    path.write_text(
        '{"id": "1", "text": "产业集群党委成立。"}\n{"id": "2", "text": "企业党建联盟成立。"}\n', encoding="utf-8"
    )
    doc = read(path)
    assert not doc.ok and "one document per record" in doc.error and not doc.original
