"""Corrections: a researcher's fixes to the knowledge base, kept as data and applied on every ingest.

A correction is one row of the ``corrections`` table: what (``action`` and its arguments), who
(``author``), when (``created_at``) and why (``reason``). It never edits a fact in place: the store
applies every correction, in id order, to the facts the pipeline found in a document before it
writes them (``Store.save``), and a new correction is applied at once to the facts already stored
(``Store.add_correction``). So a correction stays in force when the same document is ingested
again, when new documents arrive, and in a database rebuilt from the same documents with the
corrections imported (``kb corrections export`` / ``import``, or ``kb ingest --corrections FILE``).

Actions (``name``/``type`` name the entity as stored; ``document`` is a document's source path):

============== ==========================================================================
rename         ``name`` becomes ``new_name`` (the old name stays an alias)
retype         ``name`` becomes of type ``new_type``
merge          ``name`` is folded into ``new_name`` of type ``new_type`` (its mentions and
               relations move; the old name stays an alias)
split          in ``document``, ``name`` is an entity of its own (local to that document)
reject-entity  ``name`` (of ``type``, or any type) is no entity: its mentions and relations are
               never stored; a figure about it keeps its text without the entity
reject-relation ``name`` ``predicate`` ``object`` is not stated in ``document``
add-relation   ``name`` ``predicate`` ``object`` is stated in paragraph ``paragraph`` of
               ``document`` (the paragraph's text is the evidence)
============== ==========================================================================

An entity correction with a ``document`` applies to that document only (a name local to one
article, such as 区委组织部, is corrected there).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from pipeline.ontology import PREDICATES, TYPES

ACTIONS = ("rename", "retype", "merge", "split", "reject-entity", "reject-relation", "add-relation")

TABLE_SQL = """create table if not exists corrections (
    id integer primary key, action text not null, name text not null, type text, new_name text,
    new_type text, document text, paragraph integer, predicate text, object text, object_type text,
    reason text, author text, created_at text not null)"""

# A paragraph's facts as plain lists (kb.store.Facts): mentions [name, type, surface, ...],
# relations [subject, subject_type, predicate, object, object_type, evidence, confidence, attrs],
# metrics [subject, subject_text, ...].
Facts = dict[str, list[list[Any]]]


def entity_types() -> tuple[str, ...]:
    """The ontology's entity types (a retype's or an added relation's must be one)."""
    return TYPES


def predicates() -> tuple[str, ...]:
    """The ontology's predicates (an added relation's must be one)."""
    return PREDICATES


class CorrectionError(ValueError):
    """A correction that cannot be made (unknown entity, bad type, malformed record...)."""


@dataclass(frozen=True)
class Correction:
    """One correction; see the module docstring for what each action reads."""

    action: str
    name: str
    type: str | None = None
    new_name: str | None = None
    new_type: str | None = None
    document: str | None = None
    paragraph: int | None = None
    predicate: str | None = None
    object: str | None = None
    object_type: str | None = None
    reason: str | None = None
    author: str | None = None
    created_at: str | None = None
    id: int | None = None

    def key(self) -> tuple:
        """What the correction does, without who, when, why and its id: equal keys are one correction."""
        return (
            self.action,
            self.name,
            self.type,
            self.new_name,
            self.new_type,
            self.document,
            self.paragraph,
            self.predicate,
            self.object,
            self.object_type,
        )

    def record(self) -> dict[str, Any]:
        """The correction as a JSON-ready dict, empty fields left out."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        """One line for people: ``rename 甲 [ORG] -> 乙``."""
        what = f"{self.name}" + (f" [{self.type}]" if self.type else "")
        where = f" in {self.document}" if self.document else ""
        if self.action in ("rename", "merge"):
            target = f"{self.new_name}" + (f" [{self.new_type}]" if self.new_type else "")
            return f"{self.action} {what} -> {target}{where}"
        if self.action == "retype":
            return f"retype {what} -> {self.new_type}{where}"
        if self.action in ("reject-relation", "add-relation"):
            para = f":{self.paragraph}" if self.paragraph is not None else ""
            return f"{self.action} {self.name} {self.predicate} {self.object} in {self.document}{para}"
        return f"{self.action} {what}{where}"


def stamped(correction: Correction, author: str | None = None, reason: str | None = None) -> Correction:
    """The correction with its author (default: the login name), reason and the time now."""
    try:
        user = author or correction.author or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        user = "unknown"
    now = correction.created_at or datetime.now(UTC).isoformat(timespec="seconds")
    return replace(correction, author=user, reason=reason or correction.reason, created_at=now)


def from_record(record: Any, where: str = "record") -> Correction:
    """A correction from a JSON object (a line of ``kb corrections export``); checks its fields."""
    if not isinstance(record, dict):
        raise CorrectionError(f"{where}: not a JSON object")
    known = {f.name for f in fields(Correction)}
    unknown = sorted(set(record) - known)
    if unknown:
        raise CorrectionError(f"{where}: unknown field(s) {', '.join(unknown)}")
    if record.get("action") not in ACTIONS:
        raise CorrectionError(f"{where}: action must be one of {', '.join(ACTIONS)}, not {record.get('action')!r}")
    if not isinstance(record.get("name"), str) or not record["name"].strip():
        raise CorrectionError(f"{where}: a correction needs a name")
    for field_name in ("paragraph", "id"):
        value = record.get(field_name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise CorrectionError(f"{where}: {field_name} must be an integer")
    for field_name in known - {"paragraph", "id"}:
        value = record.get(field_name)
        if value is not None and not isinstance(value, str):
            raise CorrectionError(f"{where}: {field_name} must be a string")
    correction = Correction(**record)
    required = {
        "rename": ("new_name",),
        "retype": ("new_type",),
        "merge": ("new_name", "new_type"),
        "split": ("document",),
        "reject-entity": (),
        "reject-relation": ("predicate", "object", "document"),
        "add-relation": ("type", "predicate", "object", "object_type", "document", "paragraph"),
    }
    missing = [f for f in required[correction.action] if getattr(correction, f) is None]
    if missing:
        raise CorrectionError(f"{where}: {correction.action} needs {', '.join(missing)}")
    return correction


def read_jsonl(text: str, where: str) -> list[Correction]:
    """Corrections from JSON lines (blank lines skipped); a bad line is an error naming it."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorrectionError(f"{where}, line {number}: not JSON ({exc.msg})") from exc
        out.append(from_record(record, f"{where}, line {number}"))
    return out


# --- making corrections from what is stored ------------------------------------------------------


def stored_entity(conn: Any, name: str, type_: str | None = None) -> dict[str, Any]:
    """The stored entity ``name`` (canonical name, else alias) of ``type_`` (needed when the name is
    several entities): ``{"id", "name", "type", "document"}``, document = the source a local entity
    belongs to. Raises CorrectionError naming the candidates."""
    found = []
    for column in ("e.name", "a.alias"):
        found = conn.execute(
            "select distinct e.id, e.name, e.type, d.source from entities e "
            "left join aliases a on a.entity_id = e.id left join documents d on d.id = e.local_to "
            f"where {column} = ? and (? is null or e.type = ?) order by e.id",
            [name, type_, type_],
        ).fetchall()
        if found:
            break
    if not found:
        raise CorrectionError(f"no entity is called {name!r}" + (f" with type {type_}" if type_ else ""))
    if len(found) > 1:
        options = "; ".join(f"{n} [{t}]" + (f" in {src}" if src else "") for _, n, t, src in found[:8])
        raise CorrectionError(
            f"{name!r} is {len(found)} entities ({options}): give --type"
            + (" (and the document: it is local to each)" if any(r[3] for r in found) else "")
        )
    entity_id, name, type_, source = found[0]
    return {"id": entity_id, "name": name, "type": type_, "document": source}


def relation_correction(conn: Any, relation_id: int) -> Correction:
    """``reject-relation`` for the stored relation with this id."""
    row = conn.execute(
        "select s.name, s.type, r.predicate, o.name, o.type, d.source from relations r "
        "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
        "join documents d on d.id = r.document_id where r.id = ?",
        [relation_id],
    ).fetchone()
    if row is None:
        raise CorrectionError(f"no relation has id {relation_id} (kb entity NAME --json lists relation ids)")
    name, type_, predicate, obj, object_type, source = row
    return Correction(
        "reject-relation", name, type_, predicate=predicate, object=obj, object_type=object_type, document=source
    )


# --- applying ----------------------------------------------------------------------------------


def _is(correction: Correction, name: str | None, type_: str | None) -> bool:
    return name == correction.name and (correction.type is None or type_ == correction.type)


def _applies_to(correction: Correction, source: str) -> bool:
    return correction.document is None or correction.document == source


def local_names(corrections: Iterable[Correction], source: str) -> set[tuple[str, str | None]]:
    """(name, type or None) pairs that ``split`` makes entities of this document alone."""
    return {(c.name, c.type) for c in corrections if c.action == "split" and c.document == source}


def is_local(names: set[tuple[str, str | None]], name: str, type_: str) -> bool:
    """True when ``name`` of ``type_`` is split off as this document's own entity."""
    return (name, type_) in names or (name, None) in names


def apply(
    corrections: Iterable[Correction], facts: dict[int, Facts], source: str, paragraph_text: Callable[[int], str | None]
) -> dict[int, Facts]:
    """The facts of one document (per paragraph index) with ``corrections`` applied in order.

    ``source`` is the document's source path; ``paragraph_text(idx)`` gives a paragraph's text (the
    evidence of an added relation; None when the document has no such paragraph). ``facts`` is not
    changed; a new dict is returned.
    """
    corrections = [c for c in corrections if _applies_to(c, source)]
    if not corrections:
        return dict(facts)
    out = {idx: {kind: [list(row) for row in rows] for kind, rows in f.items()} for idx, f in facts.items()}
    for correction in corrections:
        _apply_one(correction, out, paragraph_text)
    return out


def _apply_one(c: Correction, facts: dict[int, Facts], paragraph_text: Callable[[int], str | None]) -> None:
    if c.action == "add-relation":
        if c.paragraph is None:
            return
        text = paragraph_text(c.paragraph)
        if text is None:
            return
        para = facts.setdefault(c.paragraph, {"mentions": [], "relations": [], "metrics": []})
        triple = (c.name, c.type, c.predicate, c.object, c.object_type)
        if not any(tuple(rel[:5]) == triple for rel in para["relations"]):
            attrs = json.dumps({"correction": c.id}) if c.id is not None else json.dumps({"correction": True})
            para["relations"].append([*triple, text, 1.0, attrs])
        return
    named = any(_is(c, m[0], m[1]) for para in facts.values() for m in para["mentions"])
    for para in facts.values():
        if c.action == "reject-relation":
            para["relations"] = [
                rel
                for rel in para["relations"]
                if not (
                    _is(c, rel[0], rel[1])
                    and rel[2] == c.predicate
                    and rel[3] == c.object
                    and (c.object_type is None or rel[4] == c.object_type)
                )
            ]
        elif c.action == "reject-entity":
            para["mentions"] = [m for m in para["mentions"] if not _is(c, m[0], m[1])]
            para["relations"] = [
                rel for rel in para["relations"] if not (_is(c, rel[0], rel[1]) or _is(c, rel[3], rel[4]))
            ]
            for metric in para["metrics"]:
                if named and metric[0] == c.name:
                    metric[0] = None  # the figure stays; its subject_text still names the subject
        elif c.action in ("rename", "retype", "merge"):
            new_name = c.new_name if c.action != "retype" else None
            new_type = c.new_type if c.action != "rename" else None
            for m in para["mentions"]:
                if _is(c, m[0], m[1]):
                    m[0], m[1] = new_name or m[0], new_type or m[1]
            for rel in para["relations"]:
                for at in (0, 3):
                    if _is(c, rel[at], rel[at + 1]):
                        rel[at], rel[at + 1] = new_name or rel[at], new_type or rel[at + 1]
            for metric in para["metrics"]:
                # a figure's subject is the document's entity of that name (kb.store._insert_facts)
                if named and new_name and metric[0] == c.name:
                    metric[0] = new_name
