"""Dedup calibration (``make calibrate``): how well the near-duplicate rule of :mod:`pipeline.dedup`
separates copies from different paragraphs. An evaluation tool: the runtime never imports it.

``python -m pipeline.training.dedup_calibration calibrate corpus/ [--confusions FILE]`` measures, on
the seeds, the highest similarity between two *different* paragraphs and the lowest similarity
between a paragraph and an OCR-damaged copy of it; the threshold sits between the two.
``python -m pipeline.training.dedup_calibration calibrate-pool POOL`` measures the rule (similarity
and ``facts_agree``) on labelled pairs of real news.
"""

from __future__ import annotations

import random
import sys

from datasketch import MinHashLSH

from ..dedup import (
    MIN_NEAR_CHARS,
    NUM_PERM,
    PARAGRAPH_THRESHOLD,
    DedupIndex,
    exact_key,
    facts_agree,
    fingerprint_text,
    minhash,
    shingles,
)


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


def calibrate(
    paragraph_texts: list[str],
    confusions: dict[str, str] | None = None,
    rates: tuple[float, ...] = (0.05, 0.1, 0.15),
    seed: int = 7,
) -> dict[str, float]:
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
        copies = [(t, damage(t, rate, rng, confusions)) for t in texts]
        similarities = [jaccard(t, copy) for t, copy in copies]
        result[f"min_damaged@{rate}"] = min(similarities)
        # Found means what dedup decides: similar enough, and the facts still agree.
        result[f"found_damaged@{rate}"] = sum(
            s >= PARAGRAPH_THRESHOLD and facts_agree(t, copy)
            for s, (t, copy) in zip(similarities, copies, strict=False)
        ) / len(copies)
        result[f"facts_lost@{rate}"] = sum(
            s >= PARAGRAPH_THRESHOLD and not facts_agree(t, copy)
            for s, (t, copy) in zip(similarities, copies, strict=False)
        ) / len(copies)
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


# --- calibration on real text: pairs from the CCTV pool, labelled by reading ---------------------
#
# The seeds hold no templated text, so what the facts check costs and gains is measured on pairs of
# paragraphs from ../shared/data/cctv_pool (research use only: the repository keeps item ids,
# paragraph indexes, a hash of each paragraph and the label, never the text).

POOL_BANDS = ((0.35, 0.45), (0.45, 0.55), (0.55, 0.65), (0.65, 0.75), (0.75, 0.9))


class PoolMissing(Exception):
    """The CCTV pool (../shared/data/cctv_pool/pool.jsonl.gz) is not on this machine."""


def paragraph_hash(text: str) -> str:
    """Short hash of a paragraph's fingerprint text, to check a labelled pair still names the same text."""
    return exact_key(text)[:12]


def pool_paragraphs(path: str, ids: set[str] | None = None) -> dict[str, tuple[str, list[str]]]:
    """``{item id: (date, paragraph texts)}`` of the pool's items (or of ``ids``), cleaned by the
    pipeline's own stages; an item is ``title + blank line + text``, as the pool's README says."""
    import gzip
    import json
    import os

    from ..stages import prepare_text

    if not os.path.exists(path):
        raise PoolMissing(f"no CCTV pool at {path} (it lives in ../shared/data/cctv_pool/pool.jsonl.gz)")
    out: dict[str, tuple[str, list[str]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            if ids is not None and item["id"] not in ids:
                continue
            doc = prepare_text(item["title"] + "\n\n" + item["text"], source=item["id"])
            if doc.ok:
                out[item["id"]] = (item["date"], [p.text for p in doc.paragraphs])
    return out


def sample_pool_pairs(
    items: dict[str, tuple[str, list[str]]],
    per_band: int = 40,
    seed: int = 16,
    bands: tuple[tuple[float, float], ...] = POOL_BANDS,
) -> tuple[list[dict], dict[str, int]]:
    """Pairs of different paragraphs whose MinHash similarity falls in ``bands``, ``per_band`` of each.

    Every comparable paragraph of the pool is indexed; a pair is (earlier, later) in the pipeline's
    rank order (date, then id), exact repeats are left out (they are duplicates by definition), and a
    paragraph takes part in at most one sampled pair. Returns the pairs and how many pairs each band
    holds in the whole pool (to weight the per-band precision).
    """
    from datasketch import LeanMinHash

    lsh = MinHashLSH(threshold=bands[0][0] - 0.05, num_perm=NUM_PERM)
    signatures: dict[tuple[str, int], LeanMinHash] = {}
    exact: dict[tuple[str, int], str] = {}
    rank = {item_id: (date, item_id) for item_id, (date, _) in items.items()}
    for item_id in sorted(items, key=rank.__getitem__):
        for idx, text in enumerate(items[item_id][1]):
            if len(fingerprint_text(text)) < MIN_NEAR_CHARS:
                continue
            key = (item_id, idx)
            signatures[key] = LeanMinHash(minhash(text))
            exact[key] = exact_key(text)
            lsh.insert(f"{item_id}:{idx}", signatures[key])
    in_band: list[list[tuple[tuple[str, int], tuple[str, int], float]]] = [[] for _ in bands]
    for key, signature in signatures.items():
        for other_name in lsh.query(signature):
            item_id, _, idx = other_name.rpartition(":")
            other = (item_id, int(idx))
            if (rank[other[0]], other[1]) >= (rank[key[0]], key[1]) or exact[other] == exact[key]:
                continue  # each pair once, earlier first; exact repeats are not in question
            sim = float(signature.jaccard(signatures[other]))
            for band, (low, high) in enumerate(bands):
                if low <= sim < high:
                    in_band[band].append((other, key, sim))
    rng = random.Random(seed)
    pairs: list[dict] = []
    used: set[tuple[str, int]] = set()
    for candidates in in_band:
        candidates.sort()
        rng.shuffle(candidates)
        taken = 0
        for a, b, sim in candidates:
            if taken == per_band:
                break
            if a in used or b in used:
                continue
            used.update((a, b))
            taken += 1
            pairs.append(
                {
                    "a": a[0],
                    "a_idx": a[1],
                    "a_hash": paragraph_hash(items[a[0]][1][a[1]]),
                    "b": b[0],
                    "b_idx": b[1],
                    "b_hash": paragraph_hash(items[b[0]][1][b[1]]),
                    "similarity": round(sim, 3),
                }
            )
    population = {f"{low:.2f}-{high:.2f}": len(c) for (low, high), c in zip(bands, in_band, strict=False)}
    return pairs, population


def pair_texts(pair: dict, items: dict[str, tuple[str, list[str]]]) -> tuple[str, str]:
    """The two paragraph texts of a labelled pair, found by index and checked by hash (by hash alone
    if cleaning now splits the item differently)."""
    texts = []
    for side in ("a", "b"):
        paragraphs = items[pair[side]][1]
        idx = pair[f"{side}_idx"]
        if idx >= len(paragraphs) or paragraph_hash(paragraphs[idx]) != pair[f"{side}_hash"]:
            idx = next((i for i, t in enumerate(paragraphs) if paragraph_hash(t) == pair[f"{side}_hash"]), None)
            if idx is None:
                raise KeyError(f"{pair[side]}: no paragraph with hash {pair[side + '_hash']}")
        texts.append(paragraphs[idx])
    return texts[0], texts[1]


def score_pairs(labelled: list[tuple[str, str, float, bool]], threshold: float = PARAGRAPH_THRESHOLD) -> dict:
    """Precision and recall of "duplicate" on labelled pairs ``(a, b, similarity, same)``, by the
    similarity alone and by the similarity plus ``facts_agree``."""
    out = {}
    for name, decide in (
        ("similarity", lambda a, b, s: s >= threshold),
        ("similarity+facts", lambda a, b, s: s >= threshold and facts_agree(a, b)),
    ):
        said = [(decide(a, b, sim), same) for a, b, sim, same in labelled]
        true_pos = sum(d and same for d, same in said)
        predicted = sum(d for d, _ in said)
        actual = sum(same for _, same in said)
        out[name] = {
            "predicted": predicted,
            "correct": true_pos,
            "labelled_same": actual,
            "precision": true_pos / predicted if predicted else 1.0,
            "recall": true_pos / actual if actual else 1.0,
        }
    return out


def _calibrate_pool(argv: list[str]) -> int:
    """``calibrate-pool POOL --sample OUT`` writes pairs (with their text) to read and label;
    ``calibrate-pool POOL --labels FILE`` scores the labelled pairs."""
    import json

    pool, options = argv[0], dict(zip(argv[1::2], argv[2::2], strict=False))
    try:
        if "--sample" in options:
            items = pool_paragraphs(pool)
            pairs, population = sample_pool_pairs(
                items, per_band=int(options.get("--per-band", 40)), seed=int(options.get("--seed", 16))
            )
            with open(options["--sample"], "w", encoding="utf-8") as out:
                for pair in pairs:
                    a, b = pair_texts(pair, items)
                    out.write(json.dumps({**pair, "text_a": a, "text_b": b}, ensure_ascii=False) + "\n")
            print(
                f"{len(pairs)} pairs from {len(items)} items written to {options['--sample']} "
                f"(pairs in the pool by similarity band: {population})"
            )
            return 0
        if "--labels" in options:
            with open(options["--labels"], encoding="utf-8") as handle:
                pairs = [json.loads(line) for line in handle if line.strip()]
            items = pool_paragraphs(pool, {p[side] for p in pairs for side in ("a", "b")})
            labelled = [(*pair_texts(p, items), p["similarity"], p["label"] == "same") for p in pairs]
            threshold = float(options.get("--threshold", PARAGRAPH_THRESHOLD))
            print(
                f"{len(labelled)} labelled pairs, {sum(s for *_, s in labelled)} the same text; threshold {threshold}"
            )
            for name, row in score_pairs(labelled, threshold).items():
                print(
                    f"{name:>17}: precision {row['precision']:.3f} ({row['correct']}/{row['predicted']}), "
                    f"recall {row['recall']:.3f} ({row['correct']}/{row['labelled_same']})"
                )
            return 0
    except PoolMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        "usage: python -m pipeline.training.dedup_calibration calibrate-pool POOL "
        "(--sample OUT | --labels FILE [--threshold T])",
        file=sys.stderr,
    )
    return 2


def _main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "calibrate-pool":
        return _calibrate_pool(argv[1:])
    if len(argv) < 2 or argv[0] != "calibrate":
        print(
            "usage: python -m pipeline.training.dedup_calibration calibrate PATH... [--confusions FILE]\n"
            "       python -m pipeline.training.dedup_calibration calibrate-pool POOL (--sample OUT | --labels FILE)",
            file=sys.stderr,
        )
        return 2
    from ..stages import prepare_all

    confusions = None
    if "--confusions" in argv:
        at = argv.index("--confusions")
        confusions = load_confusions(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    texts = [p.text for doc in prepare_all(argv[1:]) if doc.ok for p in doc.paragraphs]
    # Repeats inside the seeds are what we must find, so they are not "distinct" paragraphs.
    index = DedupIndex()
    distinct: list[str] = []
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
