"""The statistical model as a layer: its spans that look like names, by the domain's thresholds."""

from __future__ import annotations

import os
import re

from ... import ner_labels
from ...document import Span
from .boundary import ACTION_WORDS, GENERIC_PREFIX_WORDS, STOP_WORDS, _is_number_word
from .known import Recognizer
from .organizations import _HEAD_TYPE, HEAD_BLOCKERS, SuffixOrgRecognizer, _heads, _heads_longest_first
from .tokens import analyze

# How the default extraction merges the model (measured in README "The statistical model"). In
# party-building text the rules know the vocabulary and the model, trained mostly on other genres,
# is far less precise than they are: only spans it is nearly sure of are added. Elsewhere (a general
# news item, a company report) the rules know little and the model leads.
DOMAIN_WORDS = re.compile(r"党建|党委|党支部|党总支|党工委|党组织|党员")
MODEL_MIN_CONFIDENCE = 0.85  # in documents with the domain's vocabulary
MODEL_MIN_CONFIDENCE_ELSEWHERE = 0.5  # in documents without it
# The model's types (ner_labels.MODEL_TYPES, the one list) but divisions and zones: the gazetteer and
# the rules find those.
MODEL_TYPES = tuple(t for t in ner_labels.MODEL_TYPES if t not in ("REGION", "ZONE"))
GENERIC_BODY_ENDINGS = ("部门", "单位", "机构", "方面")
NOT_NAME_START = ("d", "p", "c", "u", "r", "m", "q", "f", "y", "e", "o", "ul", "uj")  # not verbs: 招商银行


def looks_like_name(text: str, span: Span) -> bool:
    """False for a model span that starts with a function word, pronoun or numeral (其他企业,
    各镇党委, 第一批…), whose head runs on into a longer word (工信部|门), or that is one generic
    word or a bare head (公司, 联盟)."""
    toks, _ = analyze(text)
    inside = [t for t in toks if span.start <= t.start < span.end]
    if not inside:
        return True
    first = inside[0]
    if first.start == span.start and (
        (first.pos.startswith(NOT_NAME_START) and first.pos != "eng")
        or first.word in STOP_WORDS
        or first.word in ACTION_WORDS
        or _is_number_word(first.word)
    ):
        return False
    surface = text[span.start : span.end]
    following = text[span.end : span.end + 1]
    # The head is part of a longer word (宁德市工信部|门 is the department in general): the rules' own test.
    if following and any(surface.endswith(head) and following in blockers for head, blockers in HEAD_BLOCKERS.items()):
        return False
    if surface.endswith(GENERIC_BODY_ENDINGS):  # 工信部门, 相关单位: departments in general, not one body
        return False
    _heads()
    return not (surface in GENERIC_PREFIX_WORDS or surface in _HEAD_TYPE or surface in STOP_WORDS)


class ModelLayer:
    """The statistical model as one layer of the extraction stage (``RECOGNIZERS``).

    Wraps a ``ModelRecognizer`` and keeps the spans worth merging: of ``MODEL_TYPES``, passing
    ``looks_like_name``, and either ending in an organisation head of their own type
    (``ends_in_own_head``) or of confidence at least ``MODEL_MIN_CONFIDENCE`` in a document that uses
    the domain's vocabulary (``DOMAIN_WORDS``), ``MODEL_MIN_CONFIDENCE_ELSEWHERE`` in one that does
    not. ``KB_NER_MIN_CONFIDENCE`` sets one threshold for both.
    """

    name = "model"
    fills_gaps = True

    def __init__(self, model, in_domain: float | None = None, elsewhere: float | None = None):
        self.model = model
        fixed = os.environ.get("KB_NER_MIN_CONFIDENCE")
        self.in_domain = in_domain if in_domain is not None else float(fixed or MODEL_MIN_CONFIDENCE)
        self.elsewhere = elsewhere if elsewhere is not None else float(fixed or MODEL_MIN_CONFIDENCE_ELSEWHERE)
        self._domain: dict[str, bool] = {}

    def prepare(self, texts: list[str]) -> None:
        """Predict a document's paragraphs in one batch and note whether it is in the domain."""
        self.model.prepare(texts)
        flag = any(DOMAIN_WORDS.search(t) for t in texts)
        self._domain = {t: flag for t in texts}

    def threshold(self, text: str) -> float:
        in_domain = self._domain.get(text)
        if in_domain is None:  # a paragraph recognized on its own
            in_domain = bool(DOMAIN_WORDS.search(text))
        return self.in_domain if in_domain else self.elsewhere

    def __call__(self, text: str) -> list[Span]:
        threshold = self.threshold(text)
        return [
            s
            for s in self.model(text)
            if s.type in MODEL_TYPES
            and (s.confidence >= threshold or ends_in_own_head(text, s))
            and looks_like_name(text, s)
        ]


def ends_in_own_head(text: str, span: Span) -> bool:
    """True for a model span that ends in an organisation head of its own type (``ORG_HEADS``) after
    a name of two characters or more that is not a generic word, that joins no two phrases with a
    conjunction (街道社区|和|发展公司), and that the suffix rules' own tests do not rule out with
    the model's left boundary (``SuffixOrgRecognizer.rejects``: 江苏工信部, 这家锂电池公司). Whether
    the words before the head make a name is the model's call, not the rules' (滨江路商圈党建联盟,
    where jieba may see only common words).

    The merge keeps such a span whatever its confidence: the head is the rules' own evidence that a
    body is named there, and the model supplies the left boundary the rules could not find
    (杭州明远青少年活动中心, 滨江路商圈党建联盟)."""
    surface = text[span.start : span.end]
    head = next((h for h in _heads_longest_first() if surface.endswith(h)), None)
    if head is None or _HEAD_TYPE[head] != span.type:  # a sector head (…药业) is ENTERPRISE*: not here
        return False
    prefix = surface[: -len(head)]
    if len(prefix) < 2 or prefix in GENERIC_PREFIX_WORDS or prefix in STOP_WORDS:
        return False
    toks, _ = analyze(text)
    if any(t.pos == "c" and span.start < t.start < span.end for t in toks):
        return False
    return not SuffixOrgRecognizer.rejects(text, span.start, span.end - len(head), span.type, head)


def _model_layer() -> Recognizer:
    from ...ner_model import ModelRecognizer

    return ModelLayer(ModelRecognizer())
