"""Ingest: run the pipeline over files and write each document to the store.

The composition of stages lives in :mod:`pipeline.stages`; this module adds what needs the store:
skipping known content, dedup against everything stored, and extraction with known entities.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

from pipeline import extract as extraction
from pipeline.dedup import dedup
from pipeline.read import iter_paths, read
from pipeline.stages import run_stages

from .store import Store


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    failed: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def ingest(store: Store, paths: Iterable[str | os.PathLike[str]],
           progress: Callable[[str], None] | None = None) -> IngestReport:
    """Read, process and store every file under ``paths``; already-stored content is skipped."""
    report = IngestReport()
    paragraph_index, document_index = store.dedup_indexes()
    for path in iter_paths(paths):
        doc = read(path)
        if doc.sha256 and store.has_document(doc.sha256):
            report.unchanged += 1
        else:
            doc = run_stages(doc)
            if doc.ok:
                doc = dedup(doc, paragraph_index, document_index)
                doc = run_stages(doc, [("extract", lambda d: extraction.extract(d, store.known_entities()))])
            store.save(doc)
            if doc.ok:
                report.added += 1
            else:
                report.failed += 1
                report.failures.append((doc.source, doc.error))
        if progress:
            progress(str(path))
    return report
