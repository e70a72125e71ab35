"""The pipeline, in one place: the stages every document goes through, in order.

    read → normalize → clean → dedup (inside the document) → extract → [corpus-wide dedup → store]

:data:`STAGES` is the list and :func:`process` runs it on a document that has been read: ``kb
ingest`` (kb/ingest.py, in worker processes or on a cluster, kb/engines.py), ``kb extract`` and
``kb eval`` (kb/extraction.py) all run this list; none assembles stages of its own. The two
stages that need what came before, corpus-wide dedup and the store, run one document at a time
in the writer (kb/store/writer.py). :data:`TEXT_STAGES` (normalize, clean) prepare text for the training
and calibration tools (pipeline/training/).

Each stage takes a Document and returns it; a stage that raises fails that document alone, with
the stage's name and the place in the code (:func:`run_stages`).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Iterator

from .clean import clean
from .dedup import local_dedup
from .document import Document
from .extract import extract
from .normalize import normalize
from .read import iter_paths, read, read_bytes

Stage = Callable[[Document], Document]


#: Normalize and clean: what a text needs before anything reads it (training, calibration).
TEXT_STAGES: list[tuple[str, Stage]] = [("normalize", normalize), ("clean", clean)]
#: Every per-document stage, in order (stage 4 here is dedup inside the document: a paragraph printed
#: twice points at its first copy; corpus-wide dedup happens in the store).
STAGES: list[tuple[str, Stage]] = [*TEXT_STAGES, ("dedup", local_dedup), ("extract", extract)]


def stages_until(name: str) -> list[tuple[str, Stage]]:
    """The stages before the one called ``name`` (``kb extract`` batches the model before "extract")."""
    names = [stage_name for stage_name, _ in STAGES]
    return STAGES[: names.index(name)]


def process(doc: Document) -> Document:
    """Run every stage (:data:`STAGES`) on a document that has been read; never raises."""
    return run_stages(doc, STAGES)


def run_stages(doc: Document, stages: list[tuple[str, Stage]] = TEXT_STAGES) -> Document:
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
    """Read a file and normalize and clean it (:data:`TEXT_STAGES`)."""
    return run_stages(read(path))


def prepare_text(text: str, source: str = "<text>") -> Document:
    """Normalize and clean text given directly (training, tests)."""
    return run_stages(read_bytes(text.encode("utf-8"), source=source))


def prepare_all(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document]:
    """``prepare`` every input file under the given paths, in a stable order."""
    for path in iter_paths(paths):
        yield prepare(path)
