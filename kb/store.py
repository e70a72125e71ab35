"""The SQLite knowledge base: writes a processed Document in one transaction, answers lookups.

Written with sqlite-utils. Re-ingesting a file whose content hash is stored changes nothing; a
file whose content changed replaces the document stored for its path, in the same transaction.

The knowledge base does not depend on the order documents arrive in: corpus-wide duplicates are
decided by a fixed rule (``pipeline.dedup.assign``: the earliest-dated copy, then the smaller
sha256, is the original) over a MinHash LSH index persisted here (``lsh_keys``, ``lsh_buckets``),
and a paragraph's facts (mentions, relations, metrics) are stored only while it is an original.
When a new document makes a stored paragraph a duplicate its facts are deleted; when it makes a
stored duplicate an original again (its original was replaced) that document's facts are
extracted again from its stored text.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline.dedup import (DOCUMENT_THRESHOLD, PARAGRAPH_THRESHOLD, Node, assign, band_buckets,
                            exact_key, global_candidates, minhash, rank_key, signature_from_bytes,
                            signature_to_bytes, similarity)
from pipeline.document import Document
from pipeline.entities import KnownEntities
from pipeline.resolve import is_relative_name

from . import schema
from .connection import connect_readonly, describe_sqlite_error


class StoreError(Exception):
    """A problem with the database that the user must know about (locked, not a KB, ...)."""


_THRESHOLD = {"paragraph": PARAGRAPH_THRESHOLD, "document": DOCUMENT_THRESHOLD}

# The persisted LSH index (created here, beside the schema of kb/schema.py): ``lsh_keys`` holds one
# row per indexed text (a document, or a paragraph that is not a repeat inside its document) with
# its rank for the "which copy is the original" rule; ``lsh_buckets`` one row per LSH band. A new
# text is compared only with the texts sharing a bucket, so nothing is rebuilt at start-up and
# memory does not grow with the corpus.
INDEX_TABLES = [
    "create table if not exists lsh_keys (key text primary key, kind text not null, rank text not null, "
    "document_id integer not null references documents(id), row_id integer not null)",
    "create index if not exists idx_lsh_keys_document on lsh_keys(document_id)",
    "create index if not exists idx_lsh_keys_row on lsh_keys(kind, row_id)",
    "create table if not exists lsh_buckets (kind text not null, bucket integer not null, key text not null)",
    "create index if not exists idx_lsh_buckets on lsh_buckets(kind, bucket)",
    "create index if not exists idx_lsh_buckets_key on lsh_buckets(key)",
    "create index if not exists idx_signatures_exact on signatures(kind, exact)",
    "create index if not exists idx_paragraphs_duplicate on paragraphs(duplicate_of)",
    "create index if not exists idx_metrics_document on metrics(document_id)",
    "create index if not exists idx_relations_document on relations(document_id)",
    "create index if not exists idx_mentions_paragraph on mentions(paragraph_id)",
    "create index if not exists idx_entities_local on entities(local_to)",
]


def _index_stored_signatures(db: sqlite_utils.Database) -> None:
    """A database written before the LSH tables existed: index the signatures it keeps, once
    (nothing to do on a new database)."""
    rows = db.execute(
        "select s.key, s.kind, s.hashvalues, d.id, d.date, d.sha256 from signatures s join documents d "
        "on d.sha256 = case when s.kind = 'document' then s.key else substr(s.key, 1, 64) end").fetchall()
    for key, kind, blob, doc_id, date, sha in rows:
        idx = int(key.rpartition(":")[2]) if kind == "paragraph" else -1
        row_id = doc_id if kind == "document" else db.execute(
            "select id from paragraphs where document_id = ? and idx = ?", [doc_id, idx]).fetchone()[0]
        db.execute("insert or replace into lsh_keys values (?, ?, ?, ?, ?)", [key, kind, rank_key(date, sha, idx), doc_id, row_id])
        db.conn.executemany("insert into lsh_buckets values (?, ?, ?)",
                            [(kind, b, key) for b in band_buckets(signature_from_bytes(blob), _THRESHOLD[kind])])


class Store:
    """A knowledge base file. ``Store(path)`` creates the schema if needed."""

    def __init__(self, path: str | Path, readonly: bool = False):
        """Open (``readonly``: read-only, never creating or changing anything) or create a knowledge base."""
        self.path = Path(path)
        self.readonly = readonly
        try:
            if readonly:
                self.db = sqlite_utils.Database(connect_readonly(self.path))
                if not self.db["documents"].exists():
                    raise StoreError(f"{path}: not a cluster-kb database (no documents table)")
                return
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(str(path))
            schema.create(self.db, extra=INDEX_TABLES)
            with self.transaction():  # checked under the write lock, so it happens once
                if not self.db.execute("select 1 from lsh_keys limit 1").fetchone():
                    _index_stored_signatures(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable cluster-kb database ({describe_sqlite_error(exc)})") from exc

    # --- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self):
        """One write transaction, taken at once (BEGIN IMMEDIATE).

        Taking the write lock at the start (not at the first write) means two processes never
        both read and then both try to write; the second waits up to busy_timeout (30 s) and
        otherwise fails with 'database is locked' before it has changed anything.
        """
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def has_document(self, sha256: str) -> bool:
        """True when a document with this content hash is stored (ok or failed)."""
        return bool(sha256) and self.db.execute(
            "select 1 from documents where sha256 = ? limit 1", [sha256]).fetchone() is not None

    def save(self, doc: Document) -> int | None:
        """Store one processed document (or its failure) in one transaction; return its id.

        ``doc`` has been through the per-document stages, dedup inside the document
        (``pipeline.dedup.local_dedup``) and extraction; corpus-wide dedup happens here. A document
        stored earlier for the same source path with other content is replaced. Returns None when
        the same content is already stored (nothing changes).
        """
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.transaction():
            if doc.sha256 and self.has_document(doc.sha256):
                return None
            touched: set[int] = set()
            cleared: set[int] = set()  # paragraphs of other documents that pointed into a deleted one
            seeds = self._delete_source(doc.source, touched, cleared)
            doc_id = self.db["documents"].insert({
                "source": doc.source, "title": doc.title or None, "date": doc.date, "script": doc.script or None,
                "encoding": doc.encoding or None, "sha256": doc.sha256 or None, "status": doc.status,
                "error": doc.error or None, "warnings": json.dumps(doc.warnings, ensure_ascii=False) if doc.warnings else None,
                "original": doc.original or None, "text": doc.body_text if doc.ok else None,
                "duplicate_of": None, "n_paragraphs": len(doc.paragraphs) if doc.ok else 0,
                "ingested_at": now,
            }).last_pk
            paragraph_ids: dict[int, int] = {}
            if doc.ok:
                paragraph_ids = self._save_paragraphs(doc, doc_id)
                seeds += self._add_nodes(doc, doc_id, paragraph_ids)
            refresh = self._apply(assign(seeds, self._neighbours, self._is_original), doc_id, touched, cleared)
            if doc.ok:
                self._save_extraction(doc, doc_id, paragraph_ids, skip=self._duplicate_idx(doc_id))
            for other in sorted(refresh):
                self._refresh_facts(other, touched)
            self._collect_garbage(touched)
        return doc_id

    def _save_paragraphs(self, doc: Document, doc_id: int) -> dict[int, int]:
        paragraph_ids: dict[int, int] = {}
        for para in doc.paragraphs:
            paragraph_ids[para.idx] = self.db["paragraphs"].insert({
                "document_id": doc_id, "idx": para.idx, "kind": para.kind, "text": para.text,
                "original": para.original,
                "start": para.start, "end": para.end, "page": doc.page_of(para.start),
                "duplicate_of": None, "similarity": None,
            }).last_pk
        for para in doc.paragraphs:  # repeats inside the document point at its first copy
            if para.duplicate_of:
                target = paragraph_ids[int(str(para.duplicate_of).rpartition(":")[2])]
                self.db["paragraphs"].update(paragraph_ids[para.idx],
                                             {"duplicate_of": target, "similarity": round(para.similarity, 3)})
        self.db["asides"].insert_all(
            [{"document_id": doc_id, "kind": a.kind, "text": a.text, "value": a.value or None, "start": a.start}
             for a in doc.asides])
        return paragraph_ids

    # --- the persisted LSH index and corpus-wide dedup -------------------------------------

    def _add_nodes(self, doc: Document, doc_id: int, paragraph_ids: dict[int, int]) -> list[Node]:
        """Put the document and its comparable paragraphs in the LSH index; return them as nodes."""
        nodes = []
        texts = {p.idx: p.text for p in doc.paragraphs}
        for idx, exact, signature in global_candidates(doc):
            node = Node(f"{doc.sha256}:{idx}", rank_key(doc.date, doc.sha256, idx), exact, signature, texts[idx])
            self._insert_node(node, "paragraph", doc_id, paragraph_ids[idx])
            nodes.append(node)
        text = doc.body_text
        node = Node(doc.sha256, rank_key(doc.date, doc.sha256), exact_key(text), minhash(text))
        self._insert_node(node, "document", doc_id, doc_id)
        return nodes + [node]

    def _insert_node(self, node: Node, kind: str, doc_id: int, row_id: int) -> None:
        self.db["signatures"].insert({"key": node.key, "kind": kind, "exact": node.exact,
                                      "hashvalues": signature_to_bytes(node.signature)}, replace=True)
        self.db.execute("insert or replace into lsh_keys (key, kind, rank, document_id, row_id) values (?, ?, ?, ?, ?)",
                        [node.key, kind, node.rank, doc_id, row_id])
        self.db.conn.executemany("insert into lsh_buckets (kind, bucket, key) values (?, ?, ?)",
                                 [(kind, bucket, node.key) for bucket in band_buckets(node.signature, _THRESHOLD[kind])])

    def _node(self, key: str) -> Node | None:
        # A paragraph's text comes along: a near match must also state the same facts (dedup.similarity).
        row = self.db.execute("select s.exact, s.hashvalues, k.rank, p.text from signatures s join lsh_keys k on k.key = s.key "
                              "left join paragraphs p on k.kind = 'paragraph' and p.id = k.row_id "
                              "where s.key = ?", [key]).fetchone()
        return Node(key, row[2], row[0], signature_from_bytes(row[1]), row[3]) if row else None

    def _neighbours(self, node: Node) -> list[tuple[Node, float]]:
        """Stored nodes of the same kind at or above the threshold: LSH candidates, confirmed."""
        kind = "paragraph" if ":" in node.key else "document"
        buckets = band_buckets(node.signature, _THRESHOLD[kind])
        marks = ",".join("?" * len(buckets))
        keys = {k for (k,) in self.db.execute(
            f"select distinct key from lsh_buckets where kind = ? and bucket in ({marks})", [kind, *buckets])}
        keys |= {k for (k,) in self.db.execute("select key from signatures where kind = ? and exact = ?",
                                               [kind, node.exact])}
        keys.discard(node.key)
        out = []
        for key in sorted(keys):
            other = self._node(key)
            if other is not None:
                sim = similarity(node, other)
                if sim >= _THRESHOLD[kind]:
                    out.append((other, sim))
        return out

    def _is_original(self, key: str) -> bool:
        kind, row_id = self.db.execute("select kind, row_id from lsh_keys where key = ?", [key]).fetchone()
        table = "paragraphs" if kind == "paragraph" else "documents"
        return self.db.execute(f"select duplicate_of is null from {table} where id = ?", [row_id]).fetchone()[0] == 1

    def _apply(self, decisions: dict[str, tuple[str | None, float]], new_doc: int, touched: set[int],
               cleared: set[int]) -> set[int]:
        """Write the dedup decisions; return the other documents whose facts must be extracted again.

        A stored paragraph that became a duplicate loses its facts (they are counted where the
        original is); one that became an original again needs its document re-extracted.
        """
        refresh: set[int] = set()
        for key, (target, sim) in decisions.items():
            kind, doc_id, row_id = self.db.execute(
                "select kind, document_id, row_id from lsh_keys where key = ?", [key]).fetchone()
            target_id = self.db.execute("select row_id from lsh_keys where key = ?", [target]).fetchone()[0] \
                if target else None
            table = "paragraphs" if kind == "paragraph" else "documents"
            current = self.db.execute(f"select duplicate_of from {table} where id = ?", [row_id]).fetchone()[0]
            if kind == "document":
                if current != target_id:
                    self.db.execute("update documents set duplicate_of = ? where id = ?", [target_id, row_id])
                continue
            was_duplicate = current is not None or row_id in cleared
            if current == target_id and was_duplicate == (target_id is not None):
                continue
            self.db.execute("update paragraphs set duplicate_of = ?, similarity = ? where id = ?",
                            [target_id, round(sim, 3) if target_id else None, row_id])
            if doc_id == new_doc:
                continue
            if target_id is not None and not was_duplicate:
                self._delete_facts("paragraph_id = ?", [row_id], touched)
            elif target_id is None and was_duplicate:
                refresh.add(doc_id)
        return refresh

    def _duplicate_idx(self, doc_id: int) -> set[int]:
        return {idx for (idx,) in self.db.execute(
            "select idx from paragraphs where document_id = ? and duplicate_of is not null", [doc_id])}

    # --- replacing and re-extracting -------------------------------------------------------

    def _delete_source(self, source: str, touched: set[int], cleared: set[int]) -> list[Node]:
        """Delete what is stored for ``source`` (older content of the same path).

        Returns the stored nodes whose dedup status may change now that the deleted ones are gone:
        those that matched them further on in rank, and those that pointed at them.
        """
        seeds: dict[str, Node] = {}
        for (doc_id,) in self.db.execute("select id from documents where source = ?", [source]).fetchall():
            keys = [k for (k,) in self.db.execute("select key from lsh_keys where document_id = ?", [doc_id])]
            for key in keys:
                node = self._node(key)
                if node is None:
                    continue
                for other, _ in self._neighbours(node):
                    if other.rank > node.rank and other.key not in keys:
                        seeds[other.key] = other
            pointing = self.db.execute(
                "select k.key from paragraphs p join paragraphs t on t.id = p.duplicate_of "
                "join lsh_keys k on k.kind = 'paragraph' and k.row_id = p.id "
                "where t.document_id = ? and p.document_id != ? union "
                "select k.key from documents d join lsh_keys k on k.kind = 'document' and k.row_id = d.id "
                "where d.duplicate_of = ?", [doc_id, doc_id, doc_id]).fetchall()
            for (key,) in pointing:
                node = self._node(key)
                if node is not None:
                    seeds[key] = node
            cleared.update(i for (i,) in self.db.execute(
                "select p.id from paragraphs p join paragraphs t on t.id = p.duplicate_of "
                "where t.document_id = ? and p.document_id != ?", [doc_id, doc_id]))
            self._delete_document(doc_id, keys, touched)
        return list(seeds.values())

    def _delete_document(self, doc_id: int, keys: list[str], touched: set[int]) -> None:
        self._delete_facts("document_id = ?", [doc_id], touched)
        # Pointers into the document go first (foreign keys); dedup is decided again for them.
        self.db.execute("update paragraphs set duplicate_of = null, similarity = null where duplicate_of in "
                        "(select id from paragraphs where document_id = ?) and document_id != ?", [doc_id, doc_id])
        self.db.execute("update documents set duplicate_of = null where duplicate_of = ?", [doc_id])
        marks = ",".join("?" * len(keys))
        if keys:
            self.db.execute(f"delete from lsh_buckets where key in ({marks})", keys)
            self.db.execute(f"delete from lsh_keys where key in ({marks})", keys)
            self.db.execute(f"delete from signatures where key in ({marks})", keys)
        local = [i for (i,) in self.db.execute("select id from entities where local_to = ?", [doc_id])]
        for entity_id in local:
            self.db.execute("delete from aliases where entity_id = ?", [entity_id])
            self.db.execute("delete from entities where id = ?", [entity_id])
            touched.discard(entity_id)
        self.db.execute("delete from asides where document_id = ?", [doc_id])
        self.db.execute("update paragraphs set duplicate_of = null where document_id = ?", [doc_id])
        self.db.execute("delete from paragraphs where document_id = ?", [doc_id])
        self.db.execute("delete from documents where id = ?", [doc_id])

    def _delete_facts(self, where: str, args: list[Any], touched: set[int]) -> None:
        """Delete the mentions, relations and metrics matching ``where``; remember their entities."""
        for sql in (f"select entity_id from mentions where {where}",
                    f"select subject_id from relations where {where} union select object_id from relations where {where}",
                    f"select subject_id from metrics where {where} and subject_id is not null"):
            touched.update(i for (i,) in self.db.execute(sql, args * sql.count("?")))
        for table in ("mentions", "relations", "metrics"):
            self.db.execute(f"delete from {table} where {where}", args)

    def _refresh_facts(self, doc_id: int, touched: set[int]) -> None:
        """Extract a stored document again (from its stored original) and store the facts of its originals."""
        from .ingest import reprocess_stored

        row = self.db.execute("select source, sha256, encoding, original from documents where id = ?",
                              [doc_id]).fetchone()
        doc = reprocess_stored(*row)
        stored = {idx: text for idx, text in self.db.execute(
            "select idx, text from paragraphs where document_id = ?", [doc_id])}
        if not doc.ok or {p.idx: p.text for p in doc.paragraphs} != stored:
            raise StoreError(f"document {doc_id} ({row[0]}) no longer processes to its stored paragraphs; "
                             "re-ingest it into a fresh database")
        self._delete_facts("document_id = ?", [doc_id], touched)
        paragraph_ids = {idx: i for i, idx in self.db.execute(
            "select id, idx from paragraphs where document_id = ?", [doc_id])}
        self._save_extraction(doc, doc_id, paragraph_ids, skip=self._duplicate_idx(doc_id))

    def _collect_garbage(self, entity_ids: set[int]) -> None:
        """Entities left with no mention, relation or metric go; the others keep only aliases still seen."""
        for entity_id in sorted(entity_ids):
            used = self.db.execute(
                "select exists(select 1 from mentions where entity_id = ?) or "
                "exists(select 1 from relations where subject_id = ? or object_id = ?) or "
                "exists(select 1 from metrics where subject_id = ?)", [entity_id] * 4).fetchone()[0]
            if not used:
                self.db.execute("delete from aliases where entity_id = ?", [entity_id])
                self.db.execute("delete from entities where id = ?", [entity_id])
            else:
                self.db.execute("delete from aliases where entity_id = ? and alias not in "
                                "(select surface from mentions where entity_id = ?)", [entity_id, entity_id])

    # --- facts -----------------------------------------------------------------------------

    def _save_extraction(self, doc: Document, doc_id: int, paragraph_ids: dict[int, int],
                         skip: set[int] = frozenset()) -> None:
        """Store the facts of the document's paragraphs, except those in ``skip`` (duplicates)."""
        names: dict[str, int] = {}  # canonical name -> entity id, as this document found it
        for span in doc.entities:
            if span.paragraph_idx in skip:
                continue
            entity_id = self.entity_id(span.name, span.type, create=True, document_id=doc_id)
            names.setdefault(span.name, entity_id)
            if span.text != span.name:
                self.db["aliases"].insert({"entity_id": entity_id, "alias": span.text}, ignore=True)
            para = doc.paragraphs[span.paragraph_idx] if 0 <= span.paragraph_idx < len(doc.paragraphs) else None
            orig = para.original_span(span.start, span.end) if para else (None, None)
            self.db["mentions"].insert({
                "entity_id": entity_id, "document_id": doc_id, "paragraph_id": paragraph_ids.get(span.paragraph_idx),
                "start": span.start, "end": span.end, "orig_start": orig[0], "orig_end": orig[1],
                "surface": span.text, "source": span.source or None, "confidence": span.confidence,
            })
        for rel in doc.relations:
            if rel.paragraph_idx in skip:
                continue
            subject_id = self.entity_id(rel.subject, rel.subject_type, create=True, document_id=doc_id)
            object_id = self.entity_id(rel.object, rel.object_type, create=True, document_id=doc_id)
            self.db["relations"].insert({
                "subject_id": subject_id, "predicate": rel.predicate, "object_id": object_id,
                "document_id": doc_id, "paragraph_id": paragraph_ids.get(rel.paragraph_idx),
                "evidence": rel.evidence, "confidence": rel.confidence,
                "attrs": json.dumps(rel.attrs, ensure_ascii=False) if rel.attrs else None,
            })
        for metric in doc.metrics:
            if metric.paragraph_idx in skip:
                continue
            # The subject as this document names it: a corpus-wide lookup by name would pick
            # whichever same-named entity happened to be stored first.
            subject_id = names.get(metric.subject) if metric.subject else None
            self.db["metrics"].insert({
                "subject_id": subject_id, "subject_text": metric.subject_text or metric.subject or None,
                "indicator": metric.indicator, "value": metric.value, "unit": metric.unit,
                "period": metric.period or None, "raw": metric.raw, "document_id": doc_id,
                "paragraph_id": paragraph_ids.get(metric.paragraph_idx),
            })

    def entity_id(self, name: str, type_: str, create: bool = False, document_id: int | None = None) -> int | None:
        """Id of the entity (name, type): the same canonical name and type is one entity corpus-wide.

        A name still relative to its article (区委组织部 that resolution could not anchor) is an
        entity of that document only (``local_to``), so two districts' bodies never merge.
        """
        local_to = document_id if document_id is not None and is_relative_name(name) else None
        row = self.db.execute("select id from entities where name = ? and type = ? and local_to is ?",
                              [name, type_, local_to]).fetchone()
        if row:
            return row[0]
        if not create:
            return None
        return self.db["entities"].insert({"name": name, "type": type_, "local_to": local_to}).last_pk

    def lookup_entity(self, name: str) -> int | None:
        """Id of an entity by canonical name or alias (any type), or None."""
        row = self.db.execute(
            "select id from entities where name = ? union all "
            "select entity_id from aliases where alias = ? limit 1", [name, name]).fetchone()
        return row[0] if row else None

    def known_entities(self) -> KnownEntities:
        """Every stored name and alias (for tools; ingest does not feed them to extraction).

        Ingest extracts each document on its own so that the knowledge base does not depend on
        the order documents arrive in (see kb/ingest.py). Relative names (区委组织部, 工业区) are
        left out as aliases: they mean a different body in an article about another district.
        """
        known = KnownEntities()
        for name, type_ in self.db.execute("select name, type from entities where local_to is null"):
            known.add(name, type_)
        for alias, name, type_ in self.db.execute(
                "select a.alias, e.name, e.type from aliases a join entities e on e.id = a.entity_id "
                "where e.local_to is null"):
            if not is_relative_name(alias):
                known.add(name, type_, [alias])
        return known

    # --- reading ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Row counts and a few totals for ``kb stats``."""
        count = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "documents": count("select count(*) from documents"),
            "documents_ok": count("select count(*) from documents where status = 'ok'"),
            "documents_failed": count("select count(*) from documents where status = 'failed'"),
            "duplicate_documents": count("select count(*) from documents where duplicate_of is not null"),
            "paragraphs": count("select count(*) from paragraphs"),
            "duplicate_paragraphs": count("select count(*) from paragraphs where duplicate_of is not null"),
            "asides": count("select count(*) from asides"),
            "entities": count("select count(*) from entities"),
            "aliases": count("select count(*) from aliases"),
            "mentions": count("select count(*) from mentions"),
            "relations": count("select count(*) from relations"),
            "metrics": count("select count(*) from metrics"),
        }

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Paragraphs that contain ``query`` (any length, 党委 included), in document order.

        The same SQL answers the web page's ``search`` query (:data:`kb.schema.SEARCH_SQL`).
        Raises ValueError for an empty query or one over :data:`kb.schema.MAX_QUERY_CHARS`.
        """
        query = query.strip()
        if not query:
            raise ValueError("empty query: give a word or phrase to look for")
        if len(query) > schema.MAX_QUERY_CHARS:
            raise ValueError(f"query too long: {len(query)} characters (at most {schema.MAX_QUERY_CHARS})")
        return [dict(row) for row in self.db.query(schema.SEARCH_SQL + " limit :limit", {"q": query, "limit": limit})]

    def find_document(self, ref: str) -> dict[str, Any] | None:
        """A document by id, sha256 (or a prefix of it), source path or file name."""
        queries = [("select * from documents where id = ?", ref if ref.isdigit() else None),
                   ("select * from documents where source = ? order by id desc", ref),
                   ("select * from documents where sha256 like ? || '%'", ref if len(ref) >= 6 else None),
                   ("select * from documents where source like '%' || ? || '%' order by id desc", ref)]
        for sql, arg in queries:
            if arg is None:
                continue
            rows = list(self.db.query(sql, [arg]))
            if rows:
                return rows[0]
        return None

    def paragraphs(self, document_id: int) -> list[dict[str, Any]]:
        """A document's paragraphs in order, with where each duplicate points."""
        return list(self.db.query(
            "select p.*, dp.document_id as duplicate_document_id, dp.idx as duplicate_idx from paragraphs p "
            "left join paragraphs dp on dp.id = p.duplicate_of where p.document_id = ? order by p.idx",
            [document_id]))

    def document_facts(self, document_id: int) -> dict[str, Any]:
        """A document's entities (with aliases), relations and metrics, by name: the gold-file shape."""
        doc = self.db.execute("select source, date from documents where id = ?", [document_id]).fetchone()
        entities = []
        for entity_id, name, type_ in self.db.execute(
                "select distinct e.id, e.name, e.type from mentions m join entities e on e.id = m.entity_id "
                "where m.document_id = ? order by e.id", [document_id]):
            aliases = [a for (a,) in self.db.execute(
                "select distinct surface from mentions where entity_id = ? and document_id = ? and surface != ?",
                [entity_id, document_id, name])]
            entities.append({"name": name, "type": type_, "aliases": aliases})
        relations = [
            {"s": s, "p": p, "o": o, "evidence": ev, "confidence": conf, "attrs": json.loads(attrs) if attrs else {}}
            for s, p, o, ev, conf, attrs in self.db.execute(
                "select s.name, r.predicate, o.name, r.evidence, r.confidence, r.attrs from relations r "
                "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
                "where r.document_id = ? order by r.id", [document_id])]
        metrics = [dict(zip(("subject", "indicator", "value", "unit", "period", "raw"), row)) for row in self.db.execute(
            "select coalesce(e.name, m.subject_text), m.indicator, m.value, m.unit, m.period, m.raw from metrics m "
            "left join entities e on e.id = m.subject_id where m.document_id = ? order by m.id", [document_id])]
        return {"doc": Path(doc[0]).name, "date": doc[1], "entities": entities, "relations": relations,
                "metrics": metrics}

    def failures(self) -> list[dict[str, Any]]:
        """Documents that failed, with the reason."""
        return list(self.db.query(
            "select id, source, error, ingested_at from documents where status = 'failed' order by id"))
