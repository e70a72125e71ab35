"""Stage 5, extract: entities, resolution, relations and metrics for one cleaned, deduplicated Document.

    recognize (all paragraphs, two passes; less mentions inside phrases such as 中国式,
    ``mention_filter``) → resolve (canonical names, relative names; a name with
    two or more regions in front is named from the innermost one, ``prefix_regions``) →
    relations (per paragraph, with earlier mentions as context: the rules and the learned
    classifier, combined per predicate as ``models/relations/combine.tsv`` says) → metrics (per paragraph)
    → prefix regions (the regions printed in front of a longer name, ``pipeline.extract.prefix_regions``;
    news genre only: the seed newsletters' gold keeps such names whole, README "Genres")

Duplicate paragraphs are skipped: what they say is already counted where it was first printed.
Credit, photo-credit and sponsor lines set aside by the clean stage are searched for names too
(their mentions have no paragraph).
"""

from __future__ import annotations

from ..document import Document, Paragraph, Span
from ..genre import genre
from ..mention_filter import drop_phrase_mentions
from ..segmenter import segmenter
from .entities import base_recognize_document
from .entities.crf import entity_crf_mode, learned_spans
from .entities.known import KnownEntities
from .entities.tokens import forget_analyses
from .metrics import drop_heading_repeats, extract_metrics
from .prefix_regions import prefix_regions, shorten_prefixed_names
from .relations import extract_relations
from .relations.model import combine, predict_relations
from .resolve import resolve

ASIDES_WITH_NAMES = ("photo_credit", "credit", "sponsor")

#: A paragraph longer than this is processed in pieces, cut after a sentence end (else after clause
#: punctuation, else anywhere). Recognition walks the tokens around every head word and relations
#: compare mentions pairwise, so their time grows with the square of a paragraph's length (one line
#: of 40,000 characters took 52 s, of 100 KB 23 s and up); real paragraphs are far shorter (the
#: longest of the seeds has 722 characters, of the 134,271 in the CCTV pool 1,978), so on them
#: nothing changes.
MAX_PIECE = 2000
SENTENCE_ENDS = "。！？；!?;"
CLAUSE_ENDS = "，、：,:"


def extract(doc: Document, known: KnownEntities | None = None) -> Document:
    """Fill ``doc.entities``, ``doc.relations`` and ``doc.metrics``; ``known`` are names already stored.

    The base recognizers force names into the dictionary (``pipeline.segmenter``) in a scope
    of their own; the learned CRF, resolution, relations and metrics then run in one more scope
    (region names forced in). A paragraph is cut again only where the words forced in since change
    how it is cut (``entities.tokens.analyze``): the CRF reads the first pass's cut, the second pass
    re-cuts only the paragraphs holding a name the first confirmed. Nothing a document adds to the
    dictionary outlives it, and no document's result depends on what ran before it.
    """
    pieces = [
        (para, at, piece) for para in doc.paragraphs if not para.duplicate_of for at, piece in split_long(para.text)
    ]
    texts = extraction_texts(doc)
    try:
        base = base_recognize_document(texts, known) if entity_crf_mode() != "learned-only" else None
        with segmenter().scope():
            spans_per_text = drop_phrase_mentions(learned_spans(texts, base), texts)
            _relations_and_metrics(doc, pieces, texts, spans_per_text)
    finally:
        forget_analyses()  # the next document has other paragraphs: the memory is better given back
    return doc


def extraction_texts(doc: Document) -> list[str]:
    """The texts recognition reads in ``doc``: its paragraphs that repeat none before them (in
    pieces of at most ``MAX_PIECE``), then its credit and sponsor lines."""
    pieces = [piece for para in doc.paragraphs if not para.duplicate_of for _, piece in split_long(para.text)]
    return pieces + [a.text for a in doc.asides if a.kind in ASIDES_WITH_NAMES]


def _relations_and_metrics(
    doc: Document, pieces: list[tuple[Paragraph, int, str]], texts: list[str], spans_per_text: list[list[Span]]
) -> None:
    """Resolution, relations and metrics over the recognized spans (see :func:`extract`)."""
    resolve(spans_per_text, texts, title=doc.title)
    reads_prefixes = genre() == "news"
    if reads_prefixes:
        shorten_prefixed_names(spans_per_text)

    doc.entities, doc.relations, doc.metrics = [], [], []
    region_names = {sp.name for spans in spans_per_text for sp in spans if sp.type == "REGION"}
    earlier: list[Span] = []
    for (para, at, piece), spans in zip(pieces, spans_per_text, strict=False):
        for span in spans:
            span.paragraph_idx = para.idx
        by_rules = extract_relations(piece, spans, para.idx, doc.date, prev_sentence_spans=earlier)
        by_model = predict_relations(piece, spans, para.idx, doc.date)
        doc.relations.extend(combine(by_rules, by_model))
        metrics = extract_metrics(piece, spans, para.idx, doc.date)
        # nested mentions, after the stages that expect mentions not to overlap
        nested, replaced, located = prefix_regions(piece, spans, region_names) if reads_prefixes else ([], [], [])
        doc.relations.extend(located)
        earlier = earlier + spans
        spans = [s for s in spans if not any(s is r for r in replaced)] + nested
        for span in spans:  # offsets into the paragraph, not the piece
            span.start, span.end = span.start + at, span.end + at
        for metric in metrics:
            if metric.start >= 0:
                metric.start, metric.end = metric.start + at, metric.end + at
        doc.entities.extend(spans)
        doc.metrics.extend(metrics)
    doc.metrics = drop_heading_repeats(doc.metrics, doc.paragraphs)  # a headline figure the body repeats
    for spans in spans_per_text[len(pieces) :]:
        for span in spans:
            span.paragraph_idx = -1
        doc.entities.extend(spans)


def extract_metrics_only(doc: Document) -> Document:
    """Fill ``doc.metrics`` alone, on the pieces :func:`extract` uses, without the recognizers.

    Entity spans only choose a metric's subject, never whether a quantity is one or its value and
    unit, so the (value, unit) pairs are those of a full extraction (the metric rules segment with
    the recognizers' dictionary, ``pipeline.segmenter``). For a fast metric score
    (``kb eval-annotated --only metrics``); subjects stay the sentence's opening phrase.
    """
    doc.metrics = []
    for para in doc.paragraphs:
        if para.duplicate_of:
            continue
        for at, piece in split_long(para.text):
            for metric in extract_metrics(piece, None, para.idx, doc.date):
                if metric.start >= 0:
                    metric.start, metric.end = metric.start + at, metric.end + at
                doc.metrics.append(metric)
    doc.metrics = drop_heading_repeats(doc.metrics, doc.paragraphs)
    return doc


def split_long(text: str, limit: int = MAX_PIECE) -> list[tuple[int, str]]:
    """``(offset, piece)`` for the pieces of ``text``: the text itself when it has at most ``limit``
    characters, else pieces of at most ``limit`` cut after the last sentence end that fits (else
    the last clause punctuation, else at the limit)."""
    out, start = [], 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind(ch) for ch in SENTENCE_ENDS) + 1
        if cut < limit // 4:  # no sentence end, or only one near the start: a clause, then anything
            cut = max(cut, max(window.rfind(ch) for ch in CLAUSE_ENDS) + 1)
        if cut < limit // 4:
            cut = limit
        out.append((start, window[:cut]))
        start += cut
    out.append((start, text[start:]))
    return out
