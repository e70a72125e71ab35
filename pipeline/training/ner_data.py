"""Training and evaluation data for the statistical NER model: public corpora mapped onto our types.

Every reader yields ``Sentence`` objects: the characters and a list of ``(start, end, type)`` spans
(end exclusive) in **our** ontology types. The label mapping is the table below (also in
``models/ner/MODEL_CARD.md``); organisation labels that carry no finer type (MSRA ``ORG``, Weibo
``ORG.NAM``, Resume ``ORG``) are typed by their head word with ``org_type``.

=====================  ==========================================================================
corpus label           our type
=====================  ==========================================================================
CLUENER name           PERSON
CLUENER company        ENTERPRISE (PARTY_ORG if it ends in a party-organisation word)
CLUENER government     GOV_ORG (PARTY_ORG if it ends in a party-organisation word)
CLUENER organization   INSTITUTION (ALLIANCE for 联盟/联合体/共同体, PARTY_ORG for party endings)
CLUENER address        REGION (ZONE if it ends in a zone word)
CLUENER position, scene, book, game, movie     O (not an ontology type)
MSRA / People's Daily  PER -> PERSON, LOC -> REGION (ZONE by head), ORG -> ``org_type``
Resume                 NAME -> PERSON, ORG -> ``org_type`` (default ENTERPRISE), LOC -> REGION;
                       TITLE, EDU, PRO, CONT, RACE -> O
Weibo                  PER.NAM -> PERSON, ORG.NAM -> ``org_type``, GPE.NAM and LOC.NAM -> REGION;
                       nominal mentions (*.NOM) -> O
silver (in-domain)     the rule layers' own spans, INDUSTRY left out
CCTV hand-corrected    our types as written (``models/ner/cctv_annotations.jsonl``): the rule spans
                       of each CCTV sentence reviewed by hand, misses added, errors removed
=====================  ==========================================================================

The hand-corrected CCTV labels are the in-domain test of ``kb eval --compare``: every fourth item
(``is_held_out``). ``in_domain_sentences`` can also serve them for training (hand labels where a
sentence has one, silver where not); the committed model was trained before they existed, on the
rules' silver labels of all 80 items, so on the held-out items it has seen the rules' labels.

``to_cluener`` and ``to_msra`` map our types back for scoring on those corpora.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..extract.entities import RULE_RECOGNIZERS, base_recognize_document, using_layers
from ..ner_labels import (
    ALLIANCE_END,
    MODEL_TYPES,
    PARTY_END,
    location_type,
    org_type,
    spans_to_tags,
    split_sentences,
    tags_to_spans,
)
from ..normalize import fold_width
from ..resources import models_dir
from ..stages import prepare_text

CLUENER_TO_OURS = {
    "name": "PERSON",
    "company": "ENTERPRISE",
    "government": "GOV_ORG",
    "organization": "INSTITUTION",
    "address": "REGION",
}
# Scoring on CLUENER maps our types back (the mapping).
OURS_TO_CLUENER = {
    "PERSON": "name",
    "ENTERPRISE": "company",
    "GOV_ORG": "government",
    "PARTY_ORG": "government",
    "INSTITUTION": "organization",
    "ALLIANCE": "organization",
    "REGION": "address",
    "ZONE": "address",
}
OURS_TO_MSRA = {
    "PERSON": "PER",
    "REGION": "LOC",
    "ZONE": "LOC",
    "ENTERPRISE": "ORG",
    "GOV_ORG": "ORG",
    "PARTY_ORG": "ORG",
    "INSTITUTION": "ORG",
    "ALLIANCE": "ORG",
}
CLUENER_EVAL_LABELS = ("company", "government", "organization", "name")


@dataclass
class Sentence:
    """One training or evaluation sentence: its characters and entity spans ``(start, end, type)``."""

    chars: list[str]
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    source: str = ""

    @property
    def text(self) -> str:
        return "".join(self.chars)


# --------------------------------------------------------------------------- readers


def _conll_sentences(path: Path, sep: str | None) -> Iterator[list[tuple[str, str]]]:
    rows: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if rows:
                yield rows
            rows = []
            continue
        cells = line.split(sep) if sep else line.split()
        if len(cells) >= 2:
            rows.append((cells[0], cells[-1]))
    if rows:
        yield rows


def _mapped(chars: list[str], spans: list[tuple[int, int, str]], source: str, mapper) -> Sentence:
    out = []
    for s, e, label in spans:
        t = mapper("".join(chars[s:e]), label)
        if t:
            out.append((s, e, t))
    return Sentence(chars, out, source)


def _coarse(surface: str, label: str, org_default: str = "INSTITUTION") -> str | None:
    if label in ("PER", "PER.NAM", "NAME"):
        return "PERSON"
    if label in ("LOC", "GPE.NAM", "LOC.NAM", "GPE"):
        return location_type(surface)
    if label in ("ORG", "ORG.NAM"):
        return org_type(surface, org_default)
    return None


def read_bio(
    path: str | Path, source: str, sep: str | None = None, org_default: str = "INSTITUTION", ours: bool = True
) -> list[Sentence]:
    """A CoNLL file of ``char tag`` lines (MSRA test, People's Daily, Resume BMES, Weibo).
    ``ours=False`` keeps the corpus's own labels (for scoring)."""
    out = []
    for rows in _conll_sentences(Path(path), sep):
        chars = [c[0] if c else c for c, _ in rows]  # Weibo glues a segment index to the char: 一0
        spans = tags_to_spans([t for _, t in rows])
        out.append(
            _mapped(chars, spans, source, lambda s, label: _coarse(s, label, org_default))
            if ours
            else Sentence(chars, spans, source)
        )
    return out


def read_msra_lines(sentences: str | Path, tags: str | Path, source: str = "msra-val") -> list[Sentence]:
    """MSRA validation: one sentence per line as space-separated characters, a parallel file of tags."""
    out = []
    for sline, tline in zip(
        Path(sentences).read_text(encoding="utf-8").splitlines(),
        Path(tags).read_text(encoding="utf-8").splitlines(),
        strict=False,
    ):
        chars, tg = sline.split(), tline.split()
        if chars and len(chars) == len(tg):
            out.append(_mapped(chars, tags_to_spans(tg), source, _coarse))
    return out


def cluener_type(surface: str, label: str) -> str | None:
    """Our type for a CLUENER label (see the module table)."""
    base = CLUENER_TO_OURS.get(label)
    if base is None:
        return None
    if base in ("ENTERPRISE", "GOV_ORG", "INSTITUTION") and PARTY_END.search(surface):
        return "PARTY_ORG"
    if base == "INSTITUTION" and ALLIANCE_END.search(surface):
        return "ALLIANCE"
    if base == "REGION":
        return location_type(surface)
    return base


def read_cluener(path: str | Path, source: str = "cluener", ours: bool = True) -> list[Sentence]:
    """CLUENER2020 jsonl. ``ours=False`` keeps CLUENER's own labels (for scoring)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        chars = list(d["text"])
        spans = []
        for label, surfaces in (d.get("label") or {}).items():
            for surface, positions in surfaces.items():
                for s, e in positions:
                    t = cluener_type(surface, label) if ours else label
                    if t:
                        spans.append((s, e + 1, t))
        out.append(Sentence(chars, spans, source))
    return out


# --------------------------------------------------------------------------- silver labels


def silver_sentences(texts: Iterable[str], source: str = "silver", layers: list | None = None) -> list[Sentence]:
    """Sentences labelled by the rule layers (``pipeline.extract`` entity stage), INDUSTRY dropped.

    Each text is one document (cleaned, deduplicated, both passes of ``recognize_document``);
    ``layers`` replaces the rule layers (to label the same sentences with another system)."""
    out = []
    for text in texts:
        doc = prepare_text(text, source=source)
        paras = [p.text for p in doc.paragraphs if p.duplicate_of is None]
        with using_layers(RULE_RECOGNIZERS if layers is None else layers):
            found = base_recognize_document(paras)  # the layers alone: not the CRF trained on top of them
        for para, spans in zip(paras, found, strict=False):
            for off, sent in split_sentences(para):
                inside = [
                    (s.start - off, s.end - off, s.type)
                    for s in spans
                    if s.start >= off and s.end <= off + len(sent) and s.type in MODEL_TYPES
                ]
                if sent.strip():
                    out.append(Sentence(list(sent), inside, source))
    return out


# --------------------------------------------------------------------------- hand-corrected in-domain labels

CCTV_ITEMS = Path("cctv_xwlb_domain_subset") / "dev.jsonl"
ANNOTATIONS = models_dir() / "ner" / "cctv_annotations.jsonl"


def is_held_out(index: int) -> bool:
    """Every fourth CCTV item (by position in dev.jsonl) is the in-domain test set, never trained on."""
    return index % 4 == 0


def sentence_key(item_id: str, text: str) -> tuple[str, str]:
    """How an annotation finds its sentence: the item id and a digest of the sentence text (the text
    itself is not copied into the repository; a sentence whose cleaning changed no longer matches)."""
    return item_id, hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def load_annotations(path: str | Path = ANNOTATIONS) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """``{(item id, digest): [(surface, type), ...]}`` from the annotation file ({} when absent)."""
    path = Path(path)
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[(row["id"], row["sha1"])] = [(surface, t) for surface, t in row["entities"]]
    return out


def spans_from_surfaces(text: str, entities: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Every occurrence of each annotated surface, longest first, none overlapping (湖北省委组织部 keeps
    its 湖北省 inside it)."""
    taken = [False] * len(text)
    spans = []
    for surface, t in sorted(set(entities), key=lambda e: -len(e[0])):
        if not surface or t not in MODEL_TYPES:
            continue
        start = text.find(surface)
        while start >= 0:
            end = start + len(surface)
            if not any(taken[start:end]):
                spans.append((start, end, t))
                taken[start:end] = [True] * len(surface)
            start = text.find(surface, start + 1)
    return sorted(spans)


def cctv_items(data_dir: str | Path) -> list[tuple[int, str, str]]:
    """``(index, id, text)`` of the in-domain CCTV items ([] when the file is absent)."""
    path = Path(data_dir) / CCTV_ITEMS
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(i, row["id"], row["text"]) for i, row in enumerate(rows)]


def in_domain_sentences(
    items: Iterable[tuple[int, str, str]], annotations: dict[tuple[str, str], list[tuple[str, str]]] | None = None
) -> list[Sentence]:
    """The items' sentences, labelled by hand where ``annotations`` has the sentence (source
    ``cctv-gold``) and by the rules where it has not (``silver``)."""
    annotations = load_annotations() if annotations is None else annotations
    out = []
    for _, item_id, text in items:
        for sent in silver_sentences([text]):
            hand = annotations.get(sentence_key(item_id, sent.text))
            if hand is not None:
                sent = Sentence(sent.chars, spans_from_surfaces(sent.text, hand), "cctv-gold")
            out.append(sent)
    return out


# --------------------------------------------------------------------------- corpus assembly


def strip_spaces(sent: Sentence) -> Sentence:
    """Drop whitespace characters (the TSV format cannot hold them), shifting spans; fold full width."""
    keep = [i for i, c in enumerate(sent.chars) if c.strip()]
    index = {old: new for new, old in enumerate(keep)}
    spans = []
    for s, e, t in sent.spans:
        inside = [index[i] for i in range(s, e) if i in index]
        if inside:
            spans.append((inside[0], inside[-1] + 1, t))
    chars = [sent.chars[i] for i in keep]
    # The model sees text as the normalize stage leaves it: full-width Latin and digits folded.
    folded, _ = fold_width("".join(chars), list(range(len(chars))))
    if len(folded) == len(chars):
        chars = list(folded)
    return Sentence(chars, spans, sent.source)


def cut_long(sent: Sentence, max_len: int = 150) -> list[Sentence]:
    """Split at sentence ends (and hard at ``max_len``), never inside an entity."""
    if len(sent.chars) <= max_len:
        return [sent]
    inside: set[int] = set()
    for s, e, _ in sent.spans:
        inside.update(range(s + 1, e))
    cuts, last = [], 0
    for i, c in enumerate(sent.chars):
        if i - last >= max_len and i not in inside:
            cuts.append(i)
            last = i
        elif c in "。！？；" and i + 1 - last >= 20 and i + 1 not in inside:
            cuts.append(i + 1)
            last = i + 1
    out, prev = [], 0
    for cut in cuts + [len(sent.chars)]:
        if cut > prev:
            out.append(
                Sentence(
                    sent.chars[prev:cut],
                    [(s - prev, e - prev, t) for s, e, t in sent.spans if s >= prev and e <= cut],
                    sent.source,
                )
            )
        prev = cut
    return out


def write_tsv(sentences: Iterable[Sentence], path: str | Path) -> int:
    """Write HanLP's TSV tagging format (``char<TAB>tag``, blank line between sentences)."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for sent in sentences:
            sent = strip_spaces(sent)
            for piece in cut_long(sent):
                if not piece.chars:
                    continue
                for c, t in zip(piece.chars, spans_to_tags(len(piece.chars), piece.spans), strict=False):
                    f.write(f"{c}\t{t}\n")
                f.write("\n")
                n += 1
    return n


def training_corpus(data_dir: str | Path, silver_texts: Iterable[str] = (), seed: int = 13) -> list[Sentence]:
    """All training sentences from ``data_dir`` (the shared data folder), shuffled deterministically."""
    d = Path(data_dir)
    sents = read_cluener(d / "cluener2020/train.jsonl", "cluener-train")
    sents += read_msra_lines(d / "msra_ner/val_sentences.txt", d / "msra_ner/val_tags.txt")
    sents += read_bio(d / "peoples_daily_ner/example.dev", "peoples-daily-dev")
    sents += read_bio(d / "resume_ner/train.char.bmes", "resume-train", org_default="ENTERPRISE")
    sents += read_bio(d / "weibo_ner/weiboNER_2nd_conll.train", "weibo-train", sep="\t")
    silver = silver_sentences(silver_texts) if silver_texts else []
    sents += silver
    random.Random(seed).shuffle(sents)
    return sents


def required_files(data_dir: str | Path) -> list[Path]:
    """The files ``training_corpus`` reads (to say clearly which are missing)."""
    d = Path(data_dir)
    return [
        d / "cluener2020/train.jsonl",
        d / "msra_ner/val_sentences.txt",
        d / "msra_ner/val_tags.txt",
        d / "peoples_daily_ner/example.dev",
        d / "resume_ner/train.char.bmes",
        d / "weibo_ner/weiboNER_2nd_conll.train",
    ]
