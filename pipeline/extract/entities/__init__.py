"""Entity recognition: find the nine ontology entity types in one cleaned paragraph, with offsets.

Layers (``RECOGNIZERS``), each a callable ``text -> list[Span]`` with a ``name``:

* ``gazetteer``  REGION names from China's administrative divisions (models/lexicons/ent_regions.txt)
* ``settlement`` generic settlement patterns (…村 …居民区 …小区 …社区 …镇 …街道)
* ``suffix``     organisations named by their head word: PARTY_ORG, GOV_ORG, ENTERPRISE, ZONE,
                 ALLIANCE, INSTITUTION (…党委, …组织部, …有限公司, …园区, …联盟, …研究院)
* ``person``     bylines, credits, title + name, jieba ``nr`` names next to speech verbs
* ``industry``   fields named as an industry (…产业, …产业集群, lists before 等…产业)
* ``model``      a character BiLSTM-CRF trained with HanLP (``pipeline.ner_model``, models/ner/);
                 it fills the gaps the rules leave (``fills_gaps``): its spans that overlap no rule
                 span are added, so rules stay precise on what they know and the model finds names
                 nobody listed

``KnownRecognizer`` (names already confirmed, in the store or earlier in the document) is added
when a ``KnownEntities`` is passed. ``merge_spans`` resolves overlaps among rule spans; ``fill_gaps``
then adds the model's. ``RULE_RECOGNIZERS`` is the rules alone.

Why regex + jieba and not spaCy here: Chinese names are found by their suffix (党委, 有限公司, …)
and the hard part is the LEFT boundary, which needs word segmentation and parts of speech.
``spacy.blank("zh")`` tokenizes by character, so a SpanRuler over it is a slower regex; spaCy's
jieba/pkuseg segmenters give no POS tags. We therefore match suffixes with regular expressions and
walk left over jieba posseg tokens (with gazetteer names forced in as words), stopping at verbs,
function words and punctuation.

This package runs the layers over a text or a document (``recognize``, ``base_recognize_document``);
the parts: ``lexicons`` (word lists, the region gazetteer), ``tokens`` (``analyze``: jieba tokens and region matches),
``boundary`` (a name's left boundary), ``known`` (the ``Recognizer`` protocol, ``KnownEntities``),
one module per recognizer (``gazetteer``, ``settlements``, ``organizations``, ``persons``,
``industries``, ``lists``), ``merge`` (overlaps) and ``model_layer`` (the model's spans).
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from ...document import Span
from ...gazetteer import region_lexicon, region_shorts
from ...segmenter import segmenter
from .gazetteer import RegionGazetteer
from .industries import IndustryRecognizer
from .known import KnownEntities, KnownRecognizer, Recognizer
from .lists import ListRecognizer
from .merge import fill_gaps, merge_spans
from .model_layer import _model_layer
from .organizations import SuffixOrgRecognizer
from .persons import PersonRecognizer
from .settlements import SettlementRecognizer
from .tokens import analyze

RULE_RECOGNIZERS: list[Recognizer] = [
    RegionGazetteer(),
    SettlementRecognizer(),
    SuffixOrgRecognizer(),
    PersonRecognizer(),
    IndustryRecognizer(),
]
MODEL_RECOGNIZER: Recognizer = _model_layer()
# The default layers: the rules, then the statistical model filling the gaps they leave.
RECOGNIZERS: list[Recognizer] = [*RULE_RECOGNIZERS, MODEL_RECOGNIZER]
LIST_RECOGNIZER = ListRecognizer()


@contextmanager
def using_layers(layers: list[Recognizer]):
    """Run extraction with these recognizer layers instead of ``RECOGNIZERS`` (restored afterwards):
    ``using_layers(RULE_RECOGNIZERS)`` is the rules alone."""
    saved = list(RECOGNIZERS)
    RECOGNIZERS[:] = layers
    try:
        yield
    finally:
        RECOGNIZERS[:] = saved


def recognize(text: str, known: KnownEntities | None = None, recognizers: list[Recognizer] | None = None) -> list[Span]:
    """Run all recognizers on one cleaned paragraph and merge; offsets index into ``text``.

    ``known`` adds a layer that finds names already confirmed; ``recognizers`` replaces the default
    layer list (to measure one layer alone, or to add a model).
    """
    if not text:
        return []
    with segmenter().scope():
        return _recognize(text, known, recognizers)


def _recognize(text: str, known: KnownEntities | None, recognizers: list[Recognizer] | None) -> list[Span]:
    layers = list(RECOGNIZERS if recognizers is None else recognizers)
    if known is not None and len(known.types) + len(known.aliases):
        layers.append(KnownRecognizer(known))
    spans: list[Span] = []
    fill: list[Span] = []
    for r in layers:
        (fill if getattr(r, "fills_gaps", False) else spans).extend(r(text))
    spans = [s for s in spans if _keep(text, s)]
    merged = merge_spans(spans)
    if fill:
        merged = fill_gaps(merged, [s for s in fill if _keep(text, s)])
    if recognizers is None or LIST_RECOGNIZER in recognizers:
        extra = LIST_RECOGNIZER.extend(text, merged)
        if extra:
            merged = merge_spans(merged + extra)
    return merged


def _keep(text: str, s: Span) -> bool:
    """Last filters every layer shares: no span over punctuation of a clause, none too long."""
    surface = text[s.start : s.end]
    if re.search(r"[，。；！？,;!?\n]", surface):
        return False
    return len(surface) <= 40


def doc_known_from(
    spans_per_par: list[list[Span]], texts: list[str], base: KnownEntities | None = None
) -> KnownEntities:
    """Names found in a first pass over a document, with the short forms they license.

    A region's short form (江宁 for 江宁区) counts in the document once its full form was seen,
    or (for a county) once its parent city was; an organisation's short forms join it
    (南京禾丰食品有限公司 -> 禾丰食品); persons found by title are found again by name alone.
    """
    k = base.copy() if base is not None else KnownEntities()
    lex = region_lexicon()
    found_regions = set()
    for spans in spans_per_par:
        for s in spans:
            if s.source == "model":
                continue  # the model's names are not trusted enough to re-find or to reshape jieba's words
            if (
                s.type in ("PERSON", "INDUSTRY", "PARTY_ORG", "ALLIANCE", "ZONE", "INSTITUTION")
                or (s.type == "ENTERPRISE" and s.source != "list")
                or (s.type == "GOV_ORG" and len(s.name) > 3)
            ):
                k.add(s.name, s.type, org_short_forms(s.name, s.type))
            if s.type == "REGION":
                if s.name in lex:
                    found_regions.add(s.name)
                    e = lex[s.name]
                    if e.short:
                        k.add(s.name, "REGION", [e.short])
                elif s.source == "settlement":
                    k.add(s.name, "REGION")
    # Counties whose city appears (常州市 -> 溧阳, 金坛) may be named short.
    cities = {n for n in found_regions if lex[n].level in ("city", "province")}
    cities |= {lex[n].parents[0] for n in found_regions if lex[n].level == "county" and lex[n].parents}
    for text in texts:
        toks, _ = analyze(text)
        shorts = region_shorts()
        for t in toks:
            for e in shorts.get(t.word, ()):
                if e.level == "county" and set(e.parents) & cities and t.pos.startswith("ns"):
                    k.add(e.name, "REGION", [e.short])
    return k


ORG_STRIP = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团有限公司|公司)$")


def org_short_forms(name: str, type_: str) -> list[str]:
    """Short forms an article may use for an organisation: 南京华瑞化妆品有限公司 -> 华瑞化妆品;
    恒远电气公司 -> 恒远电气."""
    out = []
    if type_ == "ENTERPRISE":
        core = ORG_STRIP.sub("", name)
        if core != name and len(core) >= 2:
            out.append(core)
        # Drop a leading region: 南京华瑞化妆品 -> 华瑞化妆品.
        # Drop a leading place, full or short (province/city/county level, from the gazetteer).
        for L in range(min(6, len(core) - 3), 1, -1):
            head = core[:L]
            e = region_lexicon().get(head)
            shorts = [x for x in region_shorts().get(head, ()) if x.level != "town"]
            if (e and e.level != "town") or shorts:
                out.append(core[L:])
                break
    return [o for o in out if o != name]


def model_spans_of(text: str) -> list[Span]:
    """The HanLP model's raw spans of a paragraph (cached from the document's batch), or none."""
    model = getattr(MODEL_RECOGNIZER, "model", None)
    return model(text) if model is not None and getattr(model, "enabled", False) else []


def base_recognize_document(texts: list[str], known: KnownEntities | None = None) -> list[list[Span]]:
    """The base recognizers over all paragraphs of one document (two passes).

    The first pass finds names paragraph by paragraph; the second finds them again everywhere,
    together with the short forms they license in this document (see ``doc_known_from``).
    Returns one span list per input text, offsets into that text.
    """
    with segmenter().scope():
        prepare_recognizers(texts)  # batch the model over the whole document once
        first = [recognize(t, known) for t in texts]
        doc_known = doc_known_from(first, texts, known)
        add_words(doc_known)
        return [recognize(t, doc_known) for t in texts]


def prepare_recognizers(texts: list[str]) -> None:
    """Let the recognizers that work in batches (the HanLP model) read ``texts`` at once; a later
    call on any of them is then answered from their cache."""
    for layer in RECOGNIZERS:
        if hasattr(layer, "prepare"):
            layer.prepare(texts)


_TYPE_TAG = {"REGION": "ns", "PERSON": "nr", "INDUSTRY": "n"}


def add_words(known: KnownEntities) -> None:
    """Make confirmed names single jieba words (青溪 in 青溪郊野公园) until the document is done."""
    for form in [*known.types, *known.aliases]:
        if 2 <= len(form) <= 12:
            segmenter().add_word(form, _TYPE_TAG.get(known.type_of(form) or "", "nt"))
