"""The database schema: the contract for dashboards and queries. Documented in README.md.

All tables are created here, in one place, with sqlite-utils. Offsets: ``paragraphs.start/end``
and ``mentions.orig_start/orig_end`` index ``documents.original``; ``mentions.start/end`` index
``paragraphs.text``.
"""
from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 1

TABLES: dict[str, dict] = {
    "documents": dict(
        columns={"id": int, "source": str, "title": str, "date": str, "script": str, "encoding": str,
                 "sha256": str, "status": str, "error": str, "warnings": str, "original": str,
                 "text": str, "duplicate_of": int, "n_paragraphs": int, "ingested_at": str},
        pk="id", not_null={"source", "status", "ingested_at"}, defaults={"status": "ok"},
        foreign_keys=[("duplicate_of", "documents", "id")],
    ),
    "paragraphs": dict(
        columns={"id": int, "document_id": int, "idx": int, "kind": str, "text": str,
                 "text_segmented": str, "original": str, "start": int, "end": int, "page": int,
                 "duplicate_of": int, "similarity": float},
        pk="id", not_null={"document_id", "idx", "text"},
        foreign_keys=[("document_id", "documents", "id"), ("duplicate_of", "paragraphs", "id")],
    ),
    "asides": dict(
        columns={"id": int, "document_id": int, "kind": str, "text": str, "value": str, "start": int},
        pk="id", foreign_keys=[("document_id", "documents", "id")],
    ),
    # local_to: the document a still-relative name (区委组织部 left unresolved) belongs to; such a
    # name means a different body in every article, so it is never merged across documents.
    "entities": dict(columns={"id": int, "name": str, "type": str, "local_to": int}, pk="id",
                     not_null={"name", "type"}, foreign_keys=[("local_to", "documents", "id")]),
    "aliases": dict(
        columns={"entity_id": int, "alias": str}, pk=("entity_id", "alias"),
        foreign_keys=[("entity_id", "entities", "id")],
    ),
    "mentions": dict(
        columns={"id": int, "entity_id": int, "document_id": int, "paragraph_id": int, "start": int,
                 "end": int, "orig_start": int, "orig_end": int, "surface": str, "source": str,
                 "confidence": float},
        pk="id",
        foreign_keys=[("entity_id", "entities", "id"), ("document_id", "documents", "id"),
                      ("paragraph_id", "paragraphs", "id")],
    ),
    "relations": dict(
        columns={"id": int, "subject_id": int, "predicate": str, "object_id": int, "document_id": int,
                 "paragraph_id": int, "evidence": str, "confidence": float, "attrs": str},
        pk="id",
        foreign_keys=[("subject_id", "entities", "id"), ("object_id", "entities", "id"),
                      ("document_id", "documents", "id"), ("paragraph_id", "paragraphs", "id")],
    ),
    "metrics": dict(
        columns={"id": int, "subject_id": int, "subject_text": str, "indicator": str, "value": float,
                 "unit": str, "period": str, "raw": str, "document_id": int, "paragraph_id": int},
        pk="id",
        foreign_keys=[("subject_id", "entities", "id"), ("document_id", "documents", "id"),
                      ("paragraph_id", "paragraphs", "id")],
    ),
    # MinHash signatures of indexed paragraphs and documents (the LSH band tables point at them).
    "signatures": dict(
        columns={"key": str, "kind": str, "exact": str, "hashvalues": bytes}, pk="key",
    ),
}

INDEXES = [
    ("documents", ["sha256"], True), ("documents", ["source"], False),
    ("paragraphs", ["document_id", "idx"], True), ("entities", ["name", "type"], False),
    ("aliases", ["alias"], False), ("mentions", ["entity_id"], False), ("mentions", ["document_id"], False),
    ("relations", ["subject_id"], False), ("relations", ["object_id"], False),
    ("relations", ["predicate"], False), ("metrics", ["subject_id"], False), ("asides", ["document_id"], False),
]


def create(db: sqlite_utils.Database) -> None:
    """Create every table, index and the full-text index if missing; turn on WAL and foreign keys."""
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    with db.atomic():
        for name, spec in TABLES.items():
            if not db[name].exists():
                db[name].create(**spec)
        for table, columns, unique in INDEXES:
            db[table].create_index(columns, unique=unique, if_not_exists=True)
        # One row per canonical name and type, corpus-wide (or per document for relative names).
        db.execute("create unique index if not exists idx_entities_identity "
                   "on entities(name, type, ifnull(local_to, 0))")
    if not db["paragraphs_fts"].exists():
        # FTS5 over jieba-segmented text: a two-character query such as 党委 is one token there,
        # which a trigram tokenizer cannot match.
        db["paragraphs"].enable_fts(["text_segmented"], fts_version="FTS5", create_triggers=True,
                                    tokenize="unicode61")
    from .views import create_views  # the dashboard views (kb/views.py) read these tables

    create_views(db)
    db["meta"].insert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key", replace=True)
