"""A learned entity recognizer for all nine types: a linear-chain CRF over characters (CRFsuite).

The rules and the HanLP model are its *inputs*, not its final word (issue 17): each character
carries features of its context (characters and bigrams around it), of jieba's segmentation (word
boundary, part of speech), of the region gazetteer, and the BIO tags of what the base recognizers
found (``sys``: the rules merged with the model, ``mdl``: the HanLP model's raw spans). The CRF,
trained on the project's annotated in-domain corpus (``models/annotations``), learns when to trust
them, where their boundaries are wrong and what they miss.

    python -m pipeline.training.entity_crf train [--pool PATH] [--out models/entity_crf]   (make train)
    python -m pipeline.training.entity_crf curve                                            (make eval)

Inference: :class:`EntityCRF` tags a document's paragraphs; within a document every surface keeps
one type (the most frequent), as an annotator writes each entity once. :func:`recognize_document`
is the entity stage's answer: the base recognizers (:mod:`pipeline.extract.entities`), then the CRF over
their spans.
"""

from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache
from pathlib import Path

from ...clusters import shipped_clusters
from ...document import Span
from ...genre import genre
from ...resources import resource
from ...segmenter import segmenter
from . import base_recognize_document, model_spans_of
from .known import KnownEntities
from .lexicons import surnames
from .tokens import analyze

MODEL_FILE = "model.crfsuite"
# The same CRF without the base recognizers' tags as features: the "learned only" row of make eval.
LEARNED_ONLY_FILE = "learned_only.crfsuite"


def _bio(n: int, spans: list[tuple[int, int, str]], prefix: str = "") -> list[str]:
    tags = ["O"] * n
    for start, end, type_ in spans:
        if 0 <= start < end <= n:
            tags[start] = f"B-{prefix}{type_}"
            for i in range(start + 1, end):
                tags[i] = f"I-{prefix}{type_}"
    return tags


def _char_class(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff":
        return "han"
    if ch.isdigit():
        return "digit"
    if ch.isascii() and ch.isalpha():
        return "latin"
    return "punct" if not ch.isspace() else "space"


def features(
    text: str,
    base: list[Span] | None,
    model: list[Span] | None,
    known: KnownNames | None = None,
    own: frozenset[str] = frozenset(),
) -> list[list[str]]:
    """The CRF's features for every character of one paragraph.

    ``base`` are the spans the rules and the model agreed on (the system without the CRF), ``model``
    the HanLP model's raw spans; both None for the learned-only model. Segmentation and gazetteer
    matches come from ``entities.tokens.analyze`` (remembered: the rules cut the paragraph already). ``known`` are
    the names the training documents annotate (:class:`KnownNames`), matched as BIO tags; ``own`` the
    names of the document itself when it is one of those training documents (left out of its count).
    """
    n = len(text)
    toks, regions = analyze(text)
    seg, pos, word = ["S"] * n, ["x"] * n, [""] * n
    for t in toks:
        for i in range(t.start, t.end):
            seg[i] = "S" if t.end - t.start == 1 else "B" if i == t.start else "E" if i == t.end - 1 else "M"
            pos[i], word[i] = t.pos, t.word
    gaz = _bio(n, [(s, e, r.level) for s, e, r in regions])
    use_base = base is not None
    sys_tags = _bio(n, [(s.start, s.end, s.type) for s in base or []])
    mdl_tags = _bio(n, [(s.start, s.end, s.type) for s in model or []])
    known_tags = known.tags(text, own) if known is not None else None
    names = surnames()
    padded = "\x02\x02" + text + "\x03\x03"
    clusters = _cluster_feature_rows(padded, word)
    out = []
    for i in range(n):
        c = text[i]
        p1, p2, n1, n2 = padded[i + 1], padded[i], padded[i + 3], padded[i + 4]
        f = [
            "bias",
            f"c={c}",
            f"c-1={p1}",
            f"c+1={n1}",
            f"c-2={p2}",
            f"c+2={n2}",
            f"b-1={p1}{c}",
            f"b+1={c}{n1}",
            f"t={p1}{c}{n1}",
            f"cls={_char_class(c)}",
            f"seg={seg[i]}",
            f"pos={pos[i]}",
            f"segpos={seg[i]}{pos[i]}",
            f"gaz={gaz[i]}",
        ]
        f += clusters[i]
        if known_tags is not None:
            f.append(f"kn={known_tags[i]}")
        if use_base:
            f += [
                f"sys={sys_tags[i]}",
                f"mdl={mdl_tags[i]}",
                f"sysmdl={sys_tags[i]}|{mdl_tags[i]}",
                f"sys-1={sys_tags[i - 1] if i else 'BOS'}",
                f"sys+1={sys_tags[i + 1] if i + 1 < n else 'EOS'}",
            ]
        if len(word[i]) <= 6:
            f.append(f"w={word[i]}")
        if seg[i] in ("E", "S"):
            f.append(f"wend={word[i][-2:]}")  # the head of the word ending here (公司, 党委, 园区)
        if seg[i] in ("B", "S") and c in names:
            f.append("surname")
        out.append(f)
    return out


KNOWN_FILE = "known.tsv"
#: A name counts as known when at least this many training documents annotate it (for a training
#: document, not counting itself: the feature must be as reliable in training as on new text).
KNOWN_MIN_DOCS = 2
KNOWN_MAX_LEN = 16


class KnownNames:
    """The names (and aliases) the annotated training documents record, with their most frequent
    type and the number of documents that record them: the "known entities" lexicon feature.

    Built by ``python -m pipeline.training.entity_crf train`` from the train split alone and shipped beside the
    model (``models/entity_crf/known.tsv``: name, type, documents). A model is used with the lexicon it
    was trained with.
    """

    def __init__(self, entries: dict[str, tuple[str, int]]):
        self.entries = entries
        # first character -> the longest name starting with it: the lengths worth looking up
        self._longest: dict[str, int] = {}
        for form in entries:
            if len(form) <= KNOWN_MAX_LEN:
                self._longest[form[0]] = max(self._longest.get(form[0], 0), len(form))

    @classmethod
    def from_records(cls, records: dict[str, dict]) -> KnownNames:
        """The lexicon of annotation records (``{doc: record}``)."""
        types: dict[str, Counter] = {}
        for record in records.values():
            for form, type_ in record_forms(record).items():
                types.setdefault(form, Counter())[type_] += 1
        return cls({form: (c.most_common(1)[0][0], sum(c.values())) for form, c in types.items()})

    @classmethod
    def load(cls, path: Path) -> KnownNames | None:
        """The lexicon in ``path`` (a ``known.tsv``), or None when the file is not there."""
        if not path.exists():
            return None
        entries = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            form, type_, docs = line.split("\t")
            entries[form] = (type_, int(docs))
        return cls(entries)

    def save(self, path: Path) -> None:
        """Write the names recorded by at least ``KNOWN_MIN_DOCS`` documents (the others never count)."""
        rows = sorted((f, t, d) for f, (t, d) in self.entries.items() if d >= KNOWN_MIN_DOCS)
        path.write_text("".join(f"{f}\t{t}\t{d}\n" for f, t, d in rows), encoding="utf-8")

    def tags(self, text: str, own: frozenset[str] = frozenset()) -> list[str]:
        """BIO tags of the known names in ``text``, longest match first, left to right."""
        spans, i, n = [], 0, len(text)
        longest = self._longest
        while i < n:
            for length in range(min(longest.get(text[i], 0), n - i), 1, -1):
                entry = self.entries.get(text[i : i + length])
                if entry and entry[1] - (text[i : i + length] in own) >= KNOWN_MIN_DOCS:
                    spans.append((i, i + length, entry[0]))
                    i += length
                    break
            else:
                i += 1
        return _bio(n, spans)


def record_forms(record: dict) -> dict[str, str]:
    """Every name and alias of an annotation record (two characters or more) with its type."""
    return {
        form: e["type"]
        for e in record.get("entities", [])
        for form in [e["name"], *(e.get("aliases") or [])]
        if len(form) >= 2
    }


def cluster_features(c: str, before: str, after: str, word: str) -> list[str]:
    """Cluster ids (``pipeline.clusters``, learned on the unlabelled pool) of the character, its
    neighbours, the bigrams either side and jieba's word: what a string the annotations never
    showed has in common with the ones they did. One character's row of :func:`_cluster_feature_rows`."""
    return _cluster_feature_rows(f"\x02{before}{c}{after}\x03", [word])[0]


def _cluster_feature_rows(padded: str, word: list[str]) -> list[list[str]]:
    """:func:`cluster_features` of every character of a padded paragraph (two marks either side; ``word``
    jieba's word at each character), each character, bigram and word looked up once rather than
    once per feature that names it."""
    table = shipped_clusters().table
    chars = [table.get(("c", ch)) for ch in padded]
    bigrams = [table.get(("b", padded[j : j + 2])) for j in range(len(padded) - 1)]
    words: dict[str, tuple[str, str] | None] = {}
    rows = []
    for i, w in enumerate(word):
        row = []
        for name, ids, fine in (
            ("cc", chars[i + 2], True),
            ("cc-1", chars[i + 1], False),
            ("cc+1", chars[i + 3], False),
            ("bc-1", bigrams[i + 1], True),
            ("bc+1", bigrams[i + 2], True),
        ):
            if ids is not None:
                row.append(f"{name}={ids[1] if fine else ids[0]}")
        if w not in words:
            words[w] = table.get(("w", w))
        ids = words[w]
        if ids is not None:
            row += [f"wc={ids[1]}", f"wcc={ids[0]}"]
        rows.append(row)
    return rows


def labels(text: str, gold: list[tuple[int, int, str]]) -> list[str]:
    """BIO labels of one paragraph from gold ``(start, end, type)`` spans."""
    return _bio(len(text), gold)


def spans_from_tags(text: str, tags: list[str], marginal=None) -> list[Span]:
    """Spans from BIO tags (an I- without its B- starts a span); confidence the lowest marginal."""
    spans: list[Span] = []
    current: tuple[int, str] | None = None  # (start, type) of the span being read
    for i, tag in enumerate([*tags, "O"]):
        inside = current is not None and tag.startswith("I-") and current[1] == tag[2:]
        if current is not None and not inside:
            start, type_ = current
            conf = min(marginal(tags[j], j) for j in range(start, i)) if marginal else 1.0
            spans.append(Span(start, i, text[start:i], type_, source="crf", confidence=round(conf, 3)))
            current = None
        if tag.startswith(("B-", "I-")) and not inside:
            current = (i, tag[2:])
    return spans


def one_type_per_surface(spans_per_text: list[list[Span]]) -> None:
    """Within a document a surface keeps its most frequent type (ties: the most confident)."""
    votes: dict[str, dict[str, float]] = {}
    for spans in spans_per_text:
        for s in spans:
            by_type = votes.setdefault(s.text, {})
            by_type[s.type] = by_type.get(s.type, 0) + 1 + s.confidence / 10
    for spans in spans_per_text:
        for s in spans:
            by_type = votes[s.text]
            s.type = max(by_type, key=by_type.__getitem__)  # equal weights: the type seen first


class EntityCRF:
    """The trained CRF (``models/entity_crf/model.crfsuite``); ``tag`` one paragraph, with features."""

    name = "crf"

    def __init__(self, path: str | Path | None = None):
        import pycrfsuite

        self.path = Path(path) if path else resource("entity_crf", MODEL_FILE)
        self.learned_only = self.path.name == LEARNED_ONLY_FILE
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(self.path))
        self.known = KnownNames.load(self.path.with_name(KNOWN_FILE))

    def tag(self, text: str, base: list[Span], model: list[Span]) -> list[Span]:
        """Entity spans of one paragraph (offsets into ``text``); the learned-only model ignores
        ``base`` and ``model``."""
        if not text:
            return []
        tags = self.tagger.tag(
            features(text, None, None) if self.learned_only else features(text, base, model, self.known)
        )
        return spans_from_tags(text, tags, self.tagger.marginal)


@lru_cache(maxsize=2)
def shipped_model(learned_only: bool = False) -> EntityCRF:
    """A model that ships in ``models/entity_crf`` (loaded once per process)."""
    return EntityCRF(resource("entity_crf", LEARNED_ONLY_FILE if learned_only else MODEL_FILE))


# --------------------------------------------------------------------------- the entity stage


def recognize_document(texts: list[str], known: KnownEntities | None = None) -> list[list[Span]]:
    """Recognize entities in all paragraphs of one document: the base recognizers (rules and the
    HanLP model, :func:`base_recognize_document`), then the learned CRF that reads their output as
    features (:class:`EntityCRF`), whose spans are the answer. In the newsletter genre, or with
    ``KB_ENTITY_CRF=off``, the base recognizers' spans are the answer. Returns one span list per
    input text, offsets into that text."""
    base = base_recognize_document(texts, known) if entity_crf_mode() != "learned-only" else None
    with segmenter().scope():
        return learned_spans(texts, base)


def learned_spans(texts: list[str], base: list[list[Span]] | None) -> list[list[Span]]:
    """The second half of :func:`recognize_document`: the CRF over the base recognizers' spans
    (``base``; None in ``learned-only`` mode), or ``base`` itself when the CRF is off. Call it inside
    a ``Segmenter.scope`` opened after the base recognizers' (``pipeline.extract`` keeps that scope open
    for resolution, relations and metrics, which cut with the same words forced in)."""
    mode = entity_crf_mode()
    if mode == "learned-only":  # the CRF alone, on characters, segmentation and the gazetteer
        learned = [shipped_model(learned_only=True).tag(text, [], []) for text in texts]
    elif base is None:
        raise ValueError(f"KB_ENTITY_CRF={mode} needs the base recognizers' spans")
    elif mode == "off":
        return base
    else:
        learned = [
            shipped_model().tag(text, spans, model_spans_of(text)) for text, spans in zip(texts, base, strict=False)
        ]
    one_type_per_surface(learned)
    return learned


def entity_crf_mode() -> str:
    """``KB_ENTITY_CRF``: ``on`` (the CRF over the base recognizers' output), ``off`` (the base
    recognizers alone) or ``learned-only`` (the CRF without them), for side-by-side scores. Unset, the
    genre decides: ``on`` for news, ``off`` for newsletters. The CRF is trained on news items; on the
    seed newsletters it costs entity F1 (0.875 without it, 0.853 with it and the rules' trusted
    names put first) and relation F1 (0.796 against 0.702): README, "Genres"."""
    value = os.environ.get("KB_ENTITY_CRF", "").strip().lower()
    if value in ("off", "0", "no", "false"):
        return "off"
    if value == "learned-only":
        return value
    if value in ("on", "1", "yes", "true"):
        return "on"
    return "off" if genre() == "newsletter" else "on"
