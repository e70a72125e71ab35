"""Relation extraction by rules: the ten ontology predicates between entity mentions of one paragraph.

Input is one cleaned paragraph and its entity mentions (``Span.name`` canonical). The paragraph is
split into sentences (。！？；); each sentence is read as a row of *mentions* (a mention is a span,
or a chain of directly adjacent places such as 江苏省常州市大港镇, whose head is the innermost
name) grouped into *lists* (A、B和C等). Small rules keyed on trigger words then decide subject and
object by position around the trigger and by entity type. Every rule is generic: it knows trigger
vocabulary, titles and type constraints, never names.

A few references reach outside the sentence: 该企业/该中心/其/公司/区里 … are resolved to the most
recent entity of the fitting type (in the paragraph, then in ``prev_sentence_spans``), and a
sentence without a subject may borrow the topic (first named actor) of the sentence before.

The rules, one module per predicate family, each append to a sentence's ``out``; the learned pair
classifier is :mod:`pipeline.extract.relations.model`.
"""

from __future__ import annotations

from ...document import Relation, Span
from .cooperation import _cooperates
from .established import _established
from .holds_position import _holds
from .leads_members import _leads_and_members
from .located import _located
from .references import _add_anaphors, _Context
from .sentences import _date_attr, _mentions, _Sentence, _sentences
from .supplies import _supplies
from .supports import _supports
from .visited import _visited
from .vocabulary import DATE_RE


def extract_relations(
    text: str, spans: list[Span], paragraph_idx: int = -1, doc_date: str | None = None, prev_sentence_spans=None
) -> list[Relation]:
    """Relations stated in one cleaned paragraph.

    ``spans`` are the paragraph's entity mentions (offsets into ``text``, ``name`` canonical).
    ``prev_sentence_spans`` may hold mentions from earlier text of the same document, oldest first
    (offsets ignored); they only serve to resolve 该企业/公司/区里-style references and a group named
    just before the paragraph. ``doc_date`` (YYYY-MM-DD) gives the year to 3月7日-style dates.
    Each relation carries the sentence it came from as evidence and a rule-based confidence.
    """
    spans = sorted((s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: (s.start, -s.end))
    # drop spans nested in a longer one (the longest name wins)
    kept: list[Span] = []
    for s in spans:
        if kept and s.start < kept[-1].end:
            continue
        kept.append(s)
    spans = kept
    rels: list[Relation] = []
    mentions = _mentions(spans, rels, text, paragraph_idx)
    masked = list(text)
    for s in spans:
        for i in range(s.start, s.end):
            masked[i] = "□"
    masked_s = "".join(masked)
    mentions = _add_anaphors(text, masked_s, mentions, list(prev_sentence_spans or []))
    sentences = [_Sentence(text, s, e, mentions, masked_s) for s, e in _sentences(text)]

    last_date = None
    prev: _Sentence | None = None
    ctx = _Context(list(prev_sentence_spans or []))
    for sent in sentences:
        dm = DATE_RE.search(text, sent.start, sent.end)
        if dm:
            last_date = _date_attr(dm, doc_date)
        out: list[Relation] = []
        _located(sent, out)
        _holds(sent, out)
        _visited(sent, out, last_date)
        _established(sent, out, prev)
        _leads_and_members(sent, out, prev, ctx)
        _cooperates(sent, out, prev, ctx)
        _supplies(sent, out)
        _supports(sent, out)
        for r in out:
            r.paragraph_idx = paragraph_idx
            r.evidence = sent.evidence
        rels.extend(out)
        if sent.topic() is not None:
            prev = sent
        ctx.extend(sent.mentions)
    # chain LOCATED_IN from _mentions got no evidence yet
    for r in rels:
        if not r.evidence:
            r.evidence = next((s.evidence for s in sentences if s.evidence and r.subject in _names(s)), text)
    return _dedup(rels)


def _names(sent: _Sentence) -> set[str]:
    return {m.name for m in sent.mentions} | {o.name for m in sent.mentions for o in m.outers}


def _dedup(rels: list[Relation]) -> list[Relation]:
    """One relation per (subject, predicate, object); symmetric COOPERATES_WITH counted once."""
    best: dict[tuple, Relation] = {}
    for r in rels:
        if r.subject == r.object:
            continue
        key = (r.subject, r.predicate, r.object)
        if r.predicate == "COOPERATES_WITH":
            key = (min(r.subject, r.object), r.predicate, max(r.subject, r.object))
        if key not in best or r.confidence > best[key].confidence:
            best[key] = r
    return list(best.values())
