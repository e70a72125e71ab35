"""Ingest: run the pipeline over files and write each document to the store.

    paths (streamed) → skip content already stored (sha256) → per-document work in a pool
    (read, normalize, clean, dedup inside the document, extraction) → ONE writer (this process):
    corpus-wide dedup and the store, one transaction per document

The per-document work (:func:`process_path`) depends on nothing but the file, so it can run in
any process, on any machine (``--engine dask|ray``, see :mod:`kb.engines`), in any order.
Extraction deliberately gets no names from the store: a name found because an earlier document
was stored first would make the knowledge base depend on the order files arrive in (measured on
the seeds: entity F1 0.876 with the store's names, 0.870 without; relation F1 0.721 vs 0.725).

A document whose processing raises anything (RecursionError in deeply nested HTML, MemoryError,
a bug in a stage) comes back failed with the error; a worker process that dies is replaced and
its documents are tried again one by one, so the culprit alone is recorded failed.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import re
import traceback
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline import entities
from pipeline import extract as extraction
from pipeline.dedup import local_dedup
from pipeline.document import Document
from pipeline.read import HTML_SUFFIXES, TEXT_SUFFIXES, iter_paths, read
from pipeline.stages import run_stages

from .store import Store

# A newsletter issue is tens of kilobytes. A text file above this is a dump or a mistake, and
# processing it as one document would hold a worker for hours: it is refused with the reason.
MAX_TEXT_BYTES = 16 * 1024 * 1024
MAX_CHARS = 4_000_000
# Real pages nest a few dozen elements deep; BeautifulSoup's html.parser takes minutes (and may
# recurse past Python's limit) on hundreds of thousands of levels, so such input is refused first.
MAX_HTML_DEPTH = 400


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    failed: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


# --- the per-document work (runs in worker processes) -----------------------------------------

def process_path(path: str | os.PathLike[str]) -> Document:
    """Read one file and run every per-document stage on it; never raises.

    Returns the Document with paragraphs (repeats inside it marked), entities, relations and
    metrics, or failed with the reason. The raw bytes are dropped (they are not stored).
    """
    source = str(path)
    try:
        doc = _read_guarded(Path(path))
        if doc.ok:
            doc = process_document(doc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - RecursionError, MemoryError, ... from read()
        doc = Document(source=source)
        doc.fail(f"read stage crashed: {_describe(exc)}")
        doc.sha256 = _sha256_file(path) or ""
    doc.raw = b""
    return doc


def process_document(doc: Document) -> Document:
    """normalize → clean → dedup inside the document → extract, on a Document that has been read."""
    doc = run_stages(doc)
    if doc.ok:
        doc = run_stages(doc, [("dedup", local_dedup), ("extract", _extract)])
    return doc


def reprocess_stored(source: str, sha256: str, encoding: str | None, original: str) -> Document:
    """Run the stages again on a stored document's original text (the store re-extracts with it)."""
    doc = Document(source=source, sha256=sha256, encoding=encoding or "", original=original, text=original,
                   offsets=list(range(len(original))))
    return process_document(doc)


def _extract(doc: Document) -> Document:
    try:
        return extraction.extract(doc)
    finally:
        # The token cache may hold segmentations made while this document's names were forced
        # into jieba; the next document must not see them (its result would depend on order).
        entities.analyze.cache_clear()


def _read_guarded(path: Path) -> Document:
    """``pipeline.read.read`` with a size limit for text files and a length limit for any text."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read() records why the file cannot be read
    if path.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES and size > MAX_TEXT_BYTES:
        doc = Document(source=str(path), sha256=_sha256_file(path) or "")
        return doc.fail(f"file too large for one document: {size / 2**20:.1f} MiB of text "
                        f"(limit {MAX_TEXT_BYTES // 2**20} MiB); split it into issues")
    if path.suffix.lower() in HTML_SUFFIXES and size:
        depth = _html_depth(path)
        if depth > MAX_HTML_DEPTH:
            doc = Document(source=str(path), sha256=_sha256_file(path) or "")
            return doc.fail(f"HTML nested too deeply to process: {depth} levels (limit {MAX_HTML_DEPTH}); "
                            "broken or generated markup?")
    doc = read(path)
    if doc.ok and len(doc.original) > MAX_CHARS:
        doc.fail(f"text too long for one document: {len(doc.original)} characters (limit {MAX_CHARS})")
    return doc


_TAG = re.compile(rb"<(/?)([A-Za-z][\w:-]*)[^<>]*?(/?)>")
_VOID = {b"br", b"img", b"hr", b"meta", b"link", b"input", b"area", b"base", b"col", b"embed", b"source",
         b"track", b"wbr", b"param", b"p", b"li", b"td", b"tr", b"th", b"option"}  # also often left open


def _html_depth(path: Path) -> int:
    """Deepest nesting of elements, by a linear scan of the tags (html.parser is far slower on deep input)."""
    depth = deepest = 0
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES)
    for closing, name, self_closing in _TAG.findall(data):
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    message = str(exc)
    if isinstance(exc, RecursionError):
        message = "structure nested too deeply to process (broken or hostile HTML?)"
    return f"{type(exc).__name__}: {message[:300]}{where}"


def _sha256_file(path: str | os.PathLike[str]) -> str | None:
    """Content hash of a file, read in chunks (so a huge file costs no memory); None if unreadable."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


# --- mapping the work: in this process, a process pool, or a cluster --------------------------

def worker_init() -> None:
    """Set up a worker process: one torch thread each (the workers already fill the cores, and a
    forked OpenMP pool is not safe to reuse)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    else:
        os.environ["OMP_NUM_THREADS"] = "1"


def map_serial(items: Iterable[str]) -> Iterator[Document]:
    for item in items:
        yield process_path(item)


def map_pool(items: Iterable[str], workers: int, window: int | None = None) -> Iterator[Document]:
    """``process_path`` over ``items`` in ``workers`` processes, results in input order.

    At most ``window`` documents are in flight, so memory does not grow with the corpus. If a
    worker process dies (killed, out of memory, a crash in C code) the documents in flight are
    tried again one at a time in a fresh process: the one that kills it again is returned failed.
    """
    window = window or workers * 4
    items = iter(items)
    pending: deque = deque()
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=worker_init)
    try:
        while True:
            while len(pending) < window:
                item = next(items, None)
                if item is None:
                    break
                pending.append((item, pool.submit(process_path, item)))
            if not pending:
                pool.shutdown(wait=True)  # all done: reap the workers
                return
            item, future = pending.popleft()
            try:
                yield future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                retry = [item] + [i for i, _ in pending]
                pending.clear()
                for doc in map(_isolated, retry):
                    yield doc
                pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=worker_init)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _isolated(item: str) -> Document:
    """One document in a process of its own; a failed Document if that process dies."""
    with ProcessPoolExecutor(1, mp_context=get_context("fork"), initializer=worker_init) as pool:
        try:
            return pool.submit(process_path, item).result()
        except BrokenProcessPool:
            doc = Document(source=item, sha256=_sha256_file(item) or "")
            return doc.fail("the worker process died while processing this document (out of memory or a crash)")


# --- the writer -------------------------------------------------------------------------------

@contextmanager
def ingest_lock(db_path: str | os.PathLike[str], on_wait: Callable[[str], None] | None = None):
    """Hold ``DB.ingest.lock`` while ingesting: a second ``kb ingest`` on the same database waits.

    The lock is an advisory ``flock`` that the kernel releases when the process dies (kill -9
    included), so a crashed run never leaves a stale lock behind.
    """
    if str(db_path) == ":memory:":
        yield
        return
    lock_path = Path(f"{db_path}.ingest.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            if on_wait:
                on_wait(f"another kb ingest (pid {holder}) is writing to {db_path}; waiting for it to finish...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest(store: Store, paths: Iterable[str | os.PathLike[str]],
           progress: Callable[[str], None] | None = None, workers: int = 1, engine: str = "local",
           address: str | None = None, on_wait: Callable[[str], None] | None = None) -> IngestReport:
    """Read, process and store every file under ``paths``; already-stored content is skipped.

    ``workers`` > 1 runs the per-document work in a process pool; ``engine`` "dask" or "ray"
    runs it on that cluster (``address`` of its scheduler/head, else a local one with
    ``workers`` workers). This process is the only writer.
    """
    report = IngestReport()
    with ingest_lock(store.path, on_wait):
        todo = _to_process(store, paths, report, progress)
        if engine != "local":
            from .engines import engine_map

            results = engine_map(engine, todo, workers=workers, address=address)
        elif workers > 1:
            results = map_pool(todo, workers)
        else:
            results = map_serial(todo)
        for doc in results:
            if store.save(doc) is None:
                report.unchanged += 1
            elif doc.ok:
                report.added += 1
            else:
                report.failed += 1
                report.failures.append((doc.source, doc.error))
            if progress:
                progress(doc.source)
    return report


def _to_process(store: Store, paths: Iterable[str | os.PathLike[str]], report: IngestReport,
                progress: Callable[[str], None] | None) -> Iterator[str]:
    """The input files whose content is not stored yet (hashing is cheap; processing is not)."""
    for path in iter_paths(paths):
        sha = _sha256_file(path)
        if sha and store.has_document(sha):
            report.unchanged += 1
            if progress:
                progress(str(path))
            continue
        yield str(path)
