"""The recognizer protocol, the span a recognizer returns, and names already known (KnownEntities and their layer)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from ...document import Span
from .tokens import token_boundaries

if TYPE_CHECKING:
    from spacy.matcher import PhraseMatcher

# --------------------------------------------------------------------------- protocol / known


class Recognizer(Protocol):
    """A layer of recognition: ``name`` and ``__call__(text) -> list[Span]`` (offsets into text)."""

    name: str

    def __call__(self, text: str) -> list[Span]: ...


@lru_cache(maxsize=1)
def _char_nlp():
    """A blank Chinese spaCy pipeline that tokenizes by character (for the phrase matcher)."""
    import spacy

    return spacy.blank("zh")


@dataclass
class KnownEntities:
    """Entities already confirmed (in the store, or earlier in the same document).

    ``types`` maps a canonical name to its type; ``aliases`` maps a surface form to its canonical
    name. Both canonical names and aliases are found again in new text.
    """

    types: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    _matcher: PhraseMatcher | None = field(default=None, repr=False, compare=False)

    def add(self, name: str, type_: str, aliases: Iterable[str] = ()) -> None:
        """Add (or confirm) a canonical name of a type, with surface forms that mean it."""
        self.types.setdefault(name, type_)
        for a in aliases:
            if a and a != name and a not in self.types:
                self.aliases.setdefault(a, name)
        self._matcher = None

    def update(self, other: KnownEntities) -> None:
        """Add every name and alias of ``other``."""
        for n, t in other.types.items():
            self.types.setdefault(n, t)
        for a, n in other.aliases.items():
            if a not in self.types:
                self.aliases.setdefault(a, n)
        self._matcher = None

    def copy(self) -> KnownEntities:
        return KnownEntities(dict(self.types), dict(self.aliases))

    def canonical(self, surface: str) -> str | None:
        """The canonical name a surface form stands for, or None."""
        if surface in self.types:
            return surface
        return self.aliases.get(surface)

    def type_of(self, surface: str) -> str | None:
        c = self.canonical(surface)
        return self.types.get(c) if c else None

    def find(self, text: str) -> list[tuple[int, int]]:
        """Leftmost-longest, non-overlapping (start, end) of every known name or alias in ``text``.

        A spaCy PhraseMatcher over a character-tokenized Doc: it looks names up by hash, so the
        cost does not grow with the number of names the store holds (a regex alternation does).
        """
        if self._matcher is None:
            forms = [f for f in {*self.types, *self.aliases} if len(f) >= 2]
            if not forms:
                return []
            from spacy.matcher import PhraseMatcher

            nlp = _char_nlp()
            self._matcher = PhraseMatcher(nlp.vocab)
            self._matcher.add("KNOWN", list(nlp.tokenizer.pipe(forms)))
        doc = _char_nlp().make_doc(text)
        found = sorted(
            ((doc[s:e].start_char, doc[s:e].end_char) for _, s, e in self._matcher(doc)),
            key=lambda se: (se[0], se[0] - se[1]),
        )
        spans: list[tuple[int, int]] = []
        for start, end in found:
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
        return spans

    def __len__(self) -> int:
        return len(self.types)


def _span(text: str, s: int, e: int, type_: str, source: str, conf: float, name: str = "") -> Span:
    surface = text[s:e]
    return Span(s, e, surface, type_, name=name or re.sub(r"\s+", "", surface), source=source, confidence=conf)


class KnownRecognizer:
    """Names and aliases already confirmed (``KnownEntities``), found again as whole words."""

    name = "known"

    def __init__(self, known: KnownEntities):
        self.known = known

    def __call__(self, text: str) -> list[Span]:
        matches = self.known.find(text)
        if not matches:
            return []
        bounds = token_boundaries(text)
        spans = []
        for s, e in matches:
            surface = text[s:e]
            # Short forms (two or three characters) must be whole words, not part of a longer one.
            if len(surface) <= 3 and (s not in bounds or e not in bounds):
                continue
            canon = self.known.canonical(surface) or surface
            type_ = self.known.types.get(canon)
            if not type_:
                continue
            spans.append(Span(s, e, surface, type_, name=surface, source=self.name, confidence=0.85))
        return spans
