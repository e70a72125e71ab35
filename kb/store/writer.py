"""The writer: one processed Document in one transaction, corpus-wide dedup, replacing a changed
file, held facts; the entity ids. :class:`Store` is this writer with its reading and correcting
parts (kb/store/reading.py, kb/store/correcting.py). See the package docstring (kb/store/__init__.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline.dedup import Node, assign, rank_key
from pipeline.document import Document
from pipeline.relative_names import is_relative_name

from .. import corrections as corrections_mod
from .. import schema
from ..connection import connect_readonly, describe_sqlite_error
from ..corpus_index import OLD_TABLES, CorpusIndex, comparable, make_node, node_key, row_of
from ..corpus_index import TABLES as INDEX_TABLES
from .correcting import Correcting
from .facts import Facts, document_facts_by_paragraph, empty_facts, with_canonical_regions
from .reading import Reading


class StoreError(Exception):
    """A problem with the database that the user must know about (locked, not a KB, ...)."""


# The facts of a duplicate paragraph, kept aside until it is an original again (see the package
# docstring), and the indexes the writer's own queries need.
STORE_TABLES = [
    *INDEX_TABLES,
    "create table if not exists held_facts (paragraph_id integer primary key references paragraphs(id), "
    "facts text not null)",
    "create index if not exists idx_metrics_document on metrics(document_id)",
    "create index if not exists idx_relations_document on relations(document_id)",
    "create index if not exists idx_mentions_paragraph on mentions(paragraph_id)",
    "create index if not exists idx_relations_paragraph on relations(paragraph_id)",
    "create index if not exists idx_metrics_paragraph on metrics(paragraph_id)",
    "create index if not exists idx_entities_local on entities(local_to)",
    corrections_mod.TABLE_SQL,
]


class Store(Reading, Correcting):
    """A knowledge base file. ``Store(path)`` creates the schema if needed."""

    def __init__(self, path: str | Path, readonly: bool = False):
        """Open (``readonly``: read-only, never creating or changing anything) or create a knowledge base.

        A database of schema 2 opened for writing gets the compact index (``kb.corpus_index``) in
        place of its old tables, once. Its duplicates have no kept-aside facts: one of them that
        becomes an original again gets none back (re-ingest into a fresh database for that).
        """
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
            schema.create(self.db, extra=STORE_TABLES)
            self.index = CorpusIndex(self.db)
            with self.transaction():  # checked under the write lock, so it happens once
                if self.db.execute(f"select 1 from sqlite_master where name in {OLD_TABLES}").fetchone():
                    self.index.rebuild()
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
        finally:
            if hasattr(self, "index"):
                self.index.forget()

    def release_free_pages(self) -> None:
        """Merge the search index into one segment, then give the pages freed inside the file back
        to the disk (a database created with ``auto_vacuum = INCREMENTAL``, as ``kb.schema.create``
        makes them; else they stay free inside it). Run at the end of each ingest."""
        self.optimize_search_index()
        # executescript steps the pragma to the end (execute() frees one page per call)
        self.db.conn.executescript("PRAGMA incremental_vacuum;")

    def optimize_search_index(self) -> None:
        """Merge the segments the full-text index grew by, one per document, into one: 15% of its
        size on the 1 MB benchmark sample, in 0.06 s (FTS5 ``optimize``; about the time to read it)."""
        with self.transaction():
            self.db.execute("insert into paragraphs_fts (paragraphs_fts) values ('optimize')")

    def has_document(self, sha256: str) -> bool:
        """True when a document with this content hash is stored (ok or failed)."""
        return (
            bool(sha256)
            and self.db.execute("select 1 from documents where sha256 = ? limit 1", [sha256]).fetchone() is not None
        )

    def save(self, doc: Document) -> int | None:
        """Store one processed document (or its failure) in one transaction; return its id.

        ``doc`` has been through the per-document stages, dedup inside the document
        (``pipeline.dedup.local_dedup``) and extraction; corpus-wide dedup happens here. A document
        stored earlier for the same source path with other content is replaced. Returns None when
        the same content is already stored (nothing changes).
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.transaction():
            if doc.sha256 and self.has_document(doc.sha256):
                return None
            touched: set[int] = set()
            cleared: set[int] = set()  # paragraphs of other documents that pointed into a deleted one
            seeds = self._delete_source(doc.source, touched, cleared)
            doc_id = (
                self.db.table("documents")
                .insert(
                    {
                        "source": doc.source,
                        "title": doc.title or None,
                        "date": doc.date,
                        "script": doc.script or None,
                        "encoding": doc.encoding or None,
                        "sha256": doc.sha256 or None,
                        "status": doc.status,
                        "error": doc.error or None,
                        "warnings": json.dumps(doc.warnings, ensure_ascii=False) if doc.warnings else None,
                        "original": doc.original or None,
                        "duplicate_of": None,
                        "n_paragraphs": len(doc.paragraphs) if doc.ok else 0,
                        "ingested_at": now,
                        "metadata": json.dumps(doc.metadata, ensure_ascii=False) if doc.metadata else None,
                    }
                )
                .last_pk
            )
            assert doc_id is not None  # the new row's id
            paragraph_ids: dict[int, int] = {}
            if doc.ok:
                paragraph_ids = self._save_paragraphs(doc, doc_id)
                seeds += self._new_nodes(doc, doc_id, paragraph_ids)
            decisions = assign(seeds, self.index.neighbours, self._is_original, self._index_decision)
            self._apply(decisions, doc_id, touched, cleared)
            if doc.ok:
                duplicates = {
                    idx
                    for (idx,) in self.db.execute(
                        "select p.idx from paragraphs p join paragraphs t on t.id = p.duplicate_of "
                        "where p.document_id = ? and t.document_id != ?",
                        [doc_id, doc_id],
                    )
                }
                facts = corrections_mod.apply(
                    self.corrections(),
                    with_canonical_regions(document_facts_by_paragraph(doc)),
                    doc.source,
                    lambda idx: doc.paragraphs[idx].text if 0 <= idx < len(doc.paragraphs) else None,
                )
                self._insert_facts(
                    doc_id, {paragraph_ids.get(idx): f for idx, f in facts.items() if idx not in duplicates}
                )
                self.db.conn.executemany(
                    "insert into held_facts (paragraph_id, facts) values (?, ?)",
                    [
                        (paragraph_ids[idx], json.dumps(facts[idx], ensure_ascii=False))
                        for idx in sorted(duplicates)
                        if idx in facts
                    ],
                )
            self._collect_garbage(touched)
            self._correction_aliases()
        return doc_id

    def _save_paragraphs(self, doc: Document, doc_id: int) -> dict[int, int]:
        self.db.conn.executemany(
            "insert into paragraphs (document_id, idx, kind, text, start, end, page) values (?, ?, ?, ?, ?, ?, ?)",
            [(doc_id, p.idx, p.kind, p.text, p.start, p.end, doc.page_of(p.start)) for p in doc.paragraphs],
        )
        paragraph_ids = {
            idx: i for idx, i in self.db.execute("select idx, id from paragraphs where document_id = ?", [doc_id])
        }
        # repeats inside the document point at its first copy
        self.db.conn.executemany(
            "update paragraphs set duplicate_of = ?, similarity = ? where id = ?",
            [
                (
                    paragraph_ids[int(str(p.duplicate_of).rpartition(":")[2])],
                    round(p.similarity, 3),
                    paragraph_ids[p.idx],
                )
                for p in doc.paragraphs
                if p.duplicate_of
            ],
        )
        self.db.conn.executemany(
            "insert into asides (document_id, kind, text, value, start) values (?, ?, ?, ?, ?)",
            [(doc_id, a.kind, a.text, a.value or None, a.start) for a in doc.asides],
        )
        return paragraph_ids

    # --- corpus-wide dedup -----------------------------------------------------------------

    def _new_nodes(self, doc: Document, doc_id: int, paragraph_ids: dict[int, int]) -> list[Node]:
        """The document and its comparable paragraphs (not repeats inside it) as nodes."""
        nodes = [
            make_node(
                node_key("p", paragraph_ids[p.idx]), rank_key(doc.date, doc.sha256, p.idx), p.text, doc.signatures
            )
            for p in doc.paragraphs
            if not p.duplicate_of and comparable(p.text)
        ]
        nodes.append(make_node(node_key("d", doc_id), rank_key(doc.date, doc.sha256), doc.body_text, doc.signatures))
        for node in nodes:
            self.index.remember(node)
        return nodes

    def _index_decision(self, node: Node, original: str | None) -> None:
        """Keep the index to the originals as each decision is made (``dedup.assign``)."""
        if original is None:
            self.index.add(node)
        else:
            self.index.remove(node)

    def _is_original(self, key: str) -> bool:
        return self.index.is_original(key)

    def _apply(
        self, decisions: dict[str, tuple[str | None, float]], new_doc: int, touched: set[int], cleared: set[int]
    ) -> None:
        """Write the dedup decisions. A stored paragraph that became a duplicate has its facts held
        aside (they are counted where the original is); one that became an original gets them back."""
        for key, (target, sim) in decisions.items():
            kind, row_id = row_of(key)
            target_id = row_of(target)[1] if target else None
            table = "paragraphs" if kind == "p" else "documents"
            row = self.db.execute(
                f"select duplicate_of{', document_id' if kind == 'p' else ''} from {table} where id = ?", [row_id]
            ).fetchone()
            if kind == "d":
                if row[0] != target_id:
                    self.db.execute("update documents set duplicate_of = ? where id = ?", [target_id, row_id])
                continue
            current, doc_id = row
            was_duplicate = current is not None or row_id in cleared
            if current == target_id and was_duplicate == (target_id is not None):
                continue
            self.db.execute(
                "update paragraphs set duplicate_of = ?, similarity = ? where id = ?",
                [target_id, round(sim, 3) if target_id else None, row_id],
            )
            if doc_id == new_doc:
                continue
            if target_id is not None and not was_duplicate:
                self._hold_facts(row_id, touched)
            elif target_id is None and was_duplicate:
                self._restore_facts(row_id, doc_id)

    def _stored_facts(self, column: str, value: int, relation_ids: bool = False) -> dict[int | None, Facts]:
        """The facts in the fact tables whose ``column`` (paragraph_id or document_id) is ``value``,
        per paragraph id (None: credit lines), in the order they were written. ``relation_ids``: each
        relation row ends with its id (kept when the row is written again, see _insert_facts)."""
        out: dict[int | None, Facts] = defaultdict(empty_facts)
        for row in self.db.execute(
            "select m.paragraph_id, e.name, e.type, m.surface, m.start, m.end, m.orig_start, m.orig_end, "
            f"m.source, m.confidence from mentions m join entities e on e.id = m.entity_id where m.{column} = ? "
            "order by m.id",
            [value],
        ):
            out[row[0]]["mentions"].append(list(row[1:]))
        for row in self.db.execute(
            "select r.paragraph_id, s.name, s.type, r.predicate, o.name, o.type, r.evidence, r.confidence, r.attrs"
            f"{', r.id' if relation_ids else ''} from relations r "
            "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
            f"where r.{column} = ? order by r.id",
            [value],
        ):
            out[row[0]]["relations"].append(list(row[1:]))
        for row in self.db.execute(
            "select m.paragraph_id, e.name, m.subject_text, m.indicator, m.value, m.unit, m.period, m.raw "
            f"from metrics m left join entities e on e.id = m.subject_id where m.{column} = ? order by m.id",
            [value],
        ):
            out[row[0]]["metrics"].append(list(row[1:]))
        return out

    def _hold_facts(self, paragraph_id: int, touched: set[int]) -> None:
        """Move a paragraph's facts out of the fact tables into ``held_facts``."""
        facts = self._stored_facts("paragraph_id", paragraph_id).get(paragraph_id, empty_facts())
        self.db.execute(
            "insert or replace into held_facts (paragraph_id, facts) values (?, ?)",
            [paragraph_id, json.dumps(facts, ensure_ascii=False)],
        )
        self._delete_facts("paragraph_id = ?", [paragraph_id], touched)

    def _restore_facts(self, paragraph_id: int, doc_id: int) -> None:
        """Move a paragraph's held facts back into the fact tables."""
        row = self.db.execute("select facts from held_facts where paragraph_id = ?", [paragraph_id]).fetchone()
        if row is None:
            return  # a duplicate stored by schema 2 (see __init__)
        self.db.execute("delete from held_facts where paragraph_id = ?", [paragraph_id])
        self._insert_facts(doc_id, {paragraph_id: json.loads(row[0])})

    # --- replacing -------------------------------------------------------------------------

    def _delete_source(self, source: str, touched: set[int], cleared: set[int]) -> list[Node]:
        """Delete what is stored for ``source`` (older content of the same path).

        Returns the stored nodes whose dedup status may change now that the deleted ones are gone:
        those that pointed at them (a node that matched a deleted one but points elsewhere keeps
        its original).
        """
        seeds: dict[str, Node] = {}
        for (doc_id,) in self.db.execute("select id from documents where source = ?", [source]).fetchall():
            pointing = [
                node_key("p", i)
                for (i,) in self.db.execute(
                    "select p.id from paragraphs p join paragraphs t on t.id = p.duplicate_of "
                    "where t.document_id = ? and p.document_id != ?",
                    [doc_id, doc_id],
                )
            ]
            pointing += [
                node_key("d", i)
                for (i,) in self.db.execute("select id from documents where duplicate_of = ?", [doc_id])
            ]
            for key in pointing:
                node = self.index.node(key)
                if node is not None:
                    seeds[key] = node
            cleared.update(row_of(k)[1] for k in pointing if k[0] == "p")
            self._delete_document(doc_id, touched)
        return list(seeds.values())

    def _delete_document(self, doc_id: int, touched: set[int]) -> None:
        self._delete_facts("document_id = ?", [doc_id], touched)
        originals = [
            node_key("p", i)
            for (i,) in self.db.execute(
                "select id from paragraphs where document_id = ? and duplicate_of is null", [doc_id]
            )
        ]
        for key in [*originals, node_key("d", doc_id)]:
            node = self.index.node(key)
            if node is not None:
                self.index.remove(node)
        # Pointers into the document go first (foreign keys); dedup is decided again for them.
        self.db.execute(
            "update paragraphs set duplicate_of = null, similarity = null where duplicate_of in "
            "(select id from paragraphs where document_id = ?) and document_id != ?",
            [doc_id, doc_id],
        )
        self.db.execute("update documents set duplicate_of = null where duplicate_of = ?", [doc_id])
        local = [i for (i,) in self.db.execute("select id from entities where local_to = ?", [doc_id])]
        for entity_id in local:
            self.db.execute("delete from aliases where entity_id = ?", [entity_id])
            self.db.execute("delete from entities where id = ?", [entity_id])
            touched.discard(entity_id)
        self.db.execute(
            "delete from held_facts where paragraph_id in (select id from paragraphs where document_id = ?)", [doc_id]
        )
        self.db.execute("delete from asides where document_id = ?", [doc_id])
        self.db.execute("update paragraphs set duplicate_of = null where document_id = ?", [doc_id])
        self.db.execute("delete from paragraphs where document_id = ?", [doc_id])
        self.db.execute("delete from documents where id = ?", [doc_id])

    def _delete_facts(self, where: str, args: list[Any], touched: set[int]) -> None:
        """Delete the mentions, relations and metrics matching ``where``; remember their entities."""
        for sql in (
            f"select entity_id from mentions where {where}",
            f"select subject_id from relations where {where} union select object_id from relations where {where}",
            f"select subject_id from metrics where {where} and subject_id is not null",
        ):
            touched.update(i for (i,) in self.db.execute(sql, args * sql.count("?")))
        for table in ("mentions", "relations", "metrics"):
            self.db.execute(f"delete from {table} where {where}", args)

    def _collect_garbage(self, entity_ids: set[int]) -> None:
        """Entities left with no mention, relation or metric go; the others keep only aliases still seen."""
        for entity_id in sorted(entity_ids):
            used = self.db.execute(
                "select exists(select 1 from mentions where entity_id = ?) or "
                "exists(select 1 from relations where subject_id = ? or object_id = ?) or "
                "exists(select 1 from metrics where subject_id = ?)",
                [entity_id] * 4,
            ).fetchone()[0]
            if not used:
                self.db.execute("delete from aliases where entity_id = ?", [entity_id])
                self.db.execute("delete from entities where id = ?", [entity_id])
            else:
                self.db.execute(
                    "delete from aliases where entity_id = ? and alias not in "
                    "(select surface from mentions where entity_id = ?)",
                    [entity_id, entity_id],
                )

    # --- facts -----------------------------------------------------------------------------

    def _insert_facts(self, doc_id: int, by_paragraph: dict[int | None, Facts]) -> None:
        """Write facts of ``doc_id`` (keyed by paragraph id; None: credit lines), batched.

        A metric's subject is the entity this document's mentions name so (a corpus-wide lookup by
        name would pick whichever same-named entity happened to be stored first); mentions come
        first for that, as the document's stored mentions do for facts restored later.
        """
        ids: dict[tuple[str, str], int] = {}
        split = self._split_names(doc_id)

        def entity(name: str, type_: str) -> int:
            if (name, type_) not in ids:
                created = self.entity_id(
                    name, type_, create=True, document_id=doc_id, local=corrections_mod.is_local(split, name, type_)
                )
                assert created is not None  # create=True: found or inserted
                ids[(name, type_)] = created
            return ids[(name, type_)]

        names: dict[str, int] = {
            name: i
            for name, i in self.db.execute(
                "select e.name, min(e.id) from mentions m join entities e on e.id = m.entity_id "
                "where m.document_id = ? group by e.name",
                [doc_id],
            )
        }
        mentions, aliases, relations, metrics = [], set(), [], []
        for para_id, facts in by_paragraph.items():
            for name, type_, surface, start, end, ostart, oend, source, conf in facts["mentions"]:
                entity_id = entity(name, type_)
                names.setdefault(name, entity_id)
                if surface != name:
                    aliases.add((entity_id, surface))
                mentions.append((entity_id, doc_id, para_id, start, end, ostart, oend, surface, source, conf))
        for para_id, facts in by_paragraph.items():
            for subj, stype, pred, obj, otype, evidence, conf, attrs, *kept_id in facts["relations"]:
                relations.append(
                    (
                        kept_id[0] if kept_id else None,
                        entity(subj, stype),
                        pred,
                        entity(obj, otype),
                        doc_id,
                        para_id,
                        evidence,
                        conf,
                        attrs,
                    )
                )
            for subj, subject_text, indicator, value, unit, period, raw in facts["metrics"]:
                metrics.append(
                    (
                        names.get(subj) if subj else None,
                        subject_text,
                        indicator,
                        value,
                        unit,
                        period,
                        raw,
                        doc_id,
                        para_id,
                    )
                )
        conn = self.db.conn
        conn.executemany("insert or ignore into aliases (entity_id, alias) values (?, ?)", sorted(aliases))
        conn.executemany(
            "insert into mentions (entity_id, document_id, paragraph_id, start, end, orig_start, "
            "orig_end, surface, source, confidence) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            mentions,
        )
        # A relation rewritten by a correction keeps its id (None: a new one), so the ids a user saw stay
        # valid; those go first, before a new row could take one of their ids.
        relations.sort(key=lambda row: row[0] is None)
        conn.executemany(
            "insert into relations (id, subject_id, predicate, object_id, document_id, paragraph_id, "
            "evidence, confidence, attrs) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            relations,
        )
        conn.executemany(
            "insert into metrics (subject_id, subject_text, indicator, value, unit, period, raw, "
            "document_id, paragraph_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            metrics,
        )

    def entity_id(
        self, name: str, type_: str, create: bool = False, document_id: int | None = None, local: bool = False
    ) -> int | None:
        """Id of the entity (name, type): the same canonical name and type is one entity corpus-wide.

        A name still relative to its article (区委组织部 that resolution could not anchor), or one a
        correction split off (``local``), is an entity of that document only (``local_to``), so two
        districts' bodies never merge. The lookup is the expression of the unique identity index, so
        the index answers it.
        """
        local = local or is_relative_name(name)
        local_to = document_id if document_id is not None and local else None
        row = self.db.execute(
            "select id from entities where name = ? and type = ? and ifnull(local_to, 0) = ?",
            [name, type_, local_to or 0],
        ).fetchone()
        if row:
            return row[0]
        if not create:
            return None
        return self.db.execute(
            "insert into entities (name, type, local_to) values (?, ?, ?)", [name, type_, local_to]
        ).lastrowid

    def lookup_entity(self, name: str) -> int | None:
        """Id of an entity by canonical name or alias (any type), or None."""
        row = self.db.execute(
            "select id from entities where name = ? union all select entity_id from aliases where alias = ? limit 1",
            [name, name],
        ).fetchone()
        return row[0] if row else None
