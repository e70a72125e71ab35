"""Stage 5, extract: entities, resolution, relations and metrics for one cleaned, deduplicated Document.

    recognize (all paragraphs, two passes) → resolve (canonical names, relative names) →
    relations (per paragraph, with earlier mentions as context: the rules and the learned
    classifier, combined per predicate as ``models/relations/combine.tsv`` says) → metrics (per paragraph)

Duplicate paragraphs are skipped: what they say is already counted where it was first printed.
Credit, photo-credit and sponsor lines set aside by the clean stage are searched for names too
(their mentions have no paragraph).
"""
from __future__ import annotations

from .document import Document, Span
from .entities import KnownEntities, recognize_document
from .metrics import drop_heading_repeats, extract_metrics
from .relation_model import combine, predict_relations
from .relations import extract_relations
from .resolve import resolve

ASIDES_WITH_NAMES = ("photo_credit", "credit", "sponsor")


def extract(doc: Document, known: KnownEntities | None = None) -> Document:
    """Fill ``doc.entities``, ``doc.relations`` and ``doc.metrics``; ``known`` are names already stored."""
    paragraphs = [p for p in doc.paragraphs if not p.duplicate_of]
    asides = [a.text for a in doc.asides if a.kind in ASIDES_WITH_NAMES]
    texts = [p.text for p in paragraphs] + asides
    spans_per_text = recognize_document(texts, known)
    resolve(spans_per_text, texts, title=doc.title)

    doc.entities, doc.relations, doc.metrics = [], [], []
    earlier: list[Span] = []
    for para, spans in zip(paragraphs, spans_per_text):
        for span in spans:
            span.paragraph_idx = para.idx
        doc.entities.extend(spans)
        by_rules = extract_relations(para.text, spans, para.idx, doc.date, prev_sentence_spans=earlier)
        by_model = predict_relations(para.text, spans, para.idx, doc.date)
        doc.relations.extend(combine(by_rules, by_model))
        doc.metrics.extend(extract_metrics(para.text, spans, para.idx, doc.date))
        earlier = earlier + spans
    doc.metrics = drop_heading_repeats(doc.metrics, doc.paragraphs)  # a headline figure the body repeats
    for spans in spans_per_text[len(paragraphs):]:
        for span in spans:
            span.paragraph_idx = -1
        doc.entities.extend(spans)
    return doc
