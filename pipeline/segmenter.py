"""jieba as extraction uses it: a tokenizer of this process's own, and the words one document forces in.

The recognizers cut a paragraph with names they have confirmed forced in as single words (湖塘镇,
禾丰食品), and the metric rules cut clauses with the same dictionary. Those words belong to one
document: :meth:`Segmenter.scope` takes them out again when the document is done, so no result
depends on what was processed before it. The dictionary is a ``jieba.Tokenizer`` made here (the
default dictionary and ``models/lexicons/ent_jieba_user.txt``), not ``jieba.dt``: jieba's own
module-level tokenizers are never changed, whoever else uses them in the process.

:func:`segmenter` gives the process's one Segmenter (built on first use, about a second).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .gazetteer import _lex_lines
from .resources import models_dir

JIEBA_USER_DICT = models_dir() / "lexicons" / "ent_jieba_user.txt"
#: Runs of characters the dictionary does not know whose part-of-speech HMM answer is remembered.
HMM_MEMO_SIZE = 100_000


class Segmenter:
    """A jieba tokenizer and its part-of-speech tagger, with the words forced in for one document.

    ``freq`` is the dictionary (word -> frequency, 0 for a prefix that is no word), ``tags`` the
    part-of-speech table; both include the words added in the current scope.
    """

    def __init__(self) -> None:
        import jieba
        import jieba.posseg as pseg

        jieba.setLogLevel(60)
        self.tokenizer = jieba.Tokenizer()
        # Parsed here (not load_userdict) so that the file may carry # comment lines.
        for line in _lex_lines(JIEBA_USER_DICT):
            parts = line.split()
            self.tokenizer.add_word(
                parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None
            )
        self.tagger = _memo_tagger(pseg, self.tokenizer)
        #: Words added in the current scope, with the dictionary entries and tag they replaced.
        self.added: dict[str, tuple[dict[str, int | None], str | None]] = {}
        # What the scope's words replaced, entry by entry (the first value seen: the base dictionary's).
        self._base_freq: dict[str, int | None] = {}
        self._base_tag: dict[str, str | None] = {}
        self._depth = 0

    @property
    def freq(self) -> dict[str, int]:
        return self.tokenizer.FREQ

    @property
    def tags(self) -> dict[str, str]:
        return self.tagger.word_tag_tab

    def base_freq(self, word: str) -> int:
        """``word``'s frequency in the dictionary without the current scope's words (0 if none): for a
        judgement remembered across documents, which must not depend on which one came first."""
        if word in self._base_freq:
            return self._base_freq[word] or 0
        return self.tokenizer.FREQ.get(word, 0)

    def base_tag(self, word: str) -> str:
        """``word``'s part-of-speech tag without the current scope's words ("" if none)."""
        if word in self._base_tag:
            return self._base_tag[word] or ""
        return self.tagger.word_tag_tab.get(word, "")

    def state_for(self, text: str) -> frozenset[tuple[str, int | None, str | None]]:
        """All of the dictionary's present state that can change how ``text`` is cut: the scope's
        words that occur in ``text``, with their frequency and tag (every other entry a cut of
        ``text`` reads is the base dictionary's, and the total never changes: :meth:`add_word`).
        Equal states, equal cuts."""
        pending = self.tokenizer.user_word_tag_tab  # tags jieba merges into the table at its next cut
        return frozenset(
            (w, self.tokenizer.FREQ.get(w), pending.get(w) or self.tagger.word_tag_tab.get(w))
            for w in self.added
            if w in text
        )

    def cut(self, text: str, hmm: bool = True) -> Iterator[str]:
        """jieba's words of ``text``, as ``jieba.cut`` (``hmm``: cut unknown runs with its HMM)."""
        return self.tokenizer.cut(text, HMM=hmm)

    def posseg(self, text: str) -> Iterator[Any]:
        """jieba's (word, flag) pairs of ``text``, as ``jieba.posseg.cut``."""
        return self.tagger.cut(text)

    def add_word(self, word: str, tag: str) -> bool:
        """Make ``word`` one token until the current scope ends; False if it was added already."""
        if word in self.added:
            return False
        self.tagger.makesure_userdict_loaded()
        freqs = {word[: i + 1]: self.tokenizer.FREQ.get(word[: i + 1]) for i in range(len(word))}
        self.added[word] = (freqs, self.tagger.word_tag_tab.get(word))
        for fragment, freq in freqs.items():
            self._base_freq.setdefault(fragment, freq)
        self._base_tag.setdefault(word, self.added[word][1])
        total = self.tokenizer.total
        self.tokenizer.add_word(word, tag=tag)
        # The total stays the base dictionary's: a word forced in makes no other word rarer, and a
        # paragraph none of the forced-in words occur in is cut as before (``state_for``).
        self.tokenizer.total = total
        return True

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Words added inside the block (nested blocks included) are taken out on leaving the outermost."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self.added:
                self._restore()

    def _restore(self) -> None:
        self.tagger.makesure_userdict_loaded()
        for word, (freqs, tag) in reversed(list(self.added.items())):
            for fragment, freq in freqs.items():
                if freq is None:
                    self.tokenizer.FREQ.pop(fragment, None)
                else:
                    self.tokenizer.FREQ[fragment] = freq
            if tag is None:
                self.tagger.word_tag_tab.pop(word, None)
            else:
                self.tagger.word_tag_tab[word] = tag
        self.added.clear()
        self._base_freq.clear()
        self._base_tag.clear()


def _memo_tagger(pseg, tokenizer):
    """jieba.posseg's tokenizer over ``tokenizer``, with one difference: the HMM that cuts and tags a
    run of characters the dictionary does not know (a pure-Python Viterbi, a third of recognition's
    time) is :class:`PosHMM` (the same answers, faster), and a run met before is answered from
    memory. The tokens are jieba's."""
    hmm = PosHMM()

    class MemoPOSTokenizer(pseg.POSTokenizer):
        def __init__(self, base) -> None:
            super().__init__(base)
            self.memo: dict[str, tuple] = {}

        def _POSTokenizer__cut(self, sentence):  # the HMM over one unknown run (name-mangled in jieba)
            pairs = self.memo.get(sentence)
            if pairs is None:
                if len(self.memo) >= HMM_MEMO_SIZE:
                    self.memo.clear()
                pairs = self.memo[sentence] = tuple(pseg.pair(w, tag) for w, tag in hmm.cut(sentence))
            return iter(pairs)

    return MemoPOSTokenizer(tokenizer)


MIN_FLOAT, MIN_INF = -3.14e100, float("-inf")  # jieba.posseg.viterbi's


class PosHMM:
    """jieba.posseg's HMM over a run of characters: ``jieba.posseg.viterbi`` step for step, with the
    states a character may take after the states before it (and their emission) remembered per
    such pair. The scores are the same sums in the same order and a tie goes to the greater state,
    as in jieba's ``max`` over (score, state); tests/unit/test_segmenter.py compares the two."""

    STEPS_KEPT = 20_000  # about 1 KB each

    def __init__(self) -> None:
        from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P

        self.states, self.start, self.trans, self.emit = char_state_tab_P, start_P, trans_P, emit_P
        self._steps: dict[tuple[frozenset, str], tuple] = {}

    def _step(self, prev: frozenset, char: str) -> tuple[tuple[tuple[str, str], float], ...]:
        """(state, emission) for each state ``char`` may take after the states ``prev``."""
        key = (prev, char)
        step = self._steps.get(key)
        if step is None:
            expected = {y for x in prev for y in self.trans[x]}
            allowed = set(self.states.get(char, self.trans.keys())) & expected
            if not allowed:
                allowed = expected or set(self.trans.keys())
            step = tuple((y, self.emit[y].get(char, MIN_FLOAT)) for y in allowed)
            if len(self._steps) >= self.STEPS_KEPT:
                self._steps.clear()
            self._steps[key] = step
        return step

    def viterbi(self, obs: str) -> list[tuple[str, str]]:
        """The most likely (position, tag) state of each character."""
        score = {
            y: self.start[y] + self.emit[y].get(obs[0], MIN_FLOAT) for y in self.states.get(obs[0], self.trans.keys())
        }
        back: list[dict] = []
        for char in obs[1:]:
            prev = frozenset(x for x in score if self.trans[x])
            new, ptr = {}, {}
            for y, emit in self._step(prev, char):
                best, best_x = MIN_INF, None
                for x in prev:
                    tr = self.trans[x].get(y)
                    if tr is None:
                        continue
                    s = score[x] + tr + emit
                    if best_x is None or s > best or (s == best and x > best_x):
                        best, best_x = s, x
                if best_x is None or best == MIN_INF:  # jieba's own max, over every state before
                    best, best_x = max((score[x] + self.trans[x].get(y, MIN_INF) + emit, x) for x in prev)
                new[y], ptr[y] = best, best_x
            score = new
            back.append(ptr)
        _, state = max((s, y) for y, s in score.items())
        route = [state]
        for ptr in reversed(back):
            state = ptr[state]
            route.append(state)
        return route[::-1]

    def cut(self, sentence: str) -> list[tuple[str, str]]:
        """(word, tag) pairs of the run, as ``jieba.posseg.POSTokenizer.__cut``."""
        route = self.viterbi(sentence)
        out, begin, nexti = [], 0, 0
        for i, char in enumerate(sentence):
            pos = route[i][0]
            if pos == "B":
                begin = i
            elif pos == "E":
                out.append((sentence[begin : i + 1], route[i][1]))
                nexti = i + 1
            elif pos == "S":
                out.append((char, route[i][1]))
                nexti = i + 1
        if nexti < len(sentence):
            out.append((sentence[nexti:], route[nexti][1]))
        return out


_SEGMENTER: Segmenter | None = None


def segmenter() -> Segmenter:
    """The process's Segmenter (built on first use)."""
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = Segmenter()
    return _SEGMENTER
