"""Corrections in the store: recorded in the ``corrections`` table and applied at once to the facts
already stored (kb/corrections.py says what each one does; ``Store.save`` applies them all to
every new document). A part of :class:`kb.store.Store`."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import sqlite_utils

from .. import corrections as corrections_mod
from ..corrections import Correction
from .facts import Facts


class Correcting:
    """Recording and applying corrections; uses the writer's fact methods (:class:`kb.store.Store`)."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:  # the writer's methods this part calls (kb/store/writer.py)

        def transaction(self) -> AbstractContextManager[None]: ...
        def _stored_facts(self, column: str, value: int, relation_ids: bool = False) -> dict[int | None, Facts]: ...
        def _delete_facts(self, where: str, args: list[Any], touched: set[int]) -> None: ...
        def _insert_facts(self, doc_id: int, by_paragraph: dict[int | None, Facts]) -> None: ...
        def _collect_garbage(self, entity_ids: set[int]) -> None: ...

    def corrections(self) -> list[Correction]:
        """Every correction, in the order they were made (the order they are applied in)."""
        names = [c[1] for c in self.db.execute("pragma table_info(corrections)")]
        if not names:  # a database from before corrections, opened read-only (writing creates the table)
            return []
        return [
            Correction(**dict(zip(names, row, strict=False)))
            for row in self.db.execute("select * from corrections order by id")
        ]

    def _split_names(self, doc_id: int) -> set[tuple[str, str | None]]:
        return {
            (name, type_)
            for name, type_ in self.db.execute(
                "select c.name, c.type from corrections c join documents d on d.source = c.document "
                "where c.action = 'split' and d.id = ?",
                [doc_id],
            )
        }

    def _correction_aliases(self) -> None:
        """A renamed or merged-away name stays an alias of the entity it became."""
        self.db.execute(
            "insert or ignore into aliases (entity_id, alias) select e.id, c.name from corrections c "
            "join entities e on e.name = c.new_name and e.type = coalesce(c.new_type, c.type) "
            "where c.action in ('rename', 'merge') and e.local_to is null and c.name != c.new_name"
        )

    def add_correction(self, correction: Correction) -> tuple[Correction, int]:
        """Record ``correction`` and apply it to what is stored; return it (with its id) and the
        number of documents whose facts changed. The same correction made twice is recorded once."""
        with self.transaction():
            for stored in self.corrections():
                if stored.key() == correction.key():
                    return stored, 0
            record = {k: v for k, v in correction.record().items() if k != "id"}
            correction_id = self.db.table("corrections").insert(record).last_pk
            correction = Correction(**{**record, "id": correction_id})
            changed = 0
            for doc_id in self._documents_touched_by(correction):
                changed += self._rewrite_facts(doc_id, correction)
            self._correction_aliases()
        return correction, changed

    def _documents_touched_by(self, c: Correction) -> list[int]:
        """The stored documents a correction may change (those whose facts name its entity)."""
        if c.document is not None:
            return [
                i
                for (i,) in self.db.execute("select id from documents where source = ? and status = 'ok'", [c.document])
            ]
        entity_ids = [
            i
            for (i,) in self.db.execute(
                "select id from entities where name = ? and (? is null or type = ?)", [c.name, c.type, c.type]
            )
        ]
        marks = ",".join("?" * len(entity_ids))
        docs = (
            {
                i
                for (i,) in self.db.execute(
                    f"select document_id from mentions where entity_id in ({marks}) union "
                    f"select document_id from relations where subject_id in ({marks}) or object_id in ({marks}) union "
                    f"select document_id from metrics where subject_id in ({marks})",
                    entity_ids * 4,
                )
            }
            if entity_ids
            else set()
        )
        docs.update(
            i
            for (i,) in self.db.execute(
                "select p.document_id from held_facts h join paragraphs p on p.id = h.paragraph_id "
                "where instr(h.facts, ?) > 0",
                [json.dumps(c.name, ensure_ascii=False)],
            )
        )
        return sorted(docs)

    def _rewrite_facts(self, doc_id: int, correction: Correction) -> int:
        """Apply one correction to a stored document's facts (and its held ones); 1 if they changed."""
        source = self.db.execute("select source from documents where id = ?", [doc_id]).fetchone()[0]
        paragraphs = {
            idx: (pid, text)
            for idx, pid, text in self.db.execute(
                "select idx, id, text from paragraphs where document_id = ?", [doc_id]
            )
        }
        index_of = {pid: idx for idx, (pid, _) in paragraphs.items()}
        held = {
            index_of[pid]: json.loads(facts)
            for pid, facts in self.db.execute(
                "select h.paragraph_id, h.facts from held_facts h join paragraphs p on p.id = h.paragraph_id "
                "where p.document_id = ?",
                [doc_id],
            )
        }
        live = {
            (-1 if pid is None else index_of[pid]): facts
            for pid, facts in self._stored_facts("document_id", doc_id, relation_ids=True).items()
        }
        new_live = corrections_mod.apply(
            [correction],
            live,
            source,
            lambda idx: paragraphs[idx][1] if idx in paragraphs and idx not in held else None,
        )
        new_held = corrections_mod.apply(
            [correction], held, source, lambda idx: paragraphs[idx][1] if idx in held else None
        )
        if new_live == live and new_held == held and correction.action != "split":
            return 0
        touched: set[int] = set()
        self._delete_facts("document_id = ?", [doc_id], touched)
        self._insert_facts(
            doc_id, {(None if idx == -1 else paragraphs[idx][0]): facts for idx, facts in new_live.items()}
        )
        self.db.conn.executemany(
            "update held_facts set facts = ? where paragraph_id = ?",
            [
                (json.dumps(facts, ensure_ascii=False), paragraphs[idx][0])
                for idx, facts in new_held.items()
                if facts != held[idx]
            ],
        )
        self._collect_garbage(touched)
        return 1
