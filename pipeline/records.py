"""Files of records: JSONL (``.jsonl``, ``.ndjson``), a JSON array (``.json``), CSV and TSV, one
document per record.

A record has ``text`` (required) and optionally ``id``, ``title``, ``date``, ``source``, ``url``;
every other field is kept too. All fields but ``text`` are the document's metadata. The document is
named ``FILE#ID`` (the record's ``id``, else its line or row number), so that a record whose content
changes replaces the document stored for it, as a changed file does. A record's date (ISO
``2021-05-05``, ``2021/5/5``, ``2021年5月5日`` or ``20210505``) beats a date found in its text;
its title beats the one the clean stage takes from the first line.

A line that is not a JSON object, or a record without text, becomes a failed document with the
reason (named ``FILE#line N``): nothing is skipped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .read import RECORD_SUFFIXES, decode, iter_lines

JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
MAX_RECORD_FILE_BYTES = 1 << 30  # JSONL is streamed; a JSON array or a CSV file is read whole

_DATE = re.compile(
    r"^\s*(?P<y>\d{4})(?:[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?|(?P<m2>\d{2})(?P<d2>\d{2}))"
    r"(?:[T\s].*)?$"
)


@dataclass(frozen=True)
class Record:
    """One record: the document's ``source`` name (``FILE#ID``), its text and its metadata, or the
    ``error`` that keeps it from being a document."""

    source: str
    text: str = ""
    metadata: dict = field(default_factory=dict)
    error: str = ""

    @property
    def sha256(self) -> str:
        """The content hash: text and metadata (a corrected date is new content); for a record that
        cannot be read, its name and the reason (two bad lines are two failures)."""
        content = (
            {"source": self.source, "error": self.error}
            if self.error
            else {"text": self.text, "metadata": self.metadata}
        )
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_record_file(path: str | Path) -> bool:
    """True for a file read as records (by its suffix)."""
    return Path(path).suffix.lower() in RECORD_SUFFIXES


def parse_date(value: object) -> str | None:
    """An ISO date from a record's ``date`` field, or None when it is not a valid calendar date."""
    match = _DATE.match(str(value or ""))
    if not match:
        return None
    year, month, day = int(match["y"]), int(match["m"] or match["m2"]), int(match["d"] or match["d2"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def iter_records(path: str | Path) -> Iterator[Record]:
    """The records of one file, in order; a file that cannot be read at all is one failed record."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_FILE_BYTES:
            yield Record(str(path), error=f"file of records too large: {size} bytes (limit {MAX_RECORD_FILE_BYTES})")
            return
        if suffix in JSON_LINES_SUFFIXES:
            with open(path, "rb") as handle:
                yield from _json_lines(path, handle)
            return
        text, _ = decode(path.read_bytes())
    except OSError as exc:
        yield Record(str(path), error=f"cannot read: {exc.strerror or exc}")
        return
    except ValueError as exc:
        yield Record(str(path), error=str(exc))
        return
    if suffix == ".json":
        yield from _json_array(path, text)
    else:
        yield from _table(path, text, "\t" if suffix == ".tsv" else ",")


def _json_lines(path: Path, handle) -> Iterator[Record]:
    try:
        for number, line in enumerate(iter_lines(handle), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Record(
                    f"{path}#line {number}", error=f"line {number} is not JSON: {exc.msg} at column {exc.colno}"
                )
                continue
            yield _record(path, value, f"line {number}", number)
    except ValueError as exc:  # undecodable bytes or NUL characters: the rest of the file cannot be read
        yield Record(str(path), error=str(exc))


def _json_array(path: Path, text: str) -> Iterator[Record]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Record(str(path), error=f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        return
    if not isinstance(value, list):
        yield Record(str(path), error="a .json file of records must hold an array of objects (or use .jsonl)")
        return
    for number, item in enumerate(value, start=1):
        yield _record(path, item, f"item {number}", number)


def _table(path: Path, text: str, delimiter: str) -> Iterator[Record]:
    rows = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not rows.fieldnames or "text" not in rows.fieldnames:
        yield Record(str(path), error=f"no 'text' column in the header ({', '.join(rows.fieldnames or []) or 'empty'})")
        return
    for number, row in enumerate(rows, start=2):  # the header is row 1
        row.pop(None, None)  # cells beyond the header
        yield _record(path, {k: v for k, v in row.items() if v not in (None, "")}, f"row {number}", number)


def _record(path: Path, value: object, where: str, number: int) -> Record:
    if not isinstance(value, dict):
        return Record(f"{path}#{where}", error=f"{where} is not an object with a 'text' field")
    text = value.get("text")
    key = value.get("id")
    source = f"{path}#{key if key not in (None, '') else number}"
    if not isinstance(text, str) or not text.strip():
        return Record(source, error=f"{where} has no 'text'")
    return Record(source, text, {k: v for k, v in value.items() if k != "text"})
