"""The statistical NER model's labels: its types, typing by head word, tags and spans, sentences.

What the model needs at runtime (:mod:`pipeline.ner_model`) and its training data shares
(:mod:`pipeline.training.ner_data`): the types it labels, the type of an organisation or place
name from its head word, IOBES/BIO tags to spans and back, and how a paragraph is cut into the
sentences the model reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .resources import word_groups

# The model's label set: the ontology types a sequence labeller can learn from the public data.
# INDUSTRY has no counterpart in any public corpus and stays with the rules.
MODEL_TYPES = ("PERSON", "ENTERPRISE", "GOV_ORG", "PARTY_ORG", "INSTITUTION", "ALLIANCE", "REGION", "ZONE")

# Last words that type an organisation name (ner_type_heads.txt): 有限公司 -> ENTERPRISE, 研究所 -> INSTITUTION.
_TYPE_HEADS = word_groups("ner_type_heads.txt")


def _ends_in(type_: str) -> re.Pattern:
    """A regex for a name that ends in one of ``type_``'s head words."""
    return re.compile("(?:" + "|".join(map(re.escape, _TYPE_HEADS[type_])) + ")$")


PARTY_END = _ends_in("PARTY_ORG")
ALLIANCE_END = _ends_in("ALLIANCE")
ZONE_END = _ends_in("ZONE")
ENTERPRISE_END = _ends_in("ENTERPRISE")
INSTITUTION_END = _ends_in("INSTITUTION")
GOV_END = _ends_in("GOV_ORG")


def org_type(surface: str, default: str = "INSTITUTION") -> str:
    """Our type for an organisation name that a corpus labels only ``ORG``, by its head word.

    >>> org_type("中共上海市委"), org_type("上海侨好食品有限公司"), org_type("北京大学")
    ('GOV_ORG', 'ENTERPRISE', 'INSTITUTION')
    """
    if PARTY_END.search(surface):
        return "PARTY_ORG"
    if ALLIANCE_END.search(surface):
        return "ALLIANCE"
    if ZONE_END.search(surface):
        return "ZONE"
    if ENTERPRISE_END.search(surface):
        return "ENTERPRISE"
    # 研究所, 派出所: the research institute is an institution, the police station a body.
    if INSTITUTION_END.search(surface):
        return "INSTITUTION"
    if GOV_END.search(surface) or re.match(r"(?:中共|中国共产党)", surface):
        return "GOV_ORG"
    return default


def location_type(surface: str) -> str:
    """REGION, or ZONE for a park, development zone or building."""
    return "ZONE" if ZONE_END.search(surface) else "REGION"


# --------------------------------------------------------------------------- tag conversion


def spans_to_tags(n: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """IOBES tags for ``n`` characters; overlapping spans keep the first (longest-first is the caller's job)."""
    tags = ["O"] * n
    for s, e, t in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
        if s < 0 or e > n or e <= s or any(tags[i] != "O" for i in range(s, e)):
            continue
        if e - s == 1:
            tags[s] = f"S-{t}"
        else:
            tags[s] = f"B-{t}"
            for i in range(s + 1, e - 1):
                tags[i] = f"I-{t}"
            tags[e - 1] = f"E-{t}"
    return tags


def tags_to_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Spans from BIO, BMES or IOBES tags (``M-`` is ``I-``); a broken chunk ends where its type changes."""
    spans: list[tuple[int, int, str]] = []
    start, type_ = None, ""
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, t = tag.partition("-")
        prefix = "I" if prefix == "M" else prefix
        if start is not None and (prefix in ("O", "B", "S") or t != type_):
            spans.append((start, i, type_))
            start, type_ = None, ""
        if prefix in ("B", "S") or (prefix in ("I", "E") and start is None and t):
            start, type_ = i, t
        if prefix in ("E", "S") and start is not None:
            spans.append((start, i + 1, type_))
            start, type_ = None, ""
    return spans


SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def split_sentences(text: str, max_len: int = 150) -> list[tuple[int, str]]:
    """``(offset, sentence)`` pieces of a paragraph, cut after 。！？； and at most ``max_len`` chars."""
    out, pos = [], 0
    for piece in SENTENCE_END.split(text):
        while piece:
            chunk = piece[:max_len]
            out.append((pos, chunk))
            pos += len(chunk)
            piece = piece[max_len:]
    return out
