"""The Segmenter's part-of-speech HMM gives jieba's answers; the tagger over it gives jieba's tokens."""

import random
import re
from pathlib import Path

import jieba.posseg as pseg

from pipeline.segmenter import PosHMM, segmenter

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _runs_of_the_corpus(printed: int = 600, random_runs: int = 600) -> list[str]:
    """Runs of Chinese characters from the bundled newsletters: runs as printed (up to 30
    characters) and random stretches and mixes of their characters, which make pairs the text
    never has."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    runs = sorted({run[:30] for run in re.findall(r"[\u4e00-\u9fd5]+", text)})
    rng = random.Random(7)
    chosen = set(rng.sample(runs, min(printed, len(runs))))
    han = "".join(re.findall(r"[\u4e00-\u9fd5]", text))
    while len(chosen) < printed + random_runs:
        start = rng.randrange(len(han) - 12)
        chosen.add(han[start : start + rng.randrange(1, 12)])
        chosen.add("".join(rng.choice(han) for _ in range(rng.randrange(1, 8))))
    return sorted(chosen)


def test_the_hmm_gives_jiebas_answer_for_every_run():
    jiebas = pseg.POSTokenizer(pseg.dt.tokenizer)
    hmm = PosHMM()
    runs = _runs_of_the_corpus()
    expected = [[(p.word, p.flag) for p in jiebas._POSTokenizer__cut(run)] for run in runs]
    assert [hmm.cut(run) for run in runs] == expected
    assert [hmm.cut(run) for run in runs] == expected  # again, with the steps remembered


def test_the_tagger_cuts_a_paragraph_as_jieba_does():
    """Whole paragraphs (dictionary words, unknown runs, numbers, Latin letters) through the
    Segmenter's tagger and through jieba's own over the same dictionary and tag table."""
    seg = segmenter()
    seg.tagger.makesure_userdict_loaded()
    jiebas = pseg.POSTokenizer(seg.tokenizer)
    jiebas.word_tag_tab = seg.tags
    paragraphs = [
        p for f in sorted(CORPUS.glob("*.txt")) for p in f.read_text(encoding="utf-8").splitlines() if p.strip()
    ]
    for paragraph in paragraphs[:200]:
        assert [(w.word, w.flag) for w in seg.posseg(paragraph)] == [(w.word, w.flag) for w in jiebas.cut(paragraph)]
