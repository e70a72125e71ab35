"""Stage 4, dedup: exact and near-duplicate paragraphs and documents, with MinHash LSH.

Texts are compared on character shingles after removing whitespace and punctuation, so that the
spaces, broken lines and stray symbols OCR adds do not hide a repeat. A duplicate is kept as a
pointer to the paragraph (or document) it repeats. The index covers everything already stored:
the store hands it the signatures it keeps.

Calibration (``python -m pipeline.dedup calibrate corpus/``) measures, on the seeds, the highest
similarity between two *different* paragraphs and the lowest similarity between a paragraph and an
OCR-damaged copy of it; the threshold sits between the two.
"""
from __future__ import annotations

import hashlib
import heapq
import random
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache

from datasketch import MinHash, MinHashLSH

from .document import Document

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
    return {core[i:i + size] for i in range(len(core) - size + 1)}


def minhash(text: str) -> MinHash:
    """MinHash signature of a text's shingles."""
    signature = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    signature.update_batch([shingle.encode("utf-8") for shingle in shingles(text)])
    return signature


def signature_to_bytes(signature: MinHash) -> bytes:
    """Serialize a signature's hash values (little-endian) for the store."""
    values = signature.hashvalues
    return values.astype(values.dtype.newbyteorder("<")).tobytes()


@lru_cache(maxsize=1)
def _hash_dtype():
    return MinHash(num_perm=1, scheme=SCHEME).hashvalues.dtype


def signature_from_bytes(blob: bytes) -> MinHash:
    """Rebuild a signature written by :func:`signature_to_bytes`.

    A ``LeanMinHash``: comparable with any signature of the scheme, frozen, and built without
    generating the permutation table (which made reading a stored signature ~0.7 ms)."""
    import numpy as np
    from datasketch import LeanMinHash

    dtype = _hash_dtype()
    values = np.frombuffer(blob, dtype=dtype.newbyteorder("<")).astype(dtype)
    return LeanMinHash(seed=1, hashvalues=values, scheme=SCHEME)


def exact_key(text: str) -> str:
    """Hash of the fingerprint text: equal for texts that differ only in spacing and punctuation."""
    return hashlib.sha1(fingerprint_text(text).encode("utf-8")).hexdigest()


@dataclass
class DedupIndex:
    """Signatures of everything seen so far, queried by LSH and confirmed by estimated Jaccard."""

    threshold: float = PARAGRAPH_THRESHOLD
    lsh: MinHashLSH = field(init=False)
    signatures: dict[str, MinHash] = field(default_factory=dict)
    exact: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The band shape is computed once per threshold (datasketch integrates for it on every build).
        self.lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM, params=lsh_shape(self.threshold))

    def __len__(self) -> int:
        return len(self.order)

    def add(self, key: str, signature: MinHash, exact: str) -> None:
        """Remember a text under ``key`` (a string the store can resolve)."""
        if key in self.order:
            return
        self.order[key] = len(self.order)
        self.exact.setdefault(exact, key)
        if len(signature.hashvalues) and key not in self.signatures:
            self.signatures[key] = signature
            self.lsh.insert(key, signature)

    def find(self, signature: MinHash | None, exact: str) -> tuple[str, float] | None:
        """The earliest-seen text this one repeats, with the estimated similarity, or None."""
        if exact in self.exact:
            return self.exact[exact], 1.0
        if signature is None:
            return None
        best: tuple[str, float] | None = None
        for key in self.lsh.query(signature):
            similarity = signature.jaccard(self.signatures[key])
            if similarity >= self.threshold and (best is None or (similarity, -self.order[key]) > (best[1], -self.order[best[0]])):
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
        match = paragraphs.find(signature, exact)
        if match:
            para.duplicate_of, para.similarity = match
        else:
            paragraphs.add(paragraph_key(doc, para.idx), signature, exact)
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
    """One text in the corpus-wide index: ``key`` (sha256 or sha256:idx), its rank, exact key, signature."""

    key: str
    rank: str
    exact: str
    signature: MinHash = field(compare=False, hash=False, repr=False)


def rank_key(date: str | None, sha256: str, idx: int = -1) -> str:
    """Sort key of a node: earlier date first (undated last), then smaller sha256, then paragraph order."""
    return f"{date or '9999-99-99'}|{sha256}|{idx + 1:09d}"


def similarity(a: Node, b: Node) -> float:
    """1.0 for texts equal up to spacing and punctuation, else the MinHash estimate of Jaccard."""
    return 1.0 if a.exact == b.exact else float(a.signature.jaccard(b.signature))


@lru_cache(maxsize=None)
def lsh_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) datasketch would use for this threshold (equal weights for misses and false hits)."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, NUM_PERM, 0.5, 0.5)


def band_buckets(signature: MinHash, threshold: float) -> list[int]:
    """One bucket id per LSH band (signed 64-bit, for SQLite): two texts share one when a band is equal."""
    bands, rows = lsh_shape(threshold)
    values = signature.hashvalues
    values = values.astype(values.dtype.newbyteorder("<"))
    out = []
    for band in range(bands):
        digest = hashlib.blake2b(values[band * rows:(band + 1) * rows].tobytes(), digest_size=8,
                                 salt=band.to_bytes(8, "little")).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def assign(seeds: list[Node], neighbours, is_original) -> dict[str, tuple[str | None, float]]:
    """Recompute original-or-duplicate for every node a change at ``seeds`` can reach.

    ``neighbours(node)`` gives ``[(other, similarity)]`` at or above the threshold among all stored
    nodes (new ones included); ``is_original(key)`` the stored status of a node outside the change.
    A node's status depends only on the *originals* ranked before it that it matches, so nodes are
    recomputed in rank order and a change spreads forward only from a node that is (or became) an
    original: a seed that is an original now, or a stored node that turned from one into the other.
    A new copy of a much-repeated paragraph is then one ``neighbours`` call, not one per copy.
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
        now_original = best is None
        spreads = now_original if key in seed_keys else now_original != is_original(key)
        if spreads:
            for other, _ in edges:
                if other.rank > node.rank and other.key not in queued:
                    queued[other.key] = other
                    heapq.heappush(heap, (other.rank, other.key))
    return result


def local_dedup(doc: Document) -> Document:
    """Repeats inside one document: a later copy points at the first (``sha256:idx``)."""
    return dedup(doc, DedupIndex())


def global_candidates(doc: Document) -> list[tuple[int, str, MinHash]]:
    """(idx, exact key, signature) of the paragraphs that take part in corpus-wide dedup.

    Those are the paragraphs long enough to compare (``MIN_NEAR_CHARS``) that do not repeat an
    earlier paragraph of the same document.
    """
    return [(p.idx, exact_key(p.text), minhash(p.text)) for p in doc.paragraphs
            if not p.duplicate_of and len(fingerprint_text(p.text)) >= MIN_NEAR_CHARS]


# --- calibration -------------------------------------------------------------------------------

def damage(text: str, rate: float, rng: random.Random, confusions: dict[str, str] | None = None) -> str:
    """An OCR-like copy: characters confused or dropped, spaces and line breaks inserted."""
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate * 0.5 and confusions and ch in confusions:
            out.append(rng.choice(confusions[ch]))
        elif roll < rate * 0.7:
            continue
        elif roll < rate:
            out.append(ch + rng.choice([" ", "\n", "·"]))
        else:
            out.append(ch)
    return "".join(out)


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of two texts' shingle sets."""
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def calibrate(paragraph_texts: list[str], confusions: dict[str, str] | None = None,
              rates: tuple[float, ...] = (0.05, 0.1, 0.15), seed: int = 7) -> dict[str, float]:
    """Highest similarity between distinct paragraphs vs. lowest between a paragraph and a damaged copy."""
    texts = sorted({t for t in paragraph_texts if len(fingerprint_text(t)) >= MIN_NEAR_CHARS})
    sets = [shingles(t) for t in texts]
    worst_distinct = 0.0
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            union = len(sets[i] | sets[j])
            if union:
                worst_distinct = max(worst_distinct, len(sets[i] & sets[j]) / union)
    rng = random.Random(seed)
    result = {"paragraphs": float(len(texts)), "max_distinct": worst_distinct}
    for rate in rates:
        similarities = sorted(jaccard(t, damage(t, rate, rng, confusions)) for t in texts)
        result[f"min_damaged@{rate}"] = similarities[0]
        result[f"found_damaged@{rate}"] = sum(s >= PARAGRAPH_THRESHOLD for s in similarities) / len(similarities)
    return result


def load_confusions(path: str) -> dict[str, str]:
    """Read a ``char:confusables`` file (the OCR confusion set in ../shared/data/ocr_confusion)."""
    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            char, _, confusable = line.rstrip("\n").partition(":")
            if len(char) == 1 and confusable:
                table[char] = confusable
    return table


def _main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "calibrate":
        print("usage: python -m pipeline.dedup calibrate PATH... [--confusions FILE]", file=sys.stderr)
        return 2
    from .stages import prepare_all

    confusions = None
    if "--confusions" in argv:
        at = argv.index("--confusions")
        confusions = load_confusions(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    texts = [p.text for doc in prepare_all(argv[1:]) if doc.ok for p in doc.paragraphs]
    # Repeats inside the seeds are what we must find, so they are not "distinct" paragraphs.
    index, distinct = DedupIndex(), []
    for text in texts:
        if not index.find(minhash(text), exact_key(text)):
            index.add(str(len(distinct)), minhash(text), exact_key(text))
            distinct.append(text)
    for name, value in calibrate(distinct, confusions).items():
        print(f"{name:>18}: {value:.3f}")
    print(f"{'threshold':>18}: {PARAGRAPH_THRESHOLD:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
