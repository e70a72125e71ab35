"""The pipeline, in one place: the stages every document goes through, in order.

    read → normalize → clean → dedup → extract (entities, resolution, relations, metrics) → store

``prepare`` runs the per-document stages that need nothing but the document (safe to run in
parallel); dedup and the store need what came before, so ``kb.ingest`` runs them one at a time.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Iterator

from .clean import clean
from .document import Document
from .normalize import normalize
from .read import iter_paths, read, read_bytes

Stage = Callable[[Document], Document]

#: Stages that depend on nothing but the document itself.
PER_DOCUMENT_STAGES: list[tuple[str, Stage]] = [("normalize", normalize), ("clean", clean)]


def run_stages(doc: Document, stages: list[tuple[str, Stage]] = PER_DOCUMENT_STAGES) -> Document:
    """Run stages in order; a stage that raises marks the document failed, naming the stage."""
    for name, stage in stages:
        if not doc.ok:
            break
        try:
            doc = stage(doc)
        except Exception as exc:  # noqa: BLE001 - one bad document must not stop a corpus
            last = traceback.extract_tb(exc.__traceback__)[-1]
            doc.fail(
                f"{name} stage crashed: {type(exc).__name__}: {exc} ({os.path.basename(last.filename)}:{last.lineno})"
            )
    return doc


def prepare(path: str | os.PathLike[str]) -> Document:
    """Read a file and run the per-document stages on it."""
    return run_stages(read(path))


def prepare_text(text: str, source: str = "<text>") -> Document:
    """Run the per-document stages on text given directly (``kb extract``, tests)."""
    return run_stages(read_bytes(text.encode("utf-8"), source=source))


def prepare_all(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document]:
    """``prepare`` every input file under the given paths, in a stable order."""
    for path in iter_paths(paths):
        yield prepare(path)
