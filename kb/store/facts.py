"""A document's facts as the store writes them: plain lists per paragraph (the writer's input and
the ``held_facts`` record), made from a processed Document, with regions under their full names."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pipeline.document import Document

from ..regions import canonical_region

# A paragraph's facts as plain lists (the ``held_facts`` record and the writer's input):
#   mentions:  [name, type, surface, start, end, orig_start, orig_end, source, confidence]
#   relations: [subject, subject_type, predicate, object, object_type, evidence, confidence, attrs(, id kept)]
#   metrics:   [subject name or None, subject_text, indicator, value, unit, period, raw]
Facts = dict[str, list[list[Any]]]


def empty_facts() -> Facts:
    return {"mentions": [], "relations": [], "metrics": []}


def document_regions(by_paragraph: dict[Any, Facts]) -> set[str]:
    """The REGION names of a document's facts: what settles a short form two divisions share."""
    return {name for facts in by_paragraph.values() for name, type_, *_ in facts["mentions"] if type_ == "REGION"}


def with_canonical_regions(by_paragraph: dict[int, Facts]) -> dict[int, Facts]:
    """The facts with each REGION under its full official name (江苏 -> 江苏省, kb/regions.py), so the
    two are one entity corpus-wide; the printed form stays the mention's surface, hence an alias.

    Done on the pipeline's facts before corrections apply, so a correction names what is stored."""
    regions = document_regions(by_paragraph)
    renamed = {name: canonical_region(name, regions) for name in regions}
    renamed = {name: full for name, full in renamed.items() if full != name}
    if not renamed:
        return by_paragraph
    out: dict[int, Facts] = {}
    for idx, facts in by_paragraph.items():
        out[idx] = {
            "mentions": [[renamed.get(m[0], m[0]) if m[1] == "REGION" else m[0], *m[1:]] for m in facts["mentions"]],
            "relations": [
                [
                    renamed.get(r[0], r[0]) if r[1] == "REGION" else r[0],
                    r[1],
                    r[2],
                    renamed.get(r[3], r[3]) if r[4] == "REGION" else r[3],
                    *r[4:],
                ]
                for r in facts["relations"]
            ],
            # a figure's subject is the document's entity of that name (_insert_facts)
            "metrics": [[renamed.get(m[0], m[0]) if m[0] else m[0], *m[1:]] for m in facts["metrics"]],
        }
    return out


def document_facts_by_paragraph(doc: Document) -> dict[int, Facts]:
    """The facts the pipeline found in ``doc``, per paragraph index (-1: credit and sponsor lines)."""
    out: dict[int, Facts] = defaultdict(empty_facts)
    for span in doc.entities:
        para = doc.paragraphs[span.paragraph_idx] if 0 <= span.paragraph_idx < len(doc.paragraphs) else None
        orig = para.original_span(span.start, span.end) if para else (None, None)
        out[span.paragraph_idx]["mentions"].append(
            [
                span.name,
                span.type,
                span.text,
                span.start,
                span.end,
                orig[0],
                orig[1],
                span.source or None,
                span.confidence,
            ]
        )
    for rel in doc.relations:
        out[rel.paragraph_idx]["relations"].append(
            [
                rel.subject,
                rel.subject_type,
                rel.predicate,
                rel.object,
                rel.object_type,
                rel.evidence,
                rel.confidence,
                json.dumps(rel.attrs, ensure_ascii=False) if rel.attrs else None,
            ]
        )
    for metric in doc.metrics:
        out[metric.paragraph_idx]["metrics"].append(
            [
                metric.subject or None,
                metric.subject_text or metric.subject or None,
                metric.indicator,
                metric.value,
                metric.unit,
                metric.period or None,
                metric.raw,
            ]
        )
    return out
