"""Stage 1, read: find input files, decode them, and turn HTML into paragraphs.

Text files are decoded; PDFs are read from their text layer in reading order (:mod:`pipeline.pdf`),
and scanned pages and images are OCR'd with Tesseract (:mod:`pipeline.ocr`). A file that cannot be
read (binary, empty, undecodable, unreadable, damaged PDF or image, no Tesseract for a scan) comes
back as a failed Document with the reason; nothing is skipped silently.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .document import Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
INPUT_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES | IMAGE_SUFFIXES
# Files of records, one document per record (pipeline.records; kb ingest reads them): never one text.
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv"}
# Files of records a folder walk picks up (a .json in a folder is more often something else).
WALKED_RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".tsv"}
# File signatures: a PDF or an image is recognised by its first bytes whatever its name.
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
# Encodings we accept: what Chinese newsletters actually come in. charset-normalizer picks among them.
CANDIDATE_ENCODINGS = ["utf_8", "gb18030", "big5", "utf_16"]
MAX_BYTES = 64 * 1024 * 1024

BLOCK_TAGS = [
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "br",
    "section",
    "article",
    "blockquote",
    "pre",
    "td",
    "th",
    "dd",
    "dt",
    "caption",
    "figcaption",
    "title",
]


def iter_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Yield input files: files as given, folders walked recursively for text, HTML, PDF and image
    files (.txt .md .html .pdf .png .jpg .jpeg .tif .tiff) and files of records (.jsonl .ndjson
    .csv .tsv; ``pipeline.records``).

    Symbolic links to folders are not followed (a link loop cannot trap the walk); a path that
    does not exist is yielded as is, so that reading it records the error.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    child = Path(root) / name
                    if child.suffix.lower() in INPUT_SUFFIXES | WALKED_RECORD_SUFFIXES:
                        yield child
        else:
            yield path


def iter_lines(stream: BinaryIO, head_bytes: int = 1 << 16) -> Iterator[str]:
    """The lines of a byte stream, decoded as they are read (``kb extract --lines``).

    The encoding is found (:func:`decode`) on the first ``head_bytes`` and the rest of the line
    they end in, then kept for the rest; input with a UTF-16 or UTF-32 byte-order mark is read
    whole. Raises ``ValueError`` for input that cannot be decoded, at the line where it happens.
    """
    head = stream.read(head_bytes)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, _ = decode(head + stream.read())
        yield from text.splitlines()
        return
    head += stream.readline()
    text, encoding = decode(head)
    first_lines = text.splitlines()
    yield from first_lines
    decoder = codecs.getincrementaldecoder(encoding)()
    for number, raw in enumerate(stream, start=len(first_lines) + 1):
        try:
            line = decoder.decode(raw)
        except UnicodeDecodeError as exc:
            raise ValueError(f"line {number}: not valid {encoding}: {exc.reason}") from exc
        if "\x00" in line:
            raise ValueError(f"line {number}: NUL characters (binary input?)")
        yield line.rstrip("\r\n")


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes to text; return ``(text, encoding)`` or raise ``ValueError`` with the reason."""
    if not raw:
        raise ValueError("empty file")
    # UTF-32 first: its little-endian mark (FF FE 00 00) begins with UTF-16's (FF FE).
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf_32"),
        (codecs.BOM_UTF32_BE, "utf_32"),
        (codecs.BOM_UTF8, "utf_8_sig"),
        (codecs.BOM_UTF16_LE, "utf_16"),
        (codecs.BOM_UTF16_BE, "utf_16"),
    ):
        if raw.startswith(bom):
            try:
                text = raw.decode(name)
            except UnicodeDecodeError as exc:
                raise ValueError(f"invalid {name} after byte-order mark: {exc.reason} at byte {exc.start}") from exc
            if "\x00" in text:
                raise ValueError(f"NUL characters in the text after decoding as {name} (binary or mislabelled file?)")
            return text, name
    if b"\x00" in raw:  # the whole file: a NUL past the first block must not reach the store either
        raise ValueError("binary file (NUL bytes and no UTF-16 or UTF-32 byte-order mark)")
    try:
        return raw.decode("utf_8"), "utf_8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=CANDIDATE_ENCODINGS[1:]).best()
    if best is None:
        raise ValueError("undecodable: not valid UTF-8, GB18030, Big5 or UTF-16 (binary or damaged file?)")
    text = str(best)
    if "\x00" in text or _looks_binary(text):
        raise ValueError("binary file (control characters after decoding)")
    return text, best.encoding


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls > max(2, len(sample) // 100)


def html_to_text(html: str) -> str:
    """Strip tags, drop scripts and styles, and keep block structure as blank-line paragraphs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if title and title not in text[:500]:
        text = title + "\n\n" + text
    return text + "\n"


def read(path: str | os.PathLike[str], ocr_lang: str | None = None) -> Document:
    """Read one file into a Document (original text decoded, offsets set), or a failed Document.

    ``ocr_lang`` is the Tesseract language for scans (default: ``$KB_OCR_LANG``, else chosen by script).
    """
    path = Path(path)
    doc = Document(source=str(path))
    if path.suffix.lower() in RECORD_SUFFIXES:
        # Read as one text, a file of records would become one document of JSON or CSV syntax.
        return doc.fail(
            f"a file of records ({path.suffix}) is not read as one document: kb ingest reads it "
            "as one document per record (README, 'Input')"
        )
    try:
        size = path.stat().st_size
        if not path.is_file():
            return doc.fail("not a regular file")
        if size > MAX_BYTES:
            return doc.fail(f"file too large: {size} bytes (limit {MAX_BYTES})")
        raw = path.read_bytes()
    except OSError as exc:  # missing, permission denied, symlink loop, ...
        return doc.fail(f"cannot read: {exc.strerror or exc}")
    suffix = path.suffix.lower()
    kind = "pdf" if suffix in PDF_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else None
    return read_bytes(raw, source=str(path), is_html=suffix in HTML_SUFFIXES, doc=doc, kind=kind, ocr_lang=ocr_lang)


def sniff(raw: bytes) -> str | None:
    """``"pdf"`` or ``"image"`` when the bytes start like one, else None."""
    if raw[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(IMAGE_MAGIC):
        return "image"
    return None


def read_bytes(
    raw: bytes,
    source: str = "<bytes>",
    is_html: bool = False,
    doc: Document | None = None,
    kind: str | None = None,
    ocr_lang: str | None = None,
) -> Document:
    """Decode raw bytes into a Document (the part of :func:`read` that needs no file).

    ``kind`` (``"pdf"`` or ``"image"``, from the file name) sends the bytes to the PDF reader or to
    OCR; without it, a PDF or an image is recognised by its first bytes.
    """
    doc = doc or Document(source=source)
    doc.raw = raw
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    kind = sniff(raw) or kind
    if kind and not raw:
        return doc.fail("empty file")
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(raw, source=source, doc=doc, ocr_lang=ocr_lang)
    if kind == "image":
        from .ocr import read_image

        return read_image(raw, source=source, doc=doc, ocr_lang=ocr_lang)
    try:
        text, doc.encoding = decode(raw)
    except ValueError as exc:
        return doc.fail(str(exc))
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if is_html or (text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))):
        text = html_to_text(text)
    if not text.strip():
        return doc.fail("empty after decoding (only whitespace or markup)")
    doc.original = text
    doc.text = text
    doc.offsets = list(range(len(text)))
    return doc
