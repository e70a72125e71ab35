"""The data that flows through the pipeline: one Document, its Paragraphs, and what is found in them.

Every text that a stage produces carries an offset map back to the document's original (decoded)
text, so that any span found later can be traced to the characters it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Span:
    """An entity mention: ``text[start:end]`` of its paragraph, with a type from the ontology.

    ``name`` is the canonical name once resolution has run (until then it equals ``text``);
    ``source`` names the recognizer that found it (gazetteer, pattern, jieba, model, ...).
    """

    start: int
    end: int
    text: str
    type: str
    name: str = ""
    source: str = ""
    confidence: float = 1.0
    paragraph_idx: int = -1

    def __post_init__(self) -> None:
        if not self.name:
            self.name = self.text


@dataclass
class Relation:
    """(subject, predicate, object) between two entity names, with the sentence that says it."""

    subject: str
    predicate: str
    object: str
    evidence: str
    confidence: float = 0.5
    paragraph_idx: int = -1
    subject_type: str = ""
    object_type: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Metric:
    """A stated quantity: value normalized to a number, with its unit, indicator and raw text."""

    indicator: str
    value: float
    unit: str
    raw: str
    subject_text: str = ""
    subject: str = ""  # canonical entity name when the subject is a known entity
    period: str = ""
    start: int = -1
    end: int = -1
    paragraph_idx: int = -1


@dataclass
class Paragraph:
    """One cleaned paragraph.

    ``offsets[i]`` is the index in ``Document.original`` of the character ``text[i]`` came from;
    ``original`` is the slice of the original text the paragraph spans.
    ``duplicate_of`` points at the paragraph this one repeats: ``(document key, paragraph idx)``
    while in memory, a paragraph id once stored.
    """

    idx: int
    text: str
    offsets: list[int]
    original: str = ""
    kind: str = "body"  # body | heading
    duplicate_of: Any = None
    similarity: float = 0.0

    @property
    def start(self) -> int:
        return self.offsets[0] if self.offsets else 0

    @property
    def end(self) -> int:
        return self.offsets[-1] + 1 if self.offsets else 0

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` back to a (start, end) range of the document's original text."""
        if start >= end or not self.offsets:
            return (self.start, self.start)
        return (self.offsets[start], self.offsets[end - 1] + 1)


@dataclass
class Aside:
    """A line kept aside from the body: a byline, a photo credit, a sponsor line or a caption."""

    kind: str  # byline | photo_credit | sponsor | caption | noise
    text: str
    start: int = -1  # offset in the original text
    value: str = ""  # the name in a byline or credit


@dataclass
class Document:
    """A document as it moves through the stages.

    ``original`` is the decoded source text, never modified. ``text`` is the current working text
    and ``offsets`` maps each of its characters to ``original``. Stages fill the other fields.
    """

    source: str
    raw: bytes = b""
    sha256: str = ""
    encoding: str = ""
    original: str = ""
    text: str = ""
    offsets: list[int] = field(default_factory=list)
    script: str = ""  # simplified | traditional | mixed | none
    # Offsets in ``original`` where each page starts (PDF and scanned sources; empty otherwise).
    page_starts: list[int] = field(default_factory=list)
    title: str = ""
    date: str | None = None
    # A record's fields besides its text (pipeline.records): title, date, source, url, ...
    metadata: dict = field(default_factory=dict)
    paragraphs: list[Paragraph] = field(default_factory=list)
    asides: list[Aside] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: str = "ok"  # ok | failed
    error: str = ""
    duplicate_of_document: str | None = None
    entities: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    # MinHash values of its paragraphs and whole text by exact key (pipeline.dedup), made where the
    # document is processed so that the single writer does not hash the same text again.
    signatures: dict[str, Any] = field(default_factory=dict, repr=False)

    def fail(self, reason: str) -> Document:
        """Mark the document failed with a human-readable reason and return it."""
        self.status = "failed"
        self.error = reason
        return self

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def page_of(self, offset: int) -> int | None:
        """1-based page number of an offset in ``original``, or None for a source without pages."""
        if not self.page_starts:
            return None
        from bisect import bisect_right

        return max(bisect_right(self.page_starts, offset), 1)

    @property
    def body_text(self) -> str:
        """The cleaned text of all paragraphs, one per line (what extraction offsets refer to)."""
        return "\n".join(p.text for p in self.paragraphs)
