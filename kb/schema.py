"""The database schema: the contract for dashboards and queries. Documented in README.md.

All tables are created here, in one place, with sqlite-utils. Offsets: ``paragraphs.start/end``
and ``mentions.orig_start/orig_end`` index ``documents.original``; ``mentions.start/end`` index
``paragraphs.text``. A document's cleaned text is not stored: it is its paragraphs joined
(:func:`document_text`; the view ``document_texts`` in SQL).
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

SCHEMA_VERSION = 4  # 4: documents.text not stored (the view document_texts), a smaller search index;
# 3: compact dedup index and held facts (kb.corpus_index); 2: trigram full-text index

TABLES: dict[str, dict] = {
    "documents": dict(
        columns={
            "id": int,
            "source": str,
            "title": str,
            "date": str,
            "script": str,
            "encoding": str,
            "sha256": str,
            "status": str,
            "error": str,
            "warnings": str,
            "original": str,
            "duplicate_of": int,
            "n_paragraphs": int,
            "ingested_at": str,
            "metadata": str,
        },
        pk="id",
        not_null={"source", "status", "ingested_at"},
        defaults={"status": "ok"},
        foreign_keys=[("duplicate_of", "documents", "id")],
    ),
    "paragraphs": dict(
        columns={
            "id": int,
            "document_id": int,
            "idx": int,
            "kind": str,
            "text": str,
            "start": int,
            "end": int,
            "page": int,
            "duplicate_of": int,
            "similarity": float,
        },
        pk="id",
        not_null={"document_id", "idx", "text"},
        foreign_keys=[("document_id", "documents", "id"), ("duplicate_of", "paragraphs", "id")],
    ),
    "asides": dict(
        columns={"id": int, "document_id": int, "kind": str, "text": str, "value": str, "start": int},
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
    ),
    # local_to: the document a still-relative name (区委组织部 left unresolved) belongs to; such a
    # name means a different body in every article, so it is never merged across documents.
    "entities": dict(
        columns={"id": int, "name": str, "type": str, "local_to": int},
        pk="id",
        not_null={"name", "type"},
        foreign_keys=[("local_to", "documents", "id")],
    ),
    "aliases": dict(
        columns={"entity_id": int, "alias": str},
        pk=("entity_id", "alias"),
        foreign_keys=[("entity_id", "entities", "id")],
    ),
    "mentions": dict(
        columns={
            "id": int,
            "entity_id": int,
            "document_id": int,
            "paragraph_id": int,
            "start": int,
            "end": int,
            "orig_start": int,
            "orig_end": int,
            "surface": str,
            "source": str,
            "confidence": float,
        },
        pk="id",
        foreign_keys=[
            ("entity_id", "entities", "id"),
            ("document_id", "documents", "id"),
            ("paragraph_id", "paragraphs", "id"),
        ],
    ),
    "relations": dict(
        columns={
            "id": int,
            "subject_id": int,
            "predicate": str,
            "object_id": int,
            "document_id": int,
            "paragraph_id": int,
            "evidence": str,
            "confidence": float,
            "attrs": str,
        },
        pk="id",
        foreign_keys=[
            ("subject_id", "entities", "id"),
            ("object_id", "entities", "id"),
            ("document_id", "documents", "id"),
            ("paragraph_id", "paragraphs", "id"),
        ],
    ),
    "metrics": dict(
        columns={
            "id": int,
            "subject_id": int,
            "subject_text": str,
            "indicator": str,
            "value": float,
            "unit": str,
            "period": str,
            "raw": str,
            "document_id": int,
            "paragraph_id": int,
        },
        pk="id",
        foreign_keys=[
            ("subject_id", "entities", "id"),
            ("document_id", "documents", "id"),
            ("paragraph_id", "paragraphs", "id"),
        ],
    ),
}

INDEXES = [
    ("documents", ["sha256"], True),
    ("documents", ["source"], False),
    ("paragraphs", ["document_id", "idx"], True),
    ("aliases", ["alias"], False),
    ("mentions", ["entity_id"], False),
    ("mentions", ["document_id"], False),
    ("relations", ["subject_id"], False),
    ("relations", ["object_id"], False),
    ("relations", ["predicate"], False),
    ("metrics", ["subject_id"], False),
    ("asides", ["document_id"], False),
]


# Full-text search: a contentless FTS5 trigram index over paragraphs.text. Search means "the
# paragraph contains this string" (any length): the trigram index finds candidates for strings of
# three or more characters, and ``instr`` settles every match, so a two-character word such as 党委
# is found too. Contentless, so Datasette does not attach a MATCH search box of its own that would
# answer differently: the CLI and the web page both run SEARCH_SQL. detail=none keeps no positions
# (a third of the index): the candidates are the paragraphs holding every trigram of the query,
# not in order, and instr decides as before; columnsize=0 keeps no lengths (nothing ranks).
FTS_CREATE = (
    "create virtual table if not exists paragraphs_fts using fts5(text, content='', tokenize='trigram', "
    "detail=none, columnsize=0)"
)
FTS_STATEMENTS = [
    FTS_CREATE,
    "create trigger if not exists paragraphs_fts_insert after insert on paragraphs begin "
    "insert into paragraphs_fts (rowid, text) values (new.id, new.text); end",
    "create trigger if not exists paragraphs_fts_delete after delete on paragraphs begin "
    "insert into paragraphs_fts (paragraphs_fts, rowid, text) values ('delete', old.id, old.text); end",
    "create trigger if not exists paragraphs_fts_update after update of text on paragraphs begin "
    "insert into paragraphs_fts (paragraphs_fts, rowid, text) values ('delete', old.id, old.text); "
    "insert into paragraphs_fts (rowid, text) values (new.id, new.text); end",
]
# Written before the trigram index (schema version 1): jieba-segmented FTS with sqlite-utils' triggers.
_OLD_FTS = [
    "drop trigger if exists paragraphs_ai",
    "drop trigger if exists paragraphs_ad",
    "drop trigger if exists paragraphs_au",
    "drop table if exists paragraphs_fts",
]
# Written by schema versions 2 and 3: the trigram index with positions and lengths (detail=full).
_FULL_FTS = [
    "drop trigger if exists paragraphs_fts_insert",
    "drop trigger if exists paragraphs_fts_delete",
    "drop trigger if exists paragraphs_fts_update",
    "drop table if exists paragraphs_fts",
]

MAX_QUERY_CHARS = 200
# The full-text query is every trigram of :q, each quoted ("ab""c" for ab"c), ANDed: '"产业集" "业集群"'.
SEARCH_SQL = f"""with recursive grams(i) as (select 1 union all select i + 1 from grams where i + 3 <= length(:q))
select p.id as paragraph_id, p.document_id, d.title, d.source, p.idx, p.text, p.duplicate_of
from paragraphs p join documents d on d.id = p.document_id
where :q <> '' and length(:q) <= {MAX_QUERY_CHARS}
  and (length(:q) < 3 or p.id in (select rowid from paragraphs_fts where paragraphs_fts match
         (select group_concat('"' || replace(substr(:q, i, 3), '"', '""') || '"', ' ') from grams)))
  and instr(p.text, :q) > 0
order by p.document_id, p.idx"""


def statements(db: sqlite_utils.Database) -> Iterator[str]:
    """Every statement of the schema, each safe to run again (IF NOT EXISTS), in dependency order.

    A generator: sqlite-utils checks a table's foreign keys against the tables that exist, so each
    statement must run before the next is made.
    """
    for name, spec in TABLES.items():
        yield db.create_table_sql(name, **spec).replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
    for table, columns, unique in INDEXES:
        yield (
            f"create {'unique ' if unique else ''}index if not exists idx_{table}_{'_'.join(columns)} "
            f"on {table}({', '.join(columns)})"
        )
    # One row per canonical name and type, corpus-wide (or per document for relative names).
    yield "create unique index if not exists idx_entities_identity on entities(name, type, ifnull(local_to, 0))"
    yield "create table if not exists meta (key text primary key, value text)"


def _use_wal(conn, seconds: float = 30.0) -> None:
    """Turn on WAL, waiting while another process holds the database: changing the journal mode
    needs the database to itself, and SQLite answers 'locked' at once there instead of waiting the
    busy timeout (1 start in 20 of 8 processes creating one database at once, measured)."""
    import sqlite3
    import time

    deadline = time.monotonic() + seconds
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _drop_schema_3_copies(conn) -> None:
    """What a database of schema 3 or older kept twice: ``documents.text`` (its paragraphs joined,
    now the view ``document_texts``) and an index on entities(name, type) (the identity index
    answers those lookups)."""
    if "text" in {row[1] for row in conn.execute("pragma table_info(documents)")}:
        conn.execute("alter table documents drop column text")
    conn.execute("drop index if exists idx_entities_name_type")


def document_text(conn, document_id: int) -> str | None:
    """A document's cleaned text, what extraction offsets index: its paragraphs joined by newlines
    (None for a failed document). Not stored: the view ``document_texts`` gives the same in SQL."""
    row = conn.execute("select status from documents where id = ?", [document_id]).fetchone()
    if row is None or row[0] != "ok":
        return None
    paragraphs = conn.execute("select text from paragraphs where document_id = ? order by idx", [document_id])
    return "\n".join(text for (text,) in paragraphs)


def create(db: sqlite_utils.Database, extra: list[str] | tuple[str, ...] = ()) -> bool:
    """Create every table, index, the full-text index and the views if missing; migrate an older
    database. Returns True when the database was new.

    All of it runs in one ``BEGIN IMMEDIATE`` transaction: two processes creating the same new
    database at once take turns on SQLite's write lock (busy timeout 30 s), and the second finds
    everything in place. ``extra`` are more idempotent statements run in the same transaction.
    """
    conn = db.conn
    conn.execute("PRAGMA busy_timeout = 30000")
    # Pages freed inside the file (the full-text index merging its segments: 11% of a new
    # database) go back to the disk at the end of each ingest (kb.ingest). Takes effect only on a
    # database without tables yet.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    _use_wal(conn)
    # In WAL mode NORMAL still makes each transaction atomic and survives a killed process; it only
    # skips the disk flush at every commit (a third of the writer's time, growing with the file).
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        fresh = not conn.execute("select 1 from sqlite_master where name = 'documents'").fetchone()
        old_fts = conn.execute("select sql from sqlite_master where name = 'paragraphs_fts'").fetchone()
        if old_fts and "trigram" not in old_fts[0]:
            for sql in _OLD_FTS:
                conn.execute(sql)
        elif old_fts and "detail=none" not in old_fts[0]:
            for sql in _FULL_FTS:
                conn.execute(sql)
        for sql in statements(db):
            conn.execute(sql)
        if "metadata" not in {row[1] for row in conn.execute("pragma table_info(documents)")}:
            conn.execute("alter table documents add column metadata text")  # a schema-2 database
        _drop_schema_3_copies(conn)
        for sql in FTS_STATEMENTS:
            conn.execute(sql)
        if old_fts and "detail=none" not in old_fts[0]:
            conn.execute("insert into paragraphs_fts (rowid, text) select id, text from paragraphs")
        for sql in extra:
            conn.execute(sql)
        from .views import create_views  # the dashboard views (kb/views.py) read these tables

        create_views(conn)
        conn.execute("insert or replace into meta (key, value) values ('schema_version', ?)", [str(SCHEMA_VERSION)])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return fresh
