"""Reading a knowledge base: counts, search, documents and their facts, failures (``kb stats``,
``kb search``, ``kb show``, ``kb failures``). A part of :class:`kb.store.Store`."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import Any

import sqlite_utils

from .. import schema
from ..dates import in_range


class Reading:
    """The read-only questions a :class:`kb.store.Store` answers (all it needs is ``db``)."""

    db: sqlite_utils.Database

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

    def search(
        self, query: str, limit: int = 20, since: str | None = None, until: str | None = None
    ) -> list[dict[str, Any]]:
        """Paragraphs that contain ``query`` (any length, 党委 included), in document order, each
        with its document's ``date``.

        The same SQL answers the web page's ``search`` query (:data:`kb.schema.SEARCH_SQL`).
        ``since`` / ``until`` (``YYYY[-MM[-DD]]``, ends included) keep the paragraphs of documents
        dated in that range (undated documents are left out).
        Raises ValueError for an empty query or one over :data:`kb.schema.MAX_QUERY_CHARS`.
        """
        query = query.strip()
        if not query:
            raise ValueError("empty query: give a word or phrase to look for")
        if len(query) > schema.MAX_QUERY_CHARS:
            raise ValueError(f"query too long: {len(query)} characters (at most {schema.MAX_QUERY_CHARS})")
        sql = (
            f"select s.*, (select date from documents where id = s.document_id) as date "
            f"from ({schema.SEARCH_SQL}) s order by s.document_id, s.idx"
        )
        if not (since or until):
            return [dict(row) for row in self.db.query(sql + " limit :limit", {"q": query, "limit": limit})]
        # The range is checked in Python (in_range's precision rules), on rows read as they come.
        found = (dict(row) for row in self.db.query(sql, {"q": query}))
        return list(islice((row for row in found if in_range(row["date"], since, until)), limit))

    def find_document(self, ref: str) -> dict[str, Any] | None:
        """A document by id, sha256 (or a prefix of it), source path or file name; with its ``text``
        (:func:`kb.schema.document_text`)."""
        queries = [
            ("select * from documents where id = ?", ref if ref.isdigit() else None),
            ("select * from documents where source = ? order by id desc", ref),
            ("select * from documents where sha256 like ? || '%'", ref if len(ref) >= 6 else None),
            ("select * from documents where source like '%' || ? || '%' order by id desc", ref),
        ]
        for sql, arg in queries:
            if arg is None:
                continue
            rows = list(self.db.query(sql, [arg]))
            if rows:
                return {**rows[0], "text": schema.document_text(self.db.conn, rows[0]["id"])}
        return None

    def paragraphs(self, document_id: int) -> list[dict[str, Any]]:
        """A document's paragraphs in order, with where each duplicate points."""
        return list(
            self.db.query(
                "select p.*, dp.document_id as duplicate_document_id, dp.idx as duplicate_idx from paragraphs p "
                "left join paragraphs dp on dp.id = p.duplicate_of where p.document_id = ? order by p.idx",
                [document_id],
            )
        )

    def document_facts(self, document_id: int) -> dict[str, Any]:
        """A document's entities (with aliases), relations and metrics, by name: the gold-file shape."""
        doc = self.db.execute("select source, date from documents where id = ?", [document_id]).fetchone()
        entities = []
        for entity_id, name, type_ in self.db.execute(
            "select distinct e.id, e.name, e.type from mentions m join entities e on e.id = m.entity_id "
            "where m.document_id = ? order by e.id",
            [document_id],
        ):
            aliases = [
                a
                for (a,) in self.db.execute(
                    "select distinct surface from mentions where entity_id = ? and document_id = ? and surface != ?",
                    [entity_id, document_id, name],
                )
            ]
            entities.append({"name": name, "type": type_, "aliases": aliases})
        relations = [
            {"s": s, "p": p, "o": o, "evidence": ev, "confidence": conf, "attrs": json.loads(attrs) if attrs else {}}
            for s, p, o, ev, conf, attrs in self.db.execute(
                "select s.name, r.predicate, o.name, r.evidence, r.confidence, r.attrs from relations r "
                "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
                "where r.document_id = ? order by r.id",
                [document_id],
            )
        ]
        metrics = [
            dict(zip(("subject", "indicator", "value", "unit", "period", "raw"), row, strict=False))
            for row in self.db.execute(
                "select coalesce(e.name, m.subject_text), m.indicator, m.value, m.unit, m.period, m.raw from metrics m "
                "left join entities e on e.id = m.subject_id where m.document_id = ? order by m.id",
                [document_id],
            )
        ]
        return {
            "doc": Path(doc[0]).name,
            "date": doc[1],
            "entities": entities,
            "relations": relations,
            "metrics": metrics,
        }

    def failures(self) -> list[dict[str, Any]]:
        """Documents that failed, with the reason."""
        return list(
            self.db.query("select id, source, error, ingested_at from documents where status = 'failed' order by id")
        )
