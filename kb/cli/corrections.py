"""``kb`` commands that correct the knowledge base: ``kb entity rename|retype|merge|split|reject``,
``kb relation reject|add`` and ``kb corrections list|export|import``.

Each correction is recorded (kb/corrections.py) and applied at once to what is stored, and again to
every document ingested later, so it stays in force. Each command mirrors
:meth:`kb.store.Store.add_correction` with a :class:`kb.corrections.Correction`.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from ..connection import db_option, describe_sqlite_error
from ..corrections import (
    Correction,
    CorrectionError,
    entity_types,
    predicates,
    read_jsonl,
    relation_correction,
    stamped,
    stored_entity,
)
from ..store import Store, StoreError


def _who_why(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print the recorded correction as JSON.")(func)
    func = click.option("--author", default=None, help="Who makes the correction (default: your login name).")(func)
    return click.option("--reason", default=None, help="Why: kept with the correction.")(func)


def open_for_corrections(db_path: str, readonly: bool = False) -> Store:
    """The knowledge base, opened for writing (``readonly``: to list what is recorded, writing
    nothing); it must exist (a correction never creates one)."""
    if str(db_path) != ":memory:" and not Path(db_path).is_file():
        raise click.ClickException(f"{db_path}: no knowledge base there (build one with kb ingest)")
    try:
        return Store(db_path, readonly=readonly)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def _check_type(value: str | None, hint: str) -> str | None:
    if value is not None and value not in entity_types():
        raise click.BadParameter(f"{value!r} is not an entity type ({', '.join(entity_types())})", param_hint=hint)
    return value


def _record(store: Store, correction: Correction, author: str | None, reason: str | None, as_json: bool) -> None:
    """Record and apply one correction; print what happened."""
    try:
        stored, changed = store.add_correction(stamped(correction, author, reason))
    except CorrectionError as exc:
        raise click.ClickException(str(exc)) from exc
    except sqlite3.Error as exc:  # locked by another writer, a full disk: nothing was recorded
        raise click.ClickException(f"{store.path}: {describe_sqlite_error(exc)}") from exc
    if as_json:
        click.echo(json.dumps({"correction": stored.record(), "documents_changed": changed}, ensure_ascii=False))
    else:
        click.echo(f"correction {stored.id}: {stored.describe()} ({changed} stored document(s) changed)")


def _entity(store: Store, name: str, type_: str | None, document: str | None = None) -> dict:
    """The entity a command names, and the document it is corrected in (its own, for a local one)."""
    try:
        found = stored_entity(store.db.conn, name, type_)
    except CorrectionError as exc:
        raise click.ClickException(str(exc)) from exc
    if document is not None:
        found["document"] = _document(store, document)["source"]
    return found


def _document(store: Store, ref: str) -> dict:
    doc = store.find_document(ref)
    if doc is None:
        raise click.ClickException(f"no document {ref!r} (give its id, source path or file name; kb show DOC)")
    return doc


def _named(spec: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME/TYPE``."""
    name, _, type_ = spec.partition("/")
    return name, _check_type(type_ or None, spec)


def register(main: click.Group) -> None:
    """Add the correction commands to the ``kb`` group (``kb entity`` is made by kb/cli/explore.py)."""
    entity = main.commands["entity"]
    assert isinstance(entity, click.Group)  # a group of subcommands: kb/cli/explore.py registers it first
    type_option = click.option("--type", "type_", default=None, help="The entity's type, when the name is several.")

    @entity.command()
    @click.argument("name")
    @click.argument("new_name")
    @type_option
    @click.option("--doc", "document", default=None, help="Only in this document (id, source or file name).")
    @_who_why
    @db_option
    def rename(
        name: str,
        new_name: str,
        type_: str | None,
        document: str | None,
        reason: str | None,
        author: str | None,
        as_json: bool,
        db_path: str,
    ) -> None:
        """Give the entity NAME the canonical name NEW_NAME (NAME stays an alias)."""
        store = open_for_corrections(db_path)
        found = _entity(store, name, _check_type(type_, "--type"), document)
        if not new_name.strip() or new_name == found["name"]:
            raise click.BadParameter("give a new, different name", param_hint="NEW_NAME")
        _record(
            store,
            Correction("rename", found["name"], found["type"], new_name=new_name.strip(), document=found["document"]),
            author,
            reason,
            as_json,
        )

    @entity.command()
    @click.argument("name")
    @click.argument("new_type")
    @type_option
    @click.option("--doc", "document", default=None, help="Only in this document (id, source or file name).")
    @_who_why
    @db_option
    def retype(
        name: str,
        new_type: str,
        type_: str | None,
        document: str | None,
        reason: str | None,
        author: str | None,
        as_json: bool,
        db_path: str,
    ) -> None:
        """Make the entity NAME of type NEW_TYPE (one of the ontology's entity types)."""
        _check_type(new_type, "NEW_TYPE")
        store = open_for_corrections(db_path)
        found = _entity(store, name, _check_type(type_, "--type"), document)
        if found["type"] == new_type:
            raise click.ClickException(f"{found['name']} is already {new_type}")
        _record(
            store,
            Correction("retype", found["name"], found["type"], new_type=new_type, document=found["document"]),
            author,
            reason,
            as_json,
        )

    @entity.command()
    @click.argument("target")
    @click.argument("others", nargs=-1, required=True)
    @_who_why
    @db_option
    def merge(
        target: str, others: tuple[str, ...], reason: str | None, author: str | None, as_json: bool, db_path: str
    ) -> None:
        """Fold the entities OTHERS into TARGET: their mentions and relations move, their names become
        aliases of TARGET. Write NAME/TYPE where a name is several entities (苏州工业园区/ZONE)."""
        store = open_for_corrections(db_path)
        into = _entity(store, *_named(target))
        if into["document"]:
            raise click.ClickException(
                f"{into['name']} is local to {into['document']}: merge into an entity "
                "of the whole corpus (or rename it first)"
            )
        for spec in others:
            found = _entity(store, *_named(spec))
            if found["id"] == into["id"]:
                raise click.ClickException(f"{spec} is {into['name']} itself")
            _record(
                store,
                Correction(
                    "merge",
                    found["name"],
                    found["type"],
                    new_name=into["name"],
                    new_type=into["type"],
                    document=found["document"],
                ),
                author,
                reason,
                as_json,
            )

    @entity.command()
    @click.argument("name")
    @click.option("--doc", "document", required=True, help="The document (id, source or file name).")
    @type_option
    @_who_why
    @db_option
    def split(
        name: str, document: str, type_: str | None, reason: str | None, author: str | None, as_json: bool, db_path: str
    ) -> None:
        """Make NAME in one document an entity of its own (another body of the same name)."""
        store = open_for_corrections(db_path)
        found = _entity(store, name, _check_type(type_, "--type"), document)
        _record(
            store,
            Correction("split", found["name"], found["type"], document=found["document"]),
            author,
            reason,
            as_json,
        )

    @entity.command()
    @click.argument("name")
    @type_option
    @_who_why
    @db_option
    def reject(
        name: str, type_: str | None, reason: str | None, author: str | None, as_json: bool, db_path: str
    ) -> None:
        """NAME is not an entity: its mentions and relations go and are never stored again (of any
        type unless --type; a figure about it keeps its text)."""
        _check_type(type_, "--type")
        store = open_for_corrections(db_path)
        try:
            found = stored_entity(store.db.conn, name, type_) if type_ else None
        except CorrectionError as exc:
            raise click.ClickException(str(exc)) from exc
        canonical = found["name"] if found else name.strip()
        if not canonical:
            raise click.BadParameter("give a name", param_hint="NAME")
        _record(store, Correction("reject-entity", canonical, type_), author, reason, as_json)

    @main.group()
    def relation() -> None:
        """Correct relations: reject one that is wrong, add one the pipeline missed."""

    @relation.command("reject")
    @click.argument("relation_id", type=int)
    @_who_why
    @db_option
    def reject_relation(relation_id: int, reason: str | None, author: str | None, as_json: bool, db_path: str) -> None:
        """The relation RELATION_ID (kb entity NAME lists the ids) is not what its document says: it goes,
        and is not stored again from that document."""
        store = open_for_corrections(db_path)
        try:
            correction = relation_correction(store.db.conn, relation_id)
        except CorrectionError as exc:
            raise click.ClickException(str(exc)) from exc
        _record(store, correction, author, reason, as_json)

    @relation.command("add")
    @click.argument("subject")
    @click.argument("predicate")
    @click.argument("object_")
    @click.option(
        "--evidence",
        required=True,
        metavar="DOC:PARA",
        help="The document (id, source or file name) and the paragraph number (kb show DOC) that say so.",
    )
    @_who_why
    @db_option
    def add_relation(
        subject: str,
        predicate: str,
        object_: str,
        evidence: str,
        reason: str | None,
        author: str | None,
        as_json: bool,
        db_path: str,
    ) -> None:
        """State SUBJECT PREDICATE OBJECT (stored entities; NAME/TYPE where a name is several) with a
        paragraph as evidence, e.g. `kb relation add 甲公司 COOPERATES_WITH 乙公司 --evidence 3:5`."""
        if predicate not in predicates():
            raise click.BadParameter(f"{predicate!r}: one of {', '.join(predicates())}", param_hint="PREDICATE")
        ref, sep, para = evidence.rpartition(":")
        if not sep or not ref or not para.isdigit():
            raise click.BadParameter(f"{evidence!r}: give DOC:PARA, e.g. 3:5", param_hint="--evidence")
        store = open_for_corrections(db_path)
        doc = _document(store, ref)
        if not store.db.execute(
            "select 1 from paragraphs where document_id = ? and idx = ?", [doc["id"], int(para)]
        ).fetchone():
            raise click.ClickException(f"document {doc['id']} has no paragraph {para} (kb show {doc['id']})")
        s, o = _entity(store, *_named(subject)), _entity(store, *_named(object_))
        _record(
            store,
            Correction(
                "add-relation",
                s["name"],
                s["type"],
                predicate=predicate,
                object=o["name"],
                object_type=o["type"],
                document=doc["source"],
                paragraph=int(para),
            ),
            author,
            reason,
            as_json,
        )

    @main.group()
    def corrections() -> None:
        """The corrections made to this knowledge base: list, export to share, import to apply."""

    @corrections.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON lines (as export writes).")
    @db_option
    def list_corrections(as_json: bool, db_path: str) -> None:
        """Every correction, oldest first: id, when, who, what, why."""
        for c in open_for_corrections(db_path, readonly=True).corrections():
            if as_json:
                click.echo(json.dumps(c.record(), ensure_ascii=False))
            else:
                why = f"  ({c.reason})" if c.reason else ""
                click.echo(f"{c.id:>4}  {c.created_at}  {c.author}  {c.describe()}{why}")

    @corrections.command("export")
    @click.argument("out", type=click.Path(dir_okay=False, allow_dash=True))
    @db_option
    def export_corrections(out: str, db_path: str) -> None:
        """Write every correction as JSON lines to OUT (- for standard output)."""
        recorded = open_for_corrections(db_path, readonly=True).corrections()
        lines = [json.dumps(c.record(), ensure_ascii=False) + "\n" for c in recorded]
        if out == "-":
            sys.stdout.write("".join(lines))
            return
        try:
            Path(out).write_text("".join(lines), encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"{out}: cannot write ({exc.strerror})") from exc
        click.echo(f"{len(lines)} correction(s) -> {out}")

    @corrections.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @db_option
    def import_corrections(file: str, db_path: str) -> None:
        """Apply the corrections in FILE (JSON lines, as export writes); those already here are skipped."""
        added, changed = import_file(open_for_corrections(db_path), file)
        click.echo(f"{added} correction(s) added, {changed} stored document change(s) -> {db_path}")


def import_file(store: Store, file: str) -> tuple[int, int]:
    """Apply the corrections of a JSON-lines file; return (new corrections, document changes).

    The whole file is checked before anything is applied: a bad line stops the import with its
    line number (a ClickException)."""
    try:
        items = read_jsonl(Path(file).read_text(encoding="utf-8"), file)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: cannot read ({exc})") from exc
    except CorrectionError as exc:
        raise click.ClickException(str(exc)) from exc
    known = {c.key() for c in store.corrections()}
    added = changed = 0
    for item in items:
        if item.key() in known:
            continue
        try:
            _, n = store.add_correction(stamped(item))
        except sqlite3.Error as exc:  # the ones before it stay applied: each is its own transaction
            raise click.ClickException(
                f"{store.path}: {describe_sqlite_error(exc)} ({added} correction(s) added before it)"
            ) from exc
        known.add(item.key())
        added, changed = added + 1, changed + n
    return added, changed
