"""The annotation round trip: documents out to doccano or Label Studio with what the pipeline found,
the reviewed file back in as corrections and as training records.

Export: one item per document, its text the document's cleaned text (``kb.schema.document_text``:
the paragraphs joined by ``\\n``), each stored mention a span (a mention's offsets index its
paragraph, so a span starts at the paragraph's position in the text plus the mention's start), each
stored relation an arrow between a span of its subject and a span of its object (those in its
paragraph when there are). ``kb_source`` names the document; ``kb_paragraph_starts`` gives where
each paragraph starts in the text.

Import compares the reviewed spans and arrows with what the knowledge base holds now, by character
offsets (both tools renumber the ids):

* a span whose label changed: ``retype`` of its entity in that document;
* an entity none of whose spans is left: ``reject-entity`` in that document;
* an arrow removed: ``reject-relation``; an arrow added between two stored entities: ``add-relation``
  (the paragraph holding the subject's span is the evidence);
* a span that is no stored mention cannot be a correction (no entity to correct): reported, and kept
  in the training record.

Unchanged items give no correction; importing the same file again gives none either.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corrections import Correction, entity_types, predicates

FORMATS = ("doccano", "label-studio")
SENTENCE_END = "。！？!?"
REASONS = {"doccano": "review in doccano", "label-studio": "review in label-studio"}


class AnnotationError(ValueError):
    """A file that is not an export of the expected tool, or a document that cannot be exported."""


# --- what the knowledge base holds for one document ---------------------------------------------


@dataclass
class Span:
    """A stored mention placed in the document's text."""

    start: int
    end: int
    entity_id: int
    name: str
    type: str
    paragraph: int  # the paragraph's idx


@dataclass
class DocumentView:
    """A document's text with its stored mentions as spans and its relations as arrows between them."""

    document_id: int
    source: str
    date: str | None
    text: str
    paragraph_starts: list[int]
    spans: list[Span]
    # (subject span index, object span index, predicate)
    arrows: list[tuple[int, int, str]]
    # every stored relation of the document by names: (subject, predicate, object)
    triples: set[tuple[str, str, str]] = field(default_factory=set)


def document_view(conn: Any, document_id: int) -> DocumentView:
    """What the knowledge base holds for one document, placed in its text."""
    row = conn.execute("select source, date, status from documents where id = ?", [document_id]).fetchone()
    if row is None:
        raise AnnotationError(f"no document has id {document_id}")
    source, date, status = row
    if status != "ok":
        raise AnnotationError(f"document {document_id} ({source}) failed at ingest: nothing to review")
    paragraphs = conn.execute(
        "select id, idx, text from paragraphs where document_id = ? order by idx", [document_id]
    ).fetchall()
    text = "\n".join(p[2] for p in paragraphs)  # the document's text (kb.schema.document_text)
    starts, at = {}, 0
    for pid, idx, para_text in paragraphs:
        starts[pid] = (idx, at)
        at += len(para_text) + 1
    spans, seen = [], set()
    for pid, start, end, entity_id, name, type_ in conn.execute(
        "select m.paragraph_id, m.start, m.end, e.id, e.name, e.type from mentions m "
        "join entities e on e.id = m.entity_id where m.document_id = ? and m.paragraph_id is not null "
        "order by m.id",
        [document_id],
    ):
        idx, offset = starts[pid]
        key = (offset + start, offset + end)
        if key not in seen:  # one span per stretch of text: a tool cannot show two on the same characters
            seen.add(key)
            spans.append(Span(offset + start, offset + end, entity_id, name, type_, idx))
    spans.sort(key=lambda s: (s.start, s.end))
    arrows, triples = [], set()
    for subject_id, object_id, predicate, pid, s_name, o_name in conn.execute(
        "select r.subject_id, r.object_id, r.predicate, r.paragraph_id, s.name, o.name from relations r "
        "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
        "where r.document_id = ? order by r.id",
        [document_id],
    ):
        triples.add((s_name, predicate, o_name))
        paragraph = starts[pid][0] if pid in starts else None
        s, o = _span_of(spans, subject_id, paragraph), _span_of(spans, object_id, paragraph)
        if s is not None and o is not None and (s, o, predicate) not in arrows:
            arrows.append((s, o, predicate))
    return DocumentView(document_id, source, date, text, [at for _, at in starts.values()], spans, arrows, triples)


def _span_of(spans: list[Span], entity_id: int, paragraph: int | None) -> int | None:
    """Index of the entity's first span in the paragraph, else its first span anywhere, else None."""
    mine = [i for i, s in enumerate(spans) if s.entity_id == entity_id]
    here = [i for i in mine if spans[i].paragraph == paragraph]
    return (here or mine)[0] if mine else None


# --- export --------------------------------------------------------------------------------------


def to_doccano(view: DocumentView) -> dict:
    """One line of doccano's "sequence labeling + relations" JSONL."""
    return {
        "id": view.document_id,
        "text": view.text,
        "entities": [
            {"id": i + 1, "label": s.type, "start_offset": s.start, "end_offset": s.end}
            for i, s in enumerate(view.spans)
        ],
        "relations": [
            {"id": i + 1, "from_id": s + 1, "to_id": o + 1, "type": p} for i, (s, o, p) in enumerate(view.arrows)
        ],
        "kb_source": view.source,
        "kb_document_id": view.document_id,
        "kb_paragraph_starts": view.paragraph_starts,
    }


def to_label_studio(view: DocumentView) -> dict:
    """One Label Studio task with the pipeline's findings as a prediction (see :func:`label_config`)."""
    result: list[dict] = [
        {
            "id": f"e{i + 1}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": view.text[s.start : s.end], "labels": [s.type]},
        }
        for i, s in enumerate(view.spans)
    ]
    result += [
        {"from_id": f"e{s + 1}", "to_id": f"e{o + 1}", "type": "relation", "direction": "right", "labels": [p]}
        for s, o, p in view.arrows
    ]
    return {
        "data": {
            "text": view.text,
            "kb_source": view.source,
            "kb_document_id": view.document_id,
            "kb_paragraph_starts": view.paragraph_starts,
        },
        "predictions": [{"model_version": "cluster-kb", "result": result}],
    }


def label_config() -> str:
    """The Label Studio labeling config for the exported tasks (entity types as labels, predicates
    as relations)."""
    relations = "\n".join(f'    <Relation value="{p}"/>' for p in predicates())
    labels = "\n".join(f'    <Label value="{t}"/>' for t in entity_types())
    return (
        f'<View>\n  <Relations>\n{relations}\n  </Relations>\n  <Labels name="label" toName="text">\n{labels}\n'
        '  </Labels>\n  <Text name="text" value="$text"/>\n</View>\n'
    )


def config_path(out: str | Path) -> Path:
    """Where the labeling config goes beside a Label Studio export: OUT with ``.label-config.xml``."""
    out = Path(out)
    return out.with_name(out.stem + ".label-config.xml")


def export_annotations(db_path: str | Path, fmt: str, out: str | Path, docs: tuple[str, ...] = ()) -> list[Path]:
    """Write the documents ``docs`` (ids, sources or file names; default every ok document) for
    review in ``fmt``; return the files written (Label Studio: the tasks and the labeling config)."""
    from .connection import KnowledgeBaseMissing
    from .store import Store, StoreError

    if fmt not in FORMATS:
        raise AnnotationError(f"format must be one of {', '.join(FORMATS)}")
    try:
        store = Store(db_path, readonly=True)
    except (StoreError, KnowledgeBaseMissing) as exc:
        raise AnnotationError(str(exc)) from exc
    conn = store.db.conn
    if docs:
        ids = []
        for ref in docs:
            found = store.find_document(ref)
            if found is None:
                raise AnnotationError(f"no document matches {ref!r} (kb documents lists them)")
            ids.append(found["id"])
    else:
        ids = [i for (i,) in conn.execute("select id from documents where status = 'ok' order by id")]
    views = [document_view(conn, i) for i in dict.fromkeys(ids)]
    out = Path(out)
    try:
        if fmt == "doccano":
            out.write_text(
                "".join(json.dumps(to_doccano(v), ensure_ascii=False) + "\n" for v in views), encoding="utf-8"
            )
            return [out]
        out.write_text(
            json.dumps([to_label_studio(v) for v in views], ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        config_path(out).write_text(label_config(), encoding="utf-8")
    except OSError as exc:
        raise AnnotationError(f"{out}: cannot write ({exc.strerror})") from exc
    return [out, config_path(out)]


# --- reading a reviewed file ---------------------------------------------------------------------


@dataclass
class Reviewed:
    """One reviewed item: its text, spans (start, end, label) and arrows (span index, span index, type)."""

    where: str
    text: str
    source: str | None
    spans: list[tuple[int, int, str]]
    arrows: list[tuple[int, int, str]]
    author: str | None = None


def detect_format(text: str) -> str:
    """``label-studio`` for a JSON array (Label Studio's JSON export), else ``doccano`` (JSON lines)."""
    return "label-studio" if text.lstrip().startswith("[") else "doccano"


def _span(where: str, text: str, start: Any, end: Any, label: Any) -> tuple[int, int, str]:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start < end <= len(
        text
    ):
        raise AnnotationError(f"{where}: span offsets {start!r}..{end!r} are not inside the text")
    if not isinstance(label, str) or not label:
        raise AnnotationError(f"{where}: a span without a label")
    return start, end, label


def read_doccano(content: str, where: str) -> list[Reviewed]:
    """Items of a doccano JSONL export (relation projects; plain ``label`` [[start, end, label]] too)."""
    items = []
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        at = f"{where}, line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnnotationError(f"{at}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise AnnotationError(f"{at}: not a doccano item (an object with text, entities, relations)")
        text, ids = item["text"], {}
        spans: list[tuple[int, int, str]] = []
        raw_entities = item.get("entities", item.get("label", []))
        if not isinstance(raw_entities, list) or not isinstance(item.get("relations", []), list):
            raise AnnotationError(f"{at}: entities and relations must be lists")
        for entity in raw_entities:
            if isinstance(entity, dict):
                ids[entity.get("id")] = len(spans)
                spans.append(_span(at, text, entity.get("start_offset"), entity.get("end_offset"), entity.get("label")))
            elif isinstance(entity, list) and len(entity) == 3:
                spans.append(_span(at, text, *entity))
            else:
                raise AnnotationError(
                    f"{at}: an entity is neither {{id, label, start_offset, end_offset}} nor [start, end, label]"
                )
        arrows = []
        for relation in item.get("relations", []):
            if not isinstance(relation, dict) or relation.get("from_id") not in ids or relation.get("to_id") not in ids:
                raise AnnotationError(f"{at}: a relation's from_id / to_id is no entity id of the line")
            arrows.append((ids[relation["from_id"]], ids[relation["to_id"]], str(relation.get("type") or "")))
        source = item.get("kb_source") if isinstance(item.get("kb_source"), str) else None
        author = item.get("user") if isinstance(item.get("user"), str) else None
        items.append(Reviewed(at, text, source, spans, arrows, author))
    return items


def _annotator(annotation: dict) -> str | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("username") or who.get("id")
    return None if who is None else str(who)


def read_label_studio(content: str, where: str) -> tuple[list[Reviewed], int]:
    """Tasks of a Label Studio JSON export: the latest annotation of each (cancelled ones skipped);
    returns the items and the number of tasks without an annotation (not reviewed: skipped)."""
    try:
        tasks = json.loads(content)
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(tasks, list):
        raise AnnotationError(f"{where}: not a Label Studio export (a JSON list of tasks)")
    items, unreviewed = [], 0
    for number, task in enumerate(tasks, 1):
        at = f"{where}, task {number}"
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise AnnotationError(f"{at}: not a Label Studio task (no data.text)")
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            unreviewed += 1
            continue
        annotation = annotations[-1]
        text, ids, relations = data["text"], {}, []
        spans: list[tuple[int, int, str]] = []
        if not isinstance(annotation.get("result"), list):
            raise AnnotationError(f"{at}: an annotation without a result list")
        for result in annotation["result"]:
            kind = result.get("type") if isinstance(result, dict) else None
            if kind == "labels":
                value = result.get("value") or {}
                labels = value.get("labels") or [None]
                ids[result.get("id")] = len(spans)
                spans.append(_span(at, text, value.get("start"), value.get("end"), labels[0]))
            elif kind == "relation":
                relations.append(result)
        arrows = []
        for relation in relations:
            if relation.get("from_id") not in ids or relation.get("to_id") not in ids:
                raise AnnotationError(f"{at}: a relation's from_id / to_id is no span of the annotation")
            ends = (ids[relation["from_id"]], ids[relation["to_id"]])
            if relation.get("direction") == "left":
                ends = ends[::-1]
            for label in relation.get("labels") or [""]:
                arrows.append((*ends, label))
        source = data.get("kb_source") if isinstance(data.get("kb_source"), str) else None
        items.append(Reviewed(at, text, source, spans, arrows, _annotator(annotation)))
    return items, unreviewed


# --- comparing with the knowledge base -----------------------------------------------------------


@dataclass
class Outcome:
    """What one reviewed item gives: corrections, a training record, what cannot be applied."""

    corrections: list[Correction]
    record: dict
    problems: list[str]


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence(s) of ``text`` holding ``start``..``end``: from after the previous 。！？ or line
    break to the next one, included (the annotation guide's evidence)."""
    lo = max(text.rfind(ch, 0, start) for ch in SENTENCE_END + "\n") + 1
    ends = [i for i in (text.find(ch, end) for ch in SENTENCE_END + "\n") if i != -1]
    hi = min(ends) if ends else len(text)
    return text[lo : hi + (text[hi : hi + 1] in tuple(SENTENCE_END))].strip()


def doc_name(source: str) -> str:
    """The ``doc`` of a training record: a record's id (``FILE#ID``), else the file name."""
    return source.rpartition("#")[2] if "#" in source else Path(source).name


def compare(view: DocumentView, item: Reviewed) -> Outcome:
    """The corrections that turn what the knowledge base holds into what the reviewer left, and the
    reviewed item as a training record (annotation-guide format)."""
    types, known_predicates, problems = entity_types(), predicates(), []
    stored_at = {(s.start, s.end): s for s in view.spans}
    labels_of: dict[int, list[str]] = defaultdict(list)  # entity id -> labels its kept spans carry
    for start, end, label in item.spans:
        if label not in types:
            problems.append(f"{item.where}: span {item.text[start:end]!r}: {label!r} is not an entity type")
        elif (start, end) in stored_at:
            labels_of[stored_at[(start, end)].entity_id].append(label)
        else:
            problems.append(
                f"{item.where}: span {item.text[start:end]!r} [{label}] is no stored entity: "
                "no correction (kept in the training data)"
            )
    entities = {s.entity_id: s for s in reversed(view.spans)}  # the first span of each
    rejected, retyped, corrections = set(), {}, []
    for entity_id, span in entities.items():
        labels = set(labels_of.get(entity_id, []))
        if not labels:
            rejected.add(entity_id)
        elif labels != {span.type}:
            if len(labels) > 1:
                problems.append(
                    f"{item.where}: {span.name} has spans labelled {', '.join(sorted(labels))}: "
                    "give them one label (no correction)"
                )
            else:
                retyped[entity_id] = labels.pop()

    def end_of(index: int) -> tuple[str, str, Span | None]:
        start, end, label = item.spans[index]
        span = stored_at.get((start, end))
        return (span.name, label, span) if span else (item.text[start:end], label, None)

    reviewed: dict[tuple[str, str, str], tuple[Span | None, Span | None, str, str]] = {}
    for s_index, o_index, predicate in item.arrows:
        (s_name, s_label, s_span), (o_name, o_label, o_span) = end_of(s_index), end_of(o_index)
        if predicate not in known_predicates:
            problems.append(
                f"{item.where}: relation {s_name} {predicate or '(no label)'} {o_name}: not a predicate of the ontology"
            )
        elif s_label in types and o_label in types:
            reviewed[(s_name, predicate, o_name)] = (s_span, o_span, s_label, o_label)
    shown = {(view.spans[s].name, p, view.spans[o].name): (view.spans[s], view.spans[o]) for s, o, p in view.arrows}
    for (s_name, predicate, o_name), (s_span, o_span) in shown.items():
        if (s_name, predicate, o_name) not in reviewed and not {s_span.entity_id, o_span.entity_id} & rejected:
            corrections.append(
                Correction(
                    "reject-relation",
                    s_name,
                    s_span.type,
                    predicate=predicate,
                    object=o_name,
                    object_type=o_span.type,
                    document=view.source,
                )
            )
    corrections += [
        Correction("reject-entity", entities[i].name, entities[i].type, document=view.source) for i in sorted(rejected)
    ]
    corrections += [
        Correction("retype", entities[i].name, entities[i].type, new_type=t, document=view.source)
        for i, t in retyped.items()
    ]
    for (s_name, predicate, o_name), (s_span, o_span, s_label, o_label) in reviewed.items():
        if (s_name, predicate, o_name) in view.triples:
            continue
        if s_span is None or o_span is None:
            problems.append(
                f"{item.where}: relation {s_name} {predicate} {o_name}: "
                f"{s_name if s_span is None else o_name} is no stored entity: no correction "
                "(kept in the training data)"
            )
            continue
        corrections.append(
            Correction(
                "add-relation",
                s_name,
                s_label,
                predicate=predicate,
                object=o_name,
                object_type=o_label,
                document=view.source,
                paragraph=s_span.paragraph,
            )
        )
    return Outcome(corrections, training_record(view, item), problems)


def training_record(view: DocumentView, item: Reviewed) -> dict:
    """The reviewed item in the annotation guide's format: entities with the forms printed as
    aliases, relations with their sentence as evidence (attrs {}), no metrics (not reviewed)."""
    types = entity_types()
    stored_at = {(s.start, s.end): s for s in view.spans}
    names: list[str] = []
    forms: dict[str, dict] = {}
    type_votes: dict[str, Counter] = defaultdict(Counter)
    span_name = {}
    for index, (start, end, label) in enumerate(item.spans):
        if label not in types:
            continue
        surface = item.text[start:end]
        name = stored_at[(start, end)].name if (start, end) in stored_at else surface
        span_name[index] = name
        if name not in forms:
            names.append(name)
            forms[name] = {}
        forms[name].setdefault(surface, None)
        type_votes[name][label] += 1
    entities = [
        {"name": n, "type": type_votes[n].most_common(1)[0][0], "aliases": [f for f in forms[n] if f != n]}
        for n in names
    ]
    relations, seen = [], set()
    for s_index, o_index, predicate in item.arrows:
        if predicate not in predicates() or s_index not in span_name or o_index not in span_name:
            continue
        (s_start, s_end, _), (o_start, o_end, _) = item.spans[s_index], item.spans[o_index]
        evidence = sentence_around(item.text, min(s_start, o_start), max(s_end, o_end))
        key = (span_name[s_index], predicate, span_name[o_index], evidence)
        if key not in seen:
            seen.add(key)
            relations.append({"s": key[0], "p": predicate, "o": key[2], "evidence": evidence, "attrs": {}})
    return {
        "doc": doc_name(view.source),
        "date": view.date,
        "entities": entities,
        "relations": relations,
        "metrics": [],
    }


# --- the import ----------------------------------------------------------------------------------


def read_reviewed(path: str | Path, fmt: str | None = None) -> tuple[str, list[Reviewed], int]:
    """``(format, items, unreviewed tasks)`` of a reviewed file; the format is detected when None."""
    try:
        content = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"{path}: cannot read ({exc})") from exc
    if not content.strip():
        raise AnnotationError(f"{path}: the file is empty")
    fmt = fmt or detect_format(content)
    if fmt == "doccano":
        return fmt, read_doccano(content, str(path)), 0
    return (fmt, *read_label_studio(content, str(path)))


def _find_view(conn: Any, item: Reviewed) -> DocumentView | None:
    """The stored document an item was exported from: by ``kb_source``, else by its text."""
    row = None
    if item.source:
        row = conn.execute(
            "select id from documents where source = ? and status = 'ok' order by id desc", [item.source]
        ).fetchone()
    if row is None:
        row = conn.execute("select id from document_texts where text = ? order by id desc", [item.text]).fetchone()
    return document_view(conn, row[0]) if row else None


def import_annotations(
    store: Any, path: str | Path, fmt: str | None = None, training: str | Path | None = None, author: str | None = None
) -> dict:
    """Record the corrections a reviewed file implies (through ``store.add_correction``) and write its
    training records to ``training``. The whole file is read and compared before anything is recorded.
    Returns a summary: corrections (records), documents changed, training records, problems."""
    from .corrections import stamped

    fmt, items, unreviewed = read_reviewed(path, fmt)
    problems = [f"{unreviewed} task(s) without an annotation: not reviewed, skipped"] if unreviewed else []
    outcomes, authors = [], []
    for item in items:
        view = _find_view(store.db.conn, item)
        if view is None:
            problems.append(f"{item.where}: no stored document has this source or text: skipped")
        elif view.text != item.text:
            problems.append(f"{item.where}: {view.source} changed since the export (its text differs): skipped")
        else:
            outcome = compare(view, item)
            outcomes.append(outcome)
            authors.append(author or item.author)
            problems += outcome.problems
    records = [o.record for o in outcomes]
    if training is not None:
        try:
            Path(training).write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
            )
        except OSError as exc:
            raise AnnotationError(f"{training}: cannot write ({exc.strerror})") from exc
    recorded, changed = [], 0
    known = {c.key() for c in store.corrections()}  # made before (an import run twice): not counted again
    for outcome, who in zip(outcomes, authors, strict=False):
        for correction in outcome.corrections:
            if correction.key() in known:
                continue
            known.add(correction.key())
            stored, n = store.add_correction(stamped(correction, who, REASONS[fmt]))
            recorded.append(stored.record())
            changed += n
    return {
        "format": fmt,
        "documents": len(outcomes),
        "corrections": recorded,
        "documents_changed": changed,
        "training_records": len(records) if training is not None else 0,
        "training_file": str(training) if training is not None else None,
        "problems": problems,
    }
