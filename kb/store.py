"""The SQLite knowledge base: writes a processed Document in one transaction, answers lookups.

Written with sqlite-utils. Re-ingesting a file whose content hash is stored changes nothing.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline.dedup import (DOCUMENT_THRESHOLD, PARAGRAPH_THRESHOLD, DedupIndex, exact_key, minhash,
                            signature_from_bytes, signature_to_bytes)
from pipeline.document import Document
from pipeline.entities import KnownEntities
from pipeline.resolve import is_relative_name

from . import schema


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    return jieba


def segment(text: str) -> str:
    """Space-separated jieba tokens (search mode, so compounds are indexed with their parts)."""
    return " ".join(tok for tok in _jieba().cut_for_search(text) if tok.strip())


class StoreError(Exception):
    """A problem with the database that the user must know about (locked, not a KB, ...)."""


class Store:
    """A knowledge base file. ``Store(path)`` creates the schema if needed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite_utils.Database(str(path))
            schema.create(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable cluster-kb database ({exc})") from exc

    # --- writing ---------------------------------------------------------------------------

    def has_document(self, sha256: str) -> bool:
        """True when a document with this content hash is stored (ok or failed)."""
        return bool(sha256) and self.db.execute(
            "select 1 from documents where sha256 = ? limit 1", [sha256]).fetchone() is not None

    def dedup_indexes(self) -> tuple[DedupIndex, DedupIndex]:
        """Paragraph and document dedup indexes holding every stored signature."""
        paragraphs, documents = DedupIndex(PARAGRAPH_THRESHOLD), DedupIndex(DOCUMENT_THRESHOLD)
        for row in self.db.execute("select key, kind, exact, hashvalues from signatures order by rowid"):
            key, kind, exact, values = row
            signature = signature_from_bytes(values)
            (documents if kind == "document" else paragraphs).add(key, signature, exact)
        return paragraphs, documents

    def save(self, doc: Document) -> int | None:
        """Store one processed document (or its failure) in one transaction; return its id.

        Returns None when the same content is already stored (nothing changes).
        """
        if doc.sha256 and self.has_document(doc.sha256):
            return None
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.db.atomic():
            if not doc.sha256:  # unreadable file: keep one failure row per path
                self.db.execute("delete from documents where sha256 is null and source = ? and status = 'failed'",
                                [doc.source])
            duplicate_doc = self._document_id(doc.duplicate_of_document) if doc.duplicate_of_document else None
            doc_id = self.db["documents"].insert({
                "source": doc.source, "title": doc.title or None, "date": doc.date, "script": doc.script or None,
                "encoding": doc.encoding or None, "sha256": doc.sha256 or None, "status": doc.status,
                "error": doc.error or None, "warnings": json.dumps(doc.warnings, ensure_ascii=False) if doc.warnings else None,
                "original": doc.original or None, "text": doc.body_text if doc.ok else None,
                "duplicate_of": duplicate_doc, "n_paragraphs": len(doc.paragraphs) if doc.ok else 0,
                "ingested_at": now,
            }).last_pk
            if doc.ok:
                self._save_content(doc, doc_id)
        return doc_id

    def _save_content(self, doc: Document, doc_id: int) -> None:
        paragraph_ids: dict[int, int] = {}
        for para in doc.paragraphs:
            paragraph_ids[para.idx] = self.db["paragraphs"].insert({
                "document_id": doc_id, "idx": para.idx, "kind": para.kind, "text": para.text,
                "text_segmented": segment(para.text), "original": para.original,
                "start": para.start, "end": para.end, "page": doc.page_of(para.start),
                "duplicate_of": None, "similarity": None,
            }).last_pk
        for para in doc.paragraphs:
            if para.duplicate_of:
                target = self._paragraph_id(para.duplicate_of)
                self.db["paragraphs"].update(paragraph_ids[para.idx],
                                             {"duplicate_of": target, "similarity": round(para.similarity, 3)})
            elif len(para.text) and not para.duplicate_of:
                self._save_signature(f"{doc.sha256}:{para.idx}", "paragraph", para.text)
        self._save_signature(doc.sha256, "document", doc.body_text)
        self.db["asides"].insert_all(
            [{"document_id": doc_id, "kind": a.kind, "text": a.text, "value": a.value or None, "start": a.start}
             for a in doc.asides])
        self._save_extraction(doc, doc_id, paragraph_ids)

    def _save_signature(self, key: str, kind: str, text: str) -> None:
        signature = minhash(text)
        self.db["signatures"].insert({"key": key, "kind": kind, "exact": exact_key(text),
                                      "hashvalues": signature_to_bytes(signature)},
                                     replace=True)

    def _save_extraction(self, doc: Document, doc_id: int, paragraph_ids: dict[int, int]) -> None:
        for span in doc.entities:
            entity_id = self.entity_id(span.name, span.type, create=True, document_id=doc_id)
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
            subject_id = self.entity_id(rel.subject, rel.subject_type, create=True, document_id=doc_id)
            object_id = self.entity_id(rel.object, rel.object_type, create=True, document_id=doc_id)
            self.db["relations"].insert({
                "subject_id": subject_id, "predicate": rel.predicate, "object_id": object_id,
                "document_id": doc_id, "paragraph_id": paragraph_ids.get(rel.paragraph_idx),
                "evidence": rel.evidence, "confidence": rel.confidence,
                "attrs": json.dumps(rel.attrs, ensure_ascii=False) if rel.attrs else None,
            })
        for metric in doc.metrics:
            subject_id = self.lookup_entity(metric.subject) if metric.subject else None
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
        """Every stored name and alias: what the recognizers find again in new text.

        Relative names (区委组织部, 工业区) are left out as aliases: they mean a different body in
        an article about another district, and resolution works them out per document.
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

    def _document_id(self, sha256: str) -> int | None:
        row = self.db.execute("select id from documents where sha256 = ?", [sha256]).fetchone()
        return row[0] if row else None

    def _paragraph_id(self, key: str) -> int | None:
        sha256, _, idx = key.rpartition(":")
        row = self.db.execute(
            "select p.id from paragraphs p join documents d on d.id = p.document_id where d.sha256 = ? and p.idx = ?",
            [sha256, int(idx)]).fetchone()
        return row[0] if row else None

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
        """Paragraphs matching every word of ``query`` (full-text, jieba-segmented), best first.

        Words shorter than two characters, which the index does not hold alone, fall back to a
        substring match.
        """
        tokens = [t for t in _jieba().cut_for_search(query) if t.strip() and any(c.isalnum() for c in t)]
        tokens = [t for t in tokens if not any(t != o and t in o for o in tokens)]  # keep the longest forms
        if tokens and all(len(t) >= 2 for t in tokens):
            match = " ".join('"' + t.replace('"', '""') + '"' for t in tokens)
            sql = ("select p.id, p.document_id, d.title, d.source, p.idx, p.text, p.duplicate_of "
                   "from paragraphs_fts f join paragraphs p on p.rowid = f.rowid join documents d on d.id = p.document_id "
                   "where paragraphs_fts match ? order by rank limit ?")
            rows = self.db.execute(sql, [match, limit]).fetchall()
        else:
            sql = ("select p.id, p.document_id, d.title, d.source, p.idx, p.text, p.duplicate_of "
                   "from paragraphs p join documents d on d.id = p.document_id where p.text like ? limit ?")
            rows = self.db.execute(sql, [f"%{query.strip()}%", limit]).fetchall()
        keys = ["paragraph_id", "document_id", "title", "source", "idx", "text", "duplicate_of"]
        return [dict(zip(keys, row)) for row in rows]

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
