"""Stage 4, dedup: exact and near-duplicate paragraphs and documents, with MinHash LSH.

Texts are compared on character shingles after removing whitespace and punctuation, so that the
spaces, broken lines and stray symbols OCR adds do not hide a repeat. A duplicate is kept as a
pointer to the paragraph (or document) it repeats. The index covers everything already stored:
the store hands it the signatures it keeps.

Similar is not the same: templated news about two districts shares most of its shingles. A
paragraph is a repeat only when, besides the similarity, what it says agrees with the candidate
(``facts_agree``: its places, and no figure or name put in the place of another), checked only on
the pairs the LSH found. The thresholds are calibrated by :mod:`pipeline.training.dedup_calibration`
(``make calibrate``).
"""

from __future__ import annotations

import hashlib
import heapq
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from .document import Document
from .resources import resource

SHINGLE_SIZE = 3
NUM_PERM = 256  # estimation error ~0.03, well inside the gap the calibration shows
# Calibrated on the seeds (`make calibrate`): two different paragraphs reach at most 0.34 (a
# sentence and a longer one that contains it); 98.5% of copies with 5% of their characters damaged,
# and 87% with 15%, are still found at 0.45.
PARAGRAPH_THRESHOLD = 0.45
DOCUMENT_THRESHOLD = 0.7
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures are only comparable within one
MIN_NEAR_CHARS = 12  # shorter paragraphs (headings) are only compared exactly, within one document
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def fingerprint_text(text: str) -> str:
    """The text a comparison sees: letters, digits and Han only, lowercased."""
    return _STRIP.sub("", text).lower()


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[str]:
    """Character n-grams of the fingerprint text (the whole text when it is shorter than n)."""
    core = fingerprint_text(text)
    if len(core) <= size:
        return {core} if core else set()
    return {core[i : i + size] for i in range(len(core) - size + 1)}


@lru_cache(maxsize=1)
def _permutations():
    # datasketch draws the permutation table again for every MinHash (0.5 ms, as much as hashing a
    # paragraph); the table depends only on the seed, so it is made once.
    return MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations


def minhash(text: str) -> MinHash:
    """MinHash signature of a text's shingles."""
    signature = MinHash(num_perm=NUM_PERM, scheme=SCHEME, permutations=_permutations())
    signature.update_batch([shingle.encode("utf-8") for shingle in shingles(text)])
    return signature


def known_minhash(text: str, exact: str, signatures: dict[str, Any]) -> MinHash:
    """:func:`minhash` of ``text``, taken from ``signatures`` (exact key -> hash values, see
    ``Document.signatures``) when there: texts with one exact key have the same shingles."""
    values = signatures.get(exact)
    if values is None:
        return minhash(text)
    return MinHash(num_perm=NUM_PERM, scheme=SCHEME, hashvalues=values, permutations=_permutations())


def exact_key(text: str) -> str:
    """Hash of the fingerprint text: equal for texts that differ only in spacing and punctuation."""
    return hashlib.sha1(fingerprint_text(text).encode("utf-8")).hexdigest()


# --- does a similar paragraph say the same thing? ---------------------------------------------
#
# Two paragraphs that share a template (a report per district, a daily figure, a state visit) are
# near-identical text but different facts. The check below runs on every candidate pair the LSH
# finds, so it is cheap, and it must let OCR damage through. OCR changes a text a character at a
# time: a misread character, a dropped one, spaces. A different text puts one figure, place or
# name in the place of another. So two paragraphs disagree when, aligned, one has a figure where
# the other has another figure, or a two-or-more-character stretch where the other has another,
# or when each names a place the other does not (南通 / 南京 differ by one character).

FACT_WORDS = ("lexicons", "dedup_facts.txt")
COUNTRIES = ("lexicons", "dedup_countries.txt")
DIGITS = frozenset("0123456789")
REPLACED_RUN = 2  # characters on each side that make a replacement another name or phrase...
OCR_EDITS = 2  # ...unless the copy has this many single-character edits besides: then it is OCR damage


@lru_cache(maxsize=1)
def _fact_words() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in resource(*FACT_WORDS).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, values = line.partition("\t")
            table[key.strip()] = values.split()
    for key in ("digits", "units", "counters"):
        if not table.get(key):
            raise RuntimeError(f"{resource(*FACT_WORDS)}: no '{key}' line")
    return table


@lru_cache(maxsize=1)
def _digit_table() -> dict[int, str]:
    return str.maketrans({pair[0]: pair[1:] for pair in _fact_words()["digits"]})


@lru_cache(maxsize=1)
def _chinese_numbers() -> re.Pattern:
    # Chinese numerals that are a number: a run of two or more, or one after 第 or before a counter.
    words = _fact_words()
    numerals = "".join(pair[0] for pair in words["digits"]) + "".join(words["units"])
    counters = "".join(words["counters"])
    return re.compile(f"(?<=第)[{numerals}]+|[{numerals}]{{2,}}|[{numerals}](?=[{counters}])")


@lru_cache(maxsize=1)
def _place_names() -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """Surface form -> place token, and first character -> name lengths (longest first).

    A lexicon name counts as its short form (江苏省 and 江苏 are one place; a copy whose 区 was
    misread still names 海门). Short forms are looked for on their own only for provinces and
    cities: county and town short forms are too often ordinary words (合作, 资源, 上党课).
    Countries (dedup_countries.txt) come along: CCTV's templated reports differ by country.
    """
    from .gazetteer import region_lexicon

    names: dict[str, str] = {}
    for entry in region_lexicon().values():
        token = entry.short or entry.name
        names[entry.name] = token
        if entry.short and entry.level in ("province", "city") and len(entry.short) >= 2:
            names.setdefault(entry.short, token)
    for line in resource(*COUNTRIES).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            country, _, short = line.partition("\t")
            names.setdefault(country.strip(), country.strip())
            if short.strip():
                names.setdefault(short.strip(), country.strip())
    lengths: dict[str, set[int]] = {}
    for name in names:
        lengths.setdefault(name[0], set()).add(len(name))
    return names, {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}


# The caches below hold a text per entry; they are bounded so that a long ingest's memory stays flat.
@lru_cache(maxsize=8192)
def comparable_text(text: str) -> str:
    """The fingerprint text with the Chinese digits of its numbers written as digits (二〇二一 ->
    2021, 三家 -> 3家, 十二 -> 十2; 统一 stays)."""
    return _chinese_numbers().sub(lambda m: m.group().translate(_digit_table()), fingerprint_text(text))


_TOKEN = re.compile(r"[0-9]+|.", re.DOTALL)


def _tokens(text: str) -> tuple[str, ...]:
    # A number is one token, so that 4.5 and 5.1 (45 / 51) align as one figure put for another,
    # not as a 4 dropped and a 1 added.
    return tuple(_TOKEN.findall(comparable_text(text)))


@lru_cache(maxsize=8192)
def places(text: str) -> frozenset[str]:
    """The places a text names: admin divisions (as their short form) and countries, longest first."""
    core = fingerprint_text(text)
    names, lengths = _place_names()
    found: set[str] = set()
    i = 0
    while i < len(core):
        for length in lengths.get(core[i], ()):
            token = names.get(core[i : i + length])
            if token:
                found.add(token)
                i += length
                break
        else:
            i += 1
    return frozenset(found)


def _only_dropped(a: str, b: str) -> bool:
    """Is one text the other with characters dropped (326 / 36, g60 / 6), as OCR does?"""
    short, long = (a, b) if len(a) < len(b) else (b, a)
    rest = iter(long)
    return all(ch in rest for ch in short)  # short is a subsequence of long


def _joined(edits: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Edits one token apart joined into one, so that 马杜罗 / 哈马德 (马 in common) is one
    replacement, not an insertion and a replacement."""
    out: list[list[int]] = []
    for i1, i2, j1, j2 in edits:
        if out and i1 - out[-1][1] <= 1 and j1 - out[-1][3] <= 1:
            out[-1][1], out[-1][3] = i2, j2
        else:
            out.append([i1, i2, j1, j2])
    return [(i1, i2, j1, j2) for i1, i2, j1, j2 in out]


def _replaced(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when, aligned, one text has a figure where the other has another figure (12 / 15,
    4.5 / 5.1, 第三 / 第七: Chinese digits are compared as digits), or a name or phrase where the
    other has another (马杜罗 / 哈马德, 宣传 / 组织).

    Where one side is the other with characters dropped (326 / 36), it is OCR damage. A name or
    phrase is ``REPLACED_RUN`` or more characters on both sides; it counts only in a copy with
    fewer than ``OCR_EDITS`` single-character edits besides. An OCR copy is strewn with those (a
    misread character, a dropped one), and two misread neighbours look like a replaced word; a
    text filled in from a template differs in its slots alone (on the labelled CCTV pairs, at most
    one single-character edit in 40 of 41 such pairs; on the seeds' damaged copies, one or none in
    1 of 134). Insertions and deletions alone never count: OCR drops characters and a repeat may
    add a word (习近平总书记).
    """
    from difflib import SequenceMatcher

    edits = [
        (i1, i2, j1, j2)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if tag != "equal"
    ]
    for i1, i2, j1, j2 in edits:
        left = "".join(t for t in a[i1:i2] if t[0] in DIGITS)
        right = "".join(t for t in b[j1:j2] if t[0] in DIGITS)
        if left and right and not _only_dropped(left, right):
            return True  # OCR drops digits; it seldom reads one as another (none in the confusion set)
    single = sum(1 for i1, i2, j1, j2 in edits if i2 - i1 <= 1 and j2 - j1 <= 1)
    if single >= OCR_EDITS:
        return False
    return any(
        i2 - i1 >= REPLACED_RUN and j2 - j1 >= REPLACED_RUN and not _only_dropped("".join(a[i1:i2]), "".join(b[j1:j2]))
        for i1, i2, j1, j2 in _joined(edits)
    )


def facts_agree(a: str, b: str) -> bool:
    """Do two similar texts say the same thing?

    False when each names a place the other does not, or when one has a figure, or a name or
    phrase, where the other has another (``_replaced``, on the texts with numbers as digits). A
    place, number or phrase on one side only is tolerated: OCR damage loses characters (a dropped
    digit, a misread character that unmakes a name), and a repeat may add a word (总书记).
    """
    # Symmetric by construction: the alignment may differ with the order, and the store's
    # order-independent dedup (``assign``) needs a pair to be, or not be, an edge both ways.
    first, second = sorted((a, b))
    return _agree(first, second)


@lru_cache(maxsize=4096)
def _agree(a: str, b: str) -> bool:
    # Cached: the store asks about the same pair again each time a change reaches one of them
    # (four times per pair on the bench corpus, where every paragraph has hundreds of copies).
    if not (places(a) <= places(b) or places(b) <= places(a)):
        return False
    return not _replaced(_tokens(a), _tokens(b))


@dataclass
class DedupIndex:
    """Signatures of everything seen so far, queried by LSH and confirmed by estimated Jaccard and
    by what the texts say (``facts_agree``), when the texts were given."""

    threshold: float = PARAGRAPH_THRESHOLD
    lsh: MinHashLSH = field(init=False)
    signatures: dict[str, MinHash] = field(default_factory=dict)
    exact: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The band shape is computed once per threshold (datasketch integrates for it on every build).
        self.lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM, params=lsh_shape(self.threshold))

    def __len__(self) -> int:
        return len(self.order)

    def add(self, key: str, signature: MinHash, exact: str, text: str | None = None) -> None:
        """Remember a text under ``key`` (a string the store can resolve); with ``text``, near
        matches against it must also agree in what they say."""
        if key in self.order:
            return
        self.order[key] = len(self.order)
        if text is not None:
            self.texts[key] = text
        self.exact.setdefault(exact, key)
        if len(signature.hashvalues) and key not in self.signatures:
            self.signatures[key] = signature
            self.lsh.insert(key, signature)

    def find(self, signature: MinHash | None, exact: str, text: str | None = None) -> tuple[str, float] | None:
        """The earliest-seen text this one repeats, with the estimated similarity, or None.

        An exact repeat always is one; a near one must also say the same thing (``facts_agree``)
        when both texts are known."""
        if exact in self.exact:
            return self.exact[exact], 1.0
        if signature is None:
            return None
        best: tuple[str, float] | None = None
        for key in self.lsh.query(signature):
            similarity = signature.jaccard(self.signatures[key])
            if similarity < self.threshold or (
                best is not None and (similarity, -self.order[key]) <= (best[1], -self.order[best[0]])
            ):
                continue
            if text is not None and key in self.texts and not facts_agree(text, self.texts[key]):
                continue
            best = (key, similarity)
        return best


def paragraph_key(doc: Document, idx: int) -> str:
    """Stable key for a paragraph: the document's content hash and the paragraph index."""
    return f"{doc.sha256}:{idx}"


def dedup(doc: Document, paragraphs: DedupIndex, documents: DedupIndex | None = None) -> Document:
    """Stage 4: mark repeated paragraphs (and a repeated document) with pointers; extend the indexes."""
    local_exact: dict[str, int] = {}
    for para in doc.paragraphs:
        exact = exact_key(para.text)
        if len(fingerprint_text(para.text)) < MIN_NEAR_CHARS:
            if exact in local_exact:  # short lines repeat only inside one document
                para.duplicate_of, para.similarity = paragraph_key(doc, local_exact[exact]), 1.0
            else:
                local_exact[exact] = para.idx
            continue
        signature = minhash(para.text)
        doc.signatures[exact] = signature.hashvalues
        match = paragraphs.find(signature, exact, para.text)
        if match:
            para.duplicate_of, para.similarity = match
        else:
            paragraphs.add(paragraph_key(doc, para.idx), signature, exact, para.text)
    if documents is not None:
        text = "\n".join(p.text for p in doc.paragraphs)
        signature, exact = minhash(text), exact_key(text)
        match = documents.find(signature, exact)
        if match and match[0] != doc.sha256:
            doc.duplicate_of_document = match[0]
        documents.add(doc.sha256, signature, exact)
    return doc


# --- corpus-wide dedup, order-independent, over a persisted LSH index ---------------------------
#
# Which copy is "the original" must not depend on the order documents arrive in. The rule: nodes
# (a document, or a paragraph that is not a repeat inside its own document) are ranked by the
# document's date (undated last), then its sha256, then the paragraph index; going through all
# nodes in rank order, a node that matches an earlier *original* points at the most similar one
# (ties: the earlier), otherwise it is an original. ``assign`` recomputes this for just the nodes a
# change can reach, so adding (or removing) a document gives the same result as ingesting the
# whole corpus in rank order.


@dataclass(frozen=True)
class Node:
    """One text in the corpus-wide index: ``key`` (sha256 or sha256:idx), its rank, exact key,
    signature, and for a paragraph its text (for ``facts_agree``)."""

    key: str
    rank: str
    exact: str
    signature: MinHash = field(compare=False, hash=False, repr=False)
    text: str | None = field(default=None, compare=False, hash=False, repr=False)


def rank_key(date: str | None, sha256: str, idx: int = -1) -> str:
    """Sort key of a node: earlier date first (undated last), then smaller sha256, then paragraph order."""
    return f"{date or '9999-99-99'}|{sha256}|{idx + 1:09d}"


def similarity(a: Node, b: Node) -> float:
    """The similarity the duplicate decision sees: 1.0 for texts equal up to spacing and
    punctuation; else the MinHash estimate of Jaccard, or 0.0 when both texts are known and do not
    say the same thing (``facts_agree``: other places, figures or names): such paragraphs are not
    repeats however alike."""
    if a.exact == b.exact:
        return 1.0
    estimate = float(a.signature.jaccard(b.signature))
    # The check is only worth its cost where the estimate alone would call it a repeat.
    if (
        estimate >= PARAGRAPH_THRESHOLD
        and a.text is not None
        and b.text is not None
        and not facts_agree(a.text, b.text)
    ):
        return 0.0
    return estimate


@cache
def lsh_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) datasketch would use for this threshold (equal weights for misses and false hits)."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, NUM_PERM, 0.5, 0.5)


def band_buckets(signature: MinHash, threshold: float, kind: str = "paragraph") -> list[int]:
    """One bucket id per LSH band (signed 32-bit, small in SQLite): two texts of one ``kind`` share
    one when a band of their signatures is equal. The kind and the band are in the hash, so
    paragraph and document buckets never meet; a chance collision only adds a candidate that the
    similarity check drops. Computed for all bands at once (a polynomial hash of each band's values
    modulo 2^64, then a 64-bit mix)."""
    bands, rows = lsh_shape(threshold)
    values = np.asarray(signature.hashvalues[: bands * rows], dtype=np.uint64).reshape(bands, rows)
    with np.errstate(over="ignore"):
        h = np.full(bands, _kind_seed(kind), dtype=np.uint64) + np.arange(bands, dtype=np.uint64) * _MIX[0]
        for column in range(rows):
            h = h * _MIX[1] + values[:, column]
        h ^= h >> np.uint64(33)
        h *= _MIX[2]
        h ^= h >> np.uint64(29)
    return [int(x) for x in (h >> np.uint64(32)).astype(np.uint32).astype(np.int32)]


# Odd 64-bit constants (splitmix64's): the band step, the polynomial base, the final multiplier.
_MIX = tuple(np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB))


@cache
def _kind_seed(kind: str) -> int:
    return int.from_bytes(hashlib.blake2b(kind.encode(), digest_size=8).digest(), "little")


def exact_bucket(exact: str, kind: str = "paragraph") -> int:
    """The bucket of texts equal up to spacing and punctuation (``exact_key``), beside the bands."""
    digest = hashlib.blake2b(exact.encode(), digest_size=4, person=f"exact-{kind}"[:16].encode()).digest()
    return int.from_bytes(digest, "little", signed=True)


def assign(seeds: list[Node], neighbours, is_original, decided=None) -> dict[str, tuple[str | None, float]]:
    """Recompute original-or-duplicate for every node a change at ``seeds`` can reach.

    ``neighbours(node)`` gives ``[(other, similarity)]`` at or above the threshold: at least every
    original it matches and every node whose original it is (all matching nodes will do, as in the
    tests; the store keeps only originals in its index, so that a new copy of a much-repeated
    paragraph meets one original, not every copy); ``is_original(key)`` the stored status of a
    node outside the change. Which original a duplicate points at is the most similar one found
    when it was decided: with only originals indexed, a later, more similar original does not move
    an existing pointer (whether a text is a duplicate never depends on the order).
    A node's status depends only on the *originals* ranked before it that it matches, so nodes are
    recomputed in rank order and a change spreads forward only from a node that is (or became) an
    original: a seed that is an original now, or a stored node that turned from one into the other.
    A new copy of a much-repeated paragraph is then one ``neighbours`` call, not one per copy.
    ``decided(node, original_key)``, when given, is told each decision as it is made, before any
    node ranked after it is looked at (the store indexes a node that became an original there, so
    that the nodes after it find it).
    Returns ``{key: (key of the original it repeats or None, similarity)}`` for the recomputed nodes.
    """
    seed_keys = {n.key for n in seeds}
    queued = {n.key: n for n in seeds}
    heap = [(n.rank, n.key) for n in seeds]
    heapq.heapify(heap)
    result: dict[str, tuple[str | None, float]] = {}
    while heap:  # changes only spread forward in rank, so each node is final when popped
        _, key = heapq.heappop(heap)
        node = queued[key]
        edges = neighbours(node)
        best: tuple[Node, float] | None = None
        for other, sim in edges:
            if other.rank >= node.rank:
                continue
            original = result[other.key][0] is None if other.key in result else is_original(other.key)
            if original and (best is None or (sim, best[0].rank) > (best[1], other.rank)):
                best = (other, sim)
        result[key] = (best[0].key, best[1]) if best else (None, 0.0)
        if decided is not None:
            decided(node, result[key][0])
        now_original = best is None
        spreads = now_original if key in seed_keys else now_original != is_original(key)
        if spreads:
            for other, _ in edges:
                if other.rank > node.rank and other.key not in queued:
                    queued[other.key] = other
                    heapq.heappush(heap, (other.rank, other.key))
    return result


def local_dedup(doc: Document) -> Document:
    """Repeats inside one document: a later copy points at the first (``sha256:idx``). The
    signatures of its paragraphs and of its whole text are kept on the document for the store."""
    dedup(doc, DedupIndex())
    body = doc.body_text
    doc.signatures[exact_key(body)] = minhash(body).hashvalues
    return doc


def global_candidates(doc: Document) -> list[tuple[int, str, MinHash]]:
    """(idx, exact key, signature) of the paragraphs that take part in corpus-wide dedup.

    Those are the paragraphs long enough to compare (``MIN_NEAR_CHARS``) that do not repeat an
    earlier paragraph of the same document.
    """
    return [
        (p.idx, exact_key(p.text), minhash(p.text))
        for p in doc.paragraphs
        if not p.duplicate_of and len(fingerprint_text(p.text)) >= MIN_NEAR_CHARS
    ]
