"""Stage 4: repeated paragraphs and documents become pointers; different paragraphs never merge."""
from __future__ import annotations

import random

from pipeline.dedup import DedupIndex, calibrate, damage, dedup, jaccard, PARAGRAPH_THRESHOLD
from pipeline.stages import prepare, prepare_all
from tests.conftest import CORPUS, seed


def _dedup_corpus():
    paragraphs, documents = DedupIndex(), DedupIndex(0.7)
    return [dedup(doc, paragraphs, documents) for doc in prepare_all([CORPUS])]


def test_thrice_printed_paragraph_in_000_is_stored_once_plus_two_pointers():
    docs = _dedup_corpus()
    seed000 = next(d for d in docs if "000_" in d.source)
    dups = [p for p in seed000.paragraphs if p.duplicate_of]
    assert len(dups) == 2
    targets = {p.duplicate_of for p in dups}
    assert len(targets) == 1
    original_idx = int(targets.pop().rsplit(":", 1)[1])
    assert seed000.paragraphs[original_idx].text.startswith("刘豫峰对企业应对疫情所做的努力")
    assert all(p.text.startswith("刘豫峰对企业应对疫情所做的努力") for p in dups)


def test_nothing_else_in_the_seeds_is_marked_duplicate():
    docs = _dedup_corpus()
    marked = [(d.source, p.idx) for d in docs for p in d.paragraphs if p.duplicate_of]
    assert len(marked) == 2
    assert all("000_" in source for source, _ in marked)
    assert not any(d.duplicate_of_document for d in docs)


def test_ocr_damaged_copy_in_another_document_points_to_the_original(tmp_path):
    original = prepare(seed("002"))
    index = DedupIndex()
    dedup(original, index)
    target = max(original.paragraphs, key=lambda p: len(p.text))
    damaged = damage(target.text, 0.05, random.Random(3))
    other = tmp_path / "copy.txt"
    other.write_text("转载文章\n\n" + damaged + "\n", encoding="utf-8")
    copy = dedup(prepare(other), index)
    pointer = [p.duplicate_of for p in copy.paragraphs if p.duplicate_of]
    assert pointer == [f"{original.sha256}:{target.idx}"]


def test_near_duplicate_document_is_detected(tmp_path):
    text = seed("004").read_text(encoding="utf-8")
    rng = random.Random(5)
    (tmp_path / "copy.txt").write_text("\n".join(damage(line, 0.03, rng) for line in text.splitlines()),
                                       encoding="utf-8")
    paragraphs, documents = DedupIndex(), DedupIndex(0.7)
    first = dedup(prepare(seed("004")), paragraphs, documents)
    second = dedup(prepare(tmp_path / "copy.txt"), paragraphs, documents)
    assert second.duplicate_of_document == first.sha256


def test_calibration_separates_distinct_from_damaged():
    texts = [p.text for d in _dedup_corpus() for p in d.paragraphs if not p.duplicate_of]
    numbers = calibrate(texts, rates=(0.05,))
    assert numbers["max_distinct"] < PARAGRAPH_THRESHOLD
    assert numbers["found_damaged@0.05"] >= 0.95


def test_jaccard_ignores_spaces_and_punctuation():
    assert jaccard("规范落 实，联合上党课。", "规范落实联合上党课") == 1.0
