"""A learned relation classifier over candidate entity pairs of a sentence.

Every ordered pair of entity mentions in one sentence (split at 。！？ and line ends, as the
annotations' evidence is) is a candidate. A pair is described by sparse, readable features: the two
types and their order, the distance, the characters between (bigrams, with other mentions replaced
by their type), trigger words of each predicate (the rules' vocabularies in
:mod:`pipeline.extract.relations.vocabulary`, plus the cue lists in ``models/lexicons/rel_cues.txt``), a
陪同 role around the subject, negation, list structure (A、B和C), a title between a person and an
organisation, administrative levels.
A multinomial logistic regression (scikit-learn, at training time only) gives a probability for
``NONE`` and for each predicate; a pair becomes a relation when a predicate's probability passes
that predicate's threshold, chosen on the dev split. The probability is the relation's confidence.

The model ships as ``models/relations/model.json`` (feature weights, classes, thresholds, allowed
type pairs) and is applied here in plain Python, so the runtime does not need scikit-learn.

    python -m pipeline.training.relation_model train [--data ../shared/data] [--out models/relations]
"""

from __future__ import annotations

import json
import math
import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ...document import Relation, Span
from ...genre import genre
from ...ontology import PREDICATES
from ...resources import resource
from . import vocabulary
from .sentences import _date_attr, admin_level

NONE = "NONE"
#: Predicates whose subject and object may be swapped (kb.evaluate scores them that way too).
SYMMETRIC = frozenset({"COOPERATES_WITH"})
SENTENCE_END = "。！？!?"
CLOSING = '”"’）)」』'
#: Candidate pairs farther apart than this (characters between) are not considered.
MAX_GAP = 150
#: Trigger vocabularies by feature name: the rules' lists (reused, not copied).
RULE_TRIGGERS = {
    "COOP": vocabulary.COOPERATION_TRIGGERS,
    "BUY": vocabulary.SUPPLY_BUY,
    "SELL": vocabulary.SUPPLY_SELL,
    "GOODS": vocabulary.GOODS,
    "SUPPORT": vocabulary.SUPPORT_TRIGGERS + vocabulary.SUPPORT_NOUNS,
    "ESTABLISH": vocabulary.ESTABLISH_TRIGGERS,
    "LEAD": vocabulary.LEAD_ROLES,
    "VISIT": vocabulary.VISIT_VERBS,
    "MOVE": vocabulary.VISIT_MOVES,
}
TITLE_SEARCH = re.compile(vocabulary.TITLE_RE)
LIST_GAP = re.compile(r"^(?:、|和|及|以及|与|同|或|，|,)$")
#: The pair are members of one list (A、B和C): only separators and other mentions between.
IN_LIST = re.compile(r"(?:、|和|及|以及|与|同|或|等|\[[A-Z]\])+")


# ---------------------------------------------------------------------------------------------
# Data: cue words, the model
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cue_words() -> dict[str, tuple[str, ...]]:
    """Trigger groups: the rules' vocabularies plus ``rel_cues.txt`` (NEG, ACCOMPANY, MEMBER, …)."""
    groups: dict[str, list[str]] = {k: list(v) for k, v in RULE_TRIGGERS.items()}
    with open(resource("lexicons", "rel_cues.txt"), encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or "\t" not in line:
                continue
            group, word = line.rstrip("\n").split("\t")
            groups.setdefault(group, []).append(word)
    return {k: tuple(sorted(set(v), key=len, reverse=True)) for k, v in groups.items()}


@lru_cache(maxsize=1)
def _cue_regexes() -> dict[str, re.Pattern]:
    return {k: re.compile("|".join(map(re.escape, words))) for k, words in cue_words().items()}


@dataclass
class Model:
    """Weights of a multinomial logistic regression over named binary features."""

    classes: list[str]
    weights: dict[str, list[float]]  # feature → one weight per class
    bias: list[float]
    thresholds: dict[str, float]  # predicate → minimal probability
    allowed: dict[str, list[list[str]]]  # predicate → [subject type, object type] seen in training
    info: dict

    def probabilities(self, features: Iterable[str]) -> list[float]:
        """Softmax over the classes for one candidate's features."""
        scores = list(self.bias)
        weights = self.weights
        for f in features:
            w = weights.get(f)
            if w is not None:  # the same additions in the same order as a loop over k, only faster
                scores = [s + x for s, x in zip(scores, w, strict=False)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def to_json(self) -> dict:
        return {
            "classes": self.classes,
            "bias": self.bias,
            "thresholds": self.thresholds,
            "allowed": self.allowed,
            "info": self.info,
            "weights": self.weights,
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        return cls(
            classes=data["classes"],
            weights=data["weights"],
            bias=data["bias"],
            thresholds=data["thresholds"],
            allowed=data["allowed"],
            info=data.get("info", {}),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=True), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path) -> Model:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    """The committed model (``models/relations/model.json``); a missing file is an error."""
    return Model.load(resource("relations", "model.json"))


# ---------------------------------------------------------------------------------------------
# Sentences, mentions, candidate pairs, features
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    type: str
    name: str


def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence: up to 。！？ (with a closing quote) or a line end."""
    out, start, i = [], 0, 0
    while i < len(text):
        if text[i] in SENTENCE_END or text[i] == "\n":
            j = i + 1
            while j < len(text) and text[j] in CLOSING:
                j += 1
            if text[start:j].strip():
                out.append((start, j))
            start = i = j
            continue
        i += 1
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def mentions_of(spans: Iterable) -> list[Mention]:
    """Mentions from spans (``Span`` objects or ``(start, end, type, name)``), nested ones dropped."""
    items = []
    for s in spans:
        if isinstance(s, Span):
            items.append(Mention(s.start, s.end, s.type, s.name or s.text))
        else:
            items.append(Mention(*s))
    items.sort(key=lambda m: (m.start, -m.end))
    kept: list[Mention] = []
    for m in items:
        if kept and m.start < kept[-1].end:
            continue
        kept.append(m)
    return kept


def _bucket(n: int, edges=(0, 1, 2, 4, 8, 16, 32, 64)) -> str:
    for e in edges:
        if n <= e:
            return str(e)
    return "more"


def _masked(text: str, lo: int, hi: int, ms: list[Mention]) -> str:
    """``text[lo:hi]`` with each mention inside replaced by a one-character type mark."""
    out, pos = [], lo
    for m in ms:
        if m.start >= lo and m.end <= hi:
            out.append(text[pos : m.start])
            out.append("[" + m.type[0] + "]")
            pos = m.end
    out.append(text[pos:hi])
    return "".join(out)


@lru_cache(maxsize=4096)
def _cues(fragment: str) -> frozenset[str]:
    """The cue groups with a word in ``fragment`` (cached: a sentence is asked about once per pair)."""
    return frozenset(k for k, rx in _cue_regexes().items() if rx.search(fragment))


def accompany_roles(text: str, sent: tuple[int, int], m: Mention) -> list[str]:
    """Where a 陪同-like word stands around ``m`` in its clause: ``after`` (X陪同), ``zai`` (在X陪同下)
    or ``before`` (陪同X). The model learns what each means: people who accompany visit nothing."""
    rx = _cue_regexes().get("ACCOMPANY")
    if rx is None:
        return []
    lo = sent[0]
    for k in range(m.start - 1, sent[0] - 1, -1):
        if text[k] in "，,：:；;":
            lo = k + 1
            break
    hi = sent[1]
    for k in range(m.end, sent[1]):
        if text[k] in "，,：:；;。":
            hi = k
            break
    before, after = text[lo : m.start], text[m.end : hi]
    roles = []
    hit = rx.search(after)
    if hit:
        if "在" in before and "在" not in after[: hit.start()]:
            roles.append("zai")
        elif "在" not in after[: hit.start()]:
            roles.append("after")
    if rx.search(before):
        roles.append("before")
    return roles


class MentionIndex:
    """One paragraph's mentions (sorted and non-overlapping, as :func:`mentions_of` gives them) for
    lookups by position, and each mention's 陪同 roles per sentence, computed once. Without it a
    pair's features cost a pass over every mention of the paragraph and a scan of the clause
    around each mention between the pair: a sentence listing 600 names (a committee roll) took
    220 s; the features are the same either way."""

    def __init__(self, text: str, ms: list[Mention]):
        self.text, self.ms = text, ms
        self.starts, self.ends = [m.start for m in ms], [m.end for m in ms]
        self._roles: dict[tuple[tuple[int, int], int], list[str]] = {}

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """Index range ``[a, b)`` of the mentions inside ``[lo, hi)`` (start >= lo, end <= hi)."""
        a, b = bisect_left(self.starts, lo), bisect_right(self.ends, hi)
        return a, max(a, b)

    def inside(self, lo: int, hi: int) -> list[Mention]:
        a, b = self.span(lo, hi)
        return self.ms[a:b]

    def roles(self, sent: tuple[int, int], k: int) -> list[str]:
        """:func:`accompany_roles` of mention ``k`` in ``sent``, remembered."""
        if (sent, k) not in self._roles:
            self._roles[(sent, k)] = accompany_roles(self.text, sent, self.ms[k])
        return self._roles[(sent, k)]

    def first_in(self, sent: tuple[int, int]) -> int | None:
        """Index of the first mention starting inside ``sent``."""
        k = bisect_left(self.starts, sent[0])
        return k if k < len(self.ms) and self.starts[k] < sent[1] else None


def pair_features(
    text: str, sent: tuple[int, int], ms: list[Mention], i: int, j: int, index: MentionIndex | None = None
) -> list[str]:
    """Features of the candidate (subject ``ms[i]``, object ``ms[j]``) of one sentence. ``index``
    (:class:`MentionIndex` of ``text`` and ``ms``) makes them cheap to compute for many pairs."""
    index = index or MentionIndex(text, ms)
    a, b = ms[i], ms[j]
    first, second = (a, b) if a.start < b.start else (b, a)
    order = "sf" if a.start < b.start else "of"  # subject first / object first
    types = f"{a.type}>{b.type}"
    tpo = f"{types}|{order}"
    between = text[first.end : second.start]
    inside = index.inside(first.end, second.start)
    masked_between = _masked(text, first.end, second.start, inside)
    n_between = len(inside)
    f = [
        f"t:{types}",
        f"to:{tpo}",
        f"ts:{a.type}",
        f"tob:{b.type}",
        f"o:{order}",
        f"d:{_bucket(len(between))}",
        f"d|{tpo}:{_bucket(len(between))}",
        f"nb:{_bucket(n_between)}",
        f"nb|{tpo}:{_bucket(n_between)}",
    ]
    if len(masked_between) <= 6:
        f.append(f"gap|{tpo}:{masked_between}")
    padded = "<" + masked_between + ">"
    for k in range(len(padded) - 1):
        f.append(f"bg:{padded[k : k + 2]}")
        f.append(f"bg|{order}:{padded[k : k + 2]}")
    lo, hi = max(sent[0], first.start - 4), min(sent[1], second.end + 4)
    left = _masked(text, lo, first.start, index.inside(lo, first.start))
    right = _masked(text, second.end, hi, index.inside(second.end, hi))
    f += [
        f"l1:{left[-1:]}",
        f"l2:{left[-2:]}",
        f"r1:{right[:1]}",
        f"r2:{right[:2]}",
        f"l2|{tpo}:{left[-2:]}",
        f"r2|{tpo}:{right[:2]}",
    ]
    clause_sep = sum(between.count(c) for c in "，,：:；;")
    f.append(f"cs:{_bucket(clause_sep, (0, 1, 2, 3))}")
    f.append(f"cs|{tpo}:{_bucket(clause_sep, (0, 1, 2, 3))}")
    before = text[sent[0] : first.start]
    after = text[second.end : sent[1]]
    for zone, frag in (("btw", between), ("pre", before), ("post", after)):
        for cue in _cues(frag):
            f.append(f"cue:{zone}:{cue}")
            f.append(f"cue|{types}:{zone}:{cue}")
    tm = vocabulary.TITLE_GAP.match(between)
    if tm:
        f.append(f"titlegap|{tpo}")
    elif TITLE_SEARCH.search(between):
        f.append(f"titlein|{tpo}")
    if TITLE_SEARCH.match(text, second.end):
        f.append(f"titleafter|{tpo}")
    if LIST_GAP.match(between):
        f.append(f"listgap|{types}:{between}")
    in_list = bool(between) and bool(IN_LIST.fullmatch(masked_between))
    sentence_cues = _cues(text[sent[0] : sent[1]])
    structure = "list" if in_list else "adjacent" if not between else "clause" if clause_sep == 0 else "far"
    for cue in sentence_cues:  # what the sentence is about × how the pair stands in it
        f.append(f"cue&{structure}|{order}:{cue}")
    if between == "":
        f.append(f"adjacent|{tpo}")
    for role, k in (("s", i), ("o", j)):
        for where in index.roles(sent, k):
            f.append(f"accompany:{role}:{where}|{ms[k].type}")
            f.append(f"accompany:{role}:{where}|{tpo}")
    if any({"zai", "after"} & set(index.roles(sent, k)) for k in range(*index.span(first.end, second.start))):
        f.append(f"companion_between|{tpo}")  # 甲在乙陪同下来到丙: the pair skips over the one who accompanies
    if a.type == "REGION" and b.type == "REGION":
        la, lb = admin_level(a.name), admin_level(b.name)
        f.append("lvl:" + ("?" if la is None or lb is None else "<" if la < lb else ">" if la > lb else "="))
    if i == index.first_in(sent):
        f.append(f"sfirst|{a.type}")
    return f


def candidates(text: str, mentions: list[Mention]) -> Iterable[tuple[tuple[int, int], int, int]]:
    """``(sentence, i, j)`` for every ordered pair of distinct-named mentions of one sentence."""
    for sent in sentences(text):
        idx = [k for k, m in enumerate(mentions) if sent[0] <= m.start and m.end <= sent[1]]
        for i in idx:
            for j in idx:
                if i == j or mentions[i].name == mentions[j].name:
                    continue
                lo, hi = sorted((i, j))
                if mentions[hi].start - mentions[lo].end > MAX_GAP:
                    continue
                yield sent, i, j


# ---------------------------------------------------------------------------------------------
# Prediction
# ---------------------------------------------------------------------------------------------


def _title(text: str, sent: tuple[int, int], person: Mention, org: Mention) -> str:
    """The title of a HOLDS_POSITION: right after the organisation (X公司党委书记张三, 张三任X书记)."""
    tm = TITLE_SEARCH.match(text, org.end)
    if tm:
        return tm.group(0)
    lo, hi = sorted((person.end, org.start)) if person.start < org.start else sorted((org.end, person.start))
    found = TITLE_SEARCH.findall(text, lo, hi)
    return found[-1] if found else ""


def _date(text: str, sent: tuple[int, int], doc_date: str | None) -> str:
    dm = vocabulary.DATE_RE.search(text, sent[0], sent[1])
    return _date_attr(dm, doc_date) if dm else ""


def predict_relations(
    text: str,
    spans: Iterable,
    paragraph_idx: int = -1,
    doc_date: str | None = None,
    model: Model | None = None,
    thresholds: dict[str, float] | None = None,
) -> list[Relation]:
    """Relations the classifier finds in one paragraph (``spans``: its entity mentions).

    ``thresholds`` overrides the model's per-predicate thresholds (for tuning). Each relation has
    the sentence as evidence, the predicate's probability as confidence, ``title`` for
    HOLDS_POSITION and ``date`` for VISITED when the sentence gives them.
    """
    model = model or shipped_model()
    limits = model.thresholds if thresholds is None else thresholds
    ms = mentions_of(spans)
    index = MentionIndex(text, ms)
    best: dict[tuple, Relation] = {}
    for sent, i, j in candidates(text, ms):
        a, b = ms[i], ms[j]
        probs = model.probabilities(pair_features(text, sent, ms, i, j, index))
        for k, cls in enumerate(model.classes):
            if cls == NONE or probs[k] < limits.get(cls, 1.1):
                continue
            if [a.type, b.type] not in model.allowed.get(cls, []):
                continue
            if cls == "VISITED" and {"zai", "after"} & set(index.roles(sent, i)):
                continue  # the guide: people who accompany (陪同) visit nothing
            attrs = {}
            if cls == "HOLDS_POSITION":
                title = _title(text, sent, a, b)
                attrs = {"title": title} if title else {}
            elif cls == "VISITED":
                date = _date(text, sent, doc_date)
                attrs = {"date": date} if date else {}
            rel = Relation(
                subject=a.name,
                predicate=cls,
                object=b.name,
                evidence=text[sent[0] : sent[1]].strip(),
                confidence=round(probs[k], 4),
                paragraph_idx=paragraph_idx,
                subject_type=a.type,
                object_type=b.type,
                attrs=attrs,
            )
            key = (frozenset((a.name, b.name)), cls) if cls in SYMMETRIC else (a.name, cls, b.name)
            if key not in best or rel.confidence > best[key].confidence:
                best[key] = rel
    return list(best.values())


def combine_policy() -> dict[str, tuple[str, float]]:
    """Predicate → (``rules``, ``model`` or ``union``; the least confidence of the classifier's
    relations in the pipeline, 0 when not given) from ``models/relations/combine.tsv`` (chosen on dev),
    or ``combine-newsletter.tsv`` for the newsletter genre (``pipeline.genre``)."""
    return _read_policy("combine-newsletter.tsv" if genre() == "newsletter" else "combine.tsv")


@lru_cache(maxsize=2)  # one per genre: the genre is read on every call, the file once
def _read_policy(name: str) -> dict[str, tuple[str, float]]:
    policy = {}
    with open(resource("relations", name), encoding="utf-8") as handle:
        for line in handle:
            cols = line.split("#")[0].split()
            if not cols:
                continue
            if len(cols) not in (2, 3) or cols[1] not in ("rules", "model", "union"):
                raise ValueError(
                    f"{name}: cannot read {line.strip()!r} (predicate, rules|model|union, [least confidence])"
                )
            policy[cols[0]] = (cols[1], float(cols[2]) if len(cols) == 3 else 0.0)
    return policy


def combine(
    by_rules: list[Relation], by_model: list[Relation], policy: dict[str, tuple[str, float]] | None = None
) -> list[Relation]:
    """The relations of one paragraph from both extractors, per predicate as ``policy`` says
    (default: ``combine.tsv``; a predicate not listed takes the union). A relation both give is kept
    once, the rules' copy (its evidence and attributes), with the higher confidence."""
    if policy is None:
        # KB_RELATIONS=rules|model|union: one extractor alone or both for every predicate, for
        # side-by-side scores (make eval) and for choosing combine.tsv on dev.
        alone = os.environ.get("KB_RELATIONS", "").strip().lower()
        policy = {p: (alone, 0.0) for p in PREDICATES} if alone in ("rules", "model", "union") else combine_policy()
    out: dict[tuple, Relation] = {}
    for source, rels in (("rules", by_rules), ("model", by_model)):
        for r in rels:
            use, least = policy.get(r.predicate, ("union", 0.0))
            if use not in (source, "union") or (source == "model" and r.confidence < least):
                continue
            key = (
                (frozenset((r.subject, r.object)), r.predicate)
                if r.predicate in SYMMETRIC
                else (r.subject, r.predicate, r.object)
            )
            if key in out:
                out[key].confidence = max(out[key].confidence, r.confidence)
            else:
                out[key] = r
    return list(out.values())
