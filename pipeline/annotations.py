"""The project's annotated in-domain corpus (``models/annotations``): records, splits, texts, spans.

Records follow ``models/annotations/CONVENTIONS.md`` (the annotation guide plus the project's settled
cases): one JSON object per document with entity names and aliases, relations with evidence and
metrics. Annotators write names, not offsets: :func:`entity_spans` finds every occurrence of each
name and alias in the text, longest first, so training data gets character spans.

The texts stay in ``../shared/data/cctv_pool`` (their licence keeps them out of the repository);
:func:`pool_texts` reads them from there. Training and evaluation import this module; the runtime
pipeline does not.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from .resources import models_dir

ANNOTATIONS_DIR = models_dir() / "annotations"
RECORDS_DIR = ANNOTATIONS_DIR / "cctv"
SELECTION = ANNOTATIONS_DIR / "selection.tsv"
DEFAULT_POOL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cctv_pool" / "pool.jsonl.gz"
SPLITS = ("train", "dev", "test")


class PoolMissing(FileNotFoundError):
    """The CCTV pool (the annotated texts) is not beside the project."""


def load_records(folder: Path = RECORDS_DIR) -> dict[str, dict]:
    """Every annotation record of the folder's ``*.jsonl`` files, by document id (sorted files: a
    later file's record of the same document wins, so an adjudicated batch can override)."""
    records: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records[record["doc"]] = record
    return records


def load_splits(path: Path = SELECTION) -> dict[str, str]:
    """Document id → ``train`` / ``dev`` / ``test`` (fixed in ``selection.tsv``)."""
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    id_col, split_col = header.index("id"), header.index("split")
    return {cols[id_col]: cols[split_col] for cols in (row.split("\t") for row in rows[1:]) if cols[0]}


def split_records(split: str, records: dict[str, dict] | None = None) -> dict[str, dict]:
    """The annotated records of one split."""
    records = load_records() if records is None else records
    splits = load_splits()
    return {doc: record for doc, record in records.items() if splits.get(doc) == split}


def iter_pool(pool: Path = DEFAULT_POOL) -> Iterator[tuple[str, str]]:
    """``(id, title + "\\n\\n" + text)`` for every item of the pool (the pool README's document rule)."""
    if not pool.is_file():
        raise PoolMissing(
            f"the CCTV pool is missing: {pool} (it comes with ../shared/data; "
            "the annotations' texts are not in the repository)"
        )
    with gzip.open(pool, "rt", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            yield item["id"], item["title"] + "\n\n" + item["text"]


def pool_texts(ids: Iterable[str], pool: Path = DEFAULT_POOL) -> dict[str, str]:
    """``{id: title + "\\n\\n" + text}`` for the wanted items."""
    wanted = set(ids)
    return {item_id: text for item_id, text in iter_pool(pool) if item_id in wanted}


def entity_spans(text: str, entities: Iterable[dict]) -> list[tuple[int, int, str, str]]:
    """``(start, end, type, name)`` for every occurrence of every name and alias, longest first.

    A position already covered by a longer form is not matched again, so 古灶村党委 inside
    广东佛山古灶村党委 is not a second span. Sorted by start.
    """
    forms = sorted(
        {(form, e["type"], e["name"]) for e in entities for form in [e["name"], *e.get("aliases", [])] if form},
        key=lambda f: (-len(f[0]), f[0], f[1]),
    )
    taken = [False] * len(text)
    spans = []
    for form, type_, name in forms:
        start = text.find(form)
        while start != -1:
            end = start + len(form)
            if not any(taken[start:end]):
                spans.append((start, end, type_, name))
                for i in range(start, end):
                    taken[i] = True
            start = text.find(form, start + 1)
    return sorted(spans)
