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
a bug in a stage) comes back failed with the error. The work always runs in worker processes, one
document at a time each, so that a document taking longer than its time budget can be stopped:
its worker is killed and replaced, and the document alone is recorded failed; so is the document
of a worker that dies. Workers die with the writer (``kill -9`` included).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import Pipe, get_context
from multiprocessing.connection import wait
from pathlib import Path

from pipeline import stages
from pipeline.document import Document
from pipeline.read import (
    HTML_SUFFIXES,
    IMAGE_SUFFIXES,
    PDF_SUFFIXES,
    TEXT_SUFFIXES,
    iter_paths,
    read,
    read_bytes,
    sniff,
)
from pipeline.records import Record, is_record_file, iter_records, parse_date

from .engines import engine_map
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


def process_item(item: str | Record) -> Document:
    """The work on one input: a file (:func:`process_path`) or a record of a file of records
    (:func:`process_record`); never raises."""
    return process_record(item) if isinstance(item, Record) else process_path(item)


def process_record(record: Record) -> Document:
    """Run every per-document stage on one record (``pipeline.records``); never raises.

    The record's date, when valid, is the document's (the clean stage keeps a date already set);
    its title replaces the one taken from the first line. A date that is not one is a warning.
    """
    try:
        if record.error:
            doc = Document(source=record.source)
            doc.fail(record.error)
        else:
            doc = read_guarded(record.source, raw=record.text.encode("utf-8"))
            doc.metadata = dict(record.metadata)
            if doc.ok:
                date = parse_date(record.metadata.get("date"))
                if date:
                    doc.date = date
                elif record.metadata.get("date") not in (None, ""):
                    doc.warnings.append(
                        f"metadata date {record.metadata['date']!r} is not a date; the text's date is used"
                    )
                doc = process_document(doc)
                title = record.metadata.get("title")
                if doc.ok and isinstance(title, str) and title.strip():
                    doc.title = title.strip()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - as process_path
        doc = Document(source=record.source)
        doc.fail(f"read stage crashed: {_describe(exc)}")
    doc.sha256 = record.sha256
    doc.raw = b""
    return doc


def process_path(path: str | os.PathLike[str]) -> Document:
    """Read one file and run every per-document stage on it; never raises.

    Returns the Document with paragraphs (repeats inside it marked), entities, relations and
    metrics, or failed with the reason. The raw bytes are dropped (they are not stored).
    """
    source = str(path)
    try:
        doc = read_guarded(path)
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
    """Every per-document stage (:data:`pipeline.stages.STAGES`) on a Document that has been read."""
    return stages.process(doc)


def read_guarded(path: str | os.PathLike[str], raw: bytes | None = None) -> Document:
    """Read one input with the limits every input goes through, ``kb ingest`` and ``kb extract``
    alike: text over ``MAX_TEXT_BYTES``, HTML nested deeper than ``MAX_HTML_DEPTH`` and text over
    ``MAX_CHARS`` characters come back failed with the reason, before any slow work is done.

    ``raw`` are the input's bytes when they come from elsewhere than the file at ``path`` (kb
    extract's standard input or text); ``path`` then only names the input (its suffix says HTML).
    """
    source = str(path)
    suffix = Path(source).suffix.lower()
    if raw is None:
        try:
            size = Path(path).stat().st_size
        except OSError:
            size = 0  # read() records why the file cannot be read
        is_text = suffix in TEXT_SUFFIXES
    else:
        size, is_text = len(raw), sniff(raw) is None and suffix not in PDF_SUFFIXES | IMAGE_SUFFIXES
    if is_text and size > MAX_TEXT_BYTES:
        doc = Document(source=source, sha256=(_sha256_file(path) or "") if raw is None else _sha256(raw))
        return doc.fail(
            f"file too large for one document: {size / 2**20:.1f} MiB of text "
            f"(limit {MAX_TEXT_BYTES // 2**20} MiB); split it into issues"
        )
    if is_text and size:
        data = raw if raw is not None else _head(path)
        depth = _html_depth(data) if suffix in HTML_SUFFIXES or _looks_like_html(data) else 0
        if depth > MAX_HTML_DEPTH:
            doc = Document(source=source, sha256=(_sha256_file(path) or "") if raw is None else _sha256(raw))
            return doc.fail(
                f"HTML nested too deeply to process: {depth} levels (limit {MAX_HTML_DEPTH}); "
                "broken or generated markup?"
            )
    doc = read(path) if raw is None else read_bytes(raw, source=source, is_html=suffix in HTML_SUFFIXES)
    if doc.ok and len(doc.original) > MAX_CHARS:
        doc.fail(f"text too long for one document: {len(doc.original)} characters (limit {MAX_CHARS})")
    return doc


_TAG = re.compile(rb"<(/?)([A-Za-z][\w:-]*)[^<>]*?(/?)>")
_VOID = {
    b"br",
    b"img",
    b"hr",
    b"meta",
    b"link",
    b"input",
    b"area",
    b"base",
    b"col",
    b"embed",
    b"source",
    b"track",
    b"wbr",
    b"param",
    b"p",
    b"li",
    b"td",
    b"tr",
    b"th",
    b"option",
}  # also often left open


def _head(path: str | os.PathLike[str]) -> bytes:
    """The first ``MAX_TEXT_BYTES`` of a file (b"" if it cannot be read: read() says why)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_TEXT_BYTES)
    except OSError:
        return b""


def _looks_like_html(data: bytes) -> bool:
    """True when ``read`` will parse these bytes as HTML whatever the file is called."""
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith((b"<!doctype html", b"<html"))


def _html_depth(data: bytes) -> int:
    """Deepest nesting of elements, by a linear scan of the tags (html.parser is far slower on deep input)."""
    depth = deepest = 0
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


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


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


# --- mapping the work: worker processes with a time budget, or a cluster ---------------------

#: Seconds one document may take, from reading to extraction, before its worker process is killed
#: and the document recorded failed (``kb ingest --doc-timeout``). A newsletter issue takes a second
#: or two; the budget is for input that no rule was written for. It needs a process to kill: Python's
#: ``re`` cannot be interrupted, not even by a signal, so the work never runs in the writer itself.
DOC_TIMEOUT = 120.0

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Descriptors of the ingest locks this process holds: a forked worker closes its copies.
_LOCK_FDS: set[int] = set()


def worker_init(parent: int | None = None) -> None:
    """Set up a worker process: one torch thread each (the workers already fill the cores, and a
    forked OpenMP pool is not safe to reuse); Ctrl-C is the parent's to handle; no copy of the
    ingest lock; and death with ``parent`` (its pid), so that ``kill -9`` of an ingest leaves no
    worker behind."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    else:
        os.environ["OMP_NUM_THREADS"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in list(_LOCK_FDS):
        os.close(fd)  # the lock is the writer's: a worker that outlived it must not keep it taken
        _LOCK_FDS.discard(fd)
    if parent is None:
        return
    try:  # Linux: the kernel kills this process when the parent dies, even mid-regex
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
    # Elsewhere (and as a second line): a thread that notices the parent is gone. It cannot run
    # while a regular expression holds the interpreter, which is why the signal comes first.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _work(conn, parent: int) -> None:
    """A worker's loop: paths in, processed Documents out, until told to stop."""
    worker_init(parent)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        conn.send(process_item(item))


class _Worker:
    """A forked worker process and the pipe to it; ``job`` is (index, path or record, deadline) while busy."""

    def __init__(self) -> None:
        self.conn, theirs = Pipe()
        self.process = get_context("fork").Process(target=_work, args=(theirs, os.getpid()), daemon=True)
        self.process.start()
        theirs.close()
        self.job: tuple[int, str | Record, float] | None = None

    def start(self, index: int, item: str | Record, timeout: float) -> None:
        self.conn.send(item)
        self.job = (index, item, time.monotonic() + timeout)

    def stop(self, kill: bool = False) -> None:
        if self.process.is_alive():
            try:
                if kill:
                    raise OSError
                self.conn.send(None)
            except OSError:
                self.process.kill()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.conn.close()


def map_pool(
    items: Iterable[str | Record], workers: int = 1, window: int | None = None, timeout: float = DOC_TIMEOUT
) -> Iterator[Document]:
    """``process_item`` over ``items`` (paths, records) in ``workers`` worker processes, results in input order.

    At most ``window`` documents are taken from ``items`` ahead of the results handed out, so
    memory does not grow with the corpus. A document whose processing takes longer than
    ``timeout`` seconds comes back failed ("processing took longer than N s") and its worker is
    replaced, as is a worker that dies (killed, out of memory, a crash in C code): only the
    document it was working on is recorded failed.
    """
    window = max(window or workers * 4, 1)
    items = iter(items)
    waiting: deque[tuple[int, str | Record]] = deque()  # taken from items, not started yet
    done: dict[int, Document] = {}
    pool: list[_Worker] = []
    taken = handed = 0
    exhausted = False
    try:
        while True:
            while not exhausted and taken - handed < window:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                waiting.append((taken, item))
                taken += 1
            while waiting:
                idle = next((w for w in pool if w.job is None), None)
                if idle is None and len(pool) < workers:
                    idle = _Worker()
                    pool.append(idle)
                if idle is None:
                    break
                idle.start(*waiting.popleft(), timeout)
            if handed in done:
                yield done.pop(handed)
                handed += 1
                continue
            busy = [w for w in pool if w.job is not None]
            if not busy:
                return
            _collect(busy, pool, done, timeout)
    finally:
        for worker in pool:
            worker.stop(kill=True)


def _collect(busy: list[_Worker], pool: list[_Worker], done: dict[int, Document], timeout: float) -> None:
    """Wait for the first result, death or missed deadline among the busy workers and record it."""
    now = time.monotonic()
    jobs = [(w, w.job) for w in busy if w.job is not None]  # all of them: a busy worker has a job
    first_deadline = min(job[2] for _, job in jobs)
    ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], max(first_deadline - now, 0))
    now = time.monotonic()
    for worker, (index, item, deadline) in jobs:
        if worker.conn in ready or worker.process.sentinel in ready:
            try:
                if worker.conn.poll():
                    done[index] = worker.conn.recv()
                    worker.job = None
                    continue
            except (EOFError, OSError):
                pass
            done[index] = _failed(
                item, "the worker process died while processing this document (out of memory or a crash)"
            )
        elif now >= deadline:
            done[index] = _failed(
                item,
                f"processing took longer than {timeout:g} s (the time budget "
                "for one document; kb ingest --doc-timeout)",
            )
        else:
            continue
        worker.stop(kill=True)
        pool.remove(worker)


def _failed(item: str | Record, reason: str) -> Document:
    if isinstance(item, Record):
        return Document(source=item.source, sha256=item.sha256).fail(reason)
    doc = Document(source=item, sha256=_sha256_file(item) or "")
    return doc.fail(reason)


# --- the writer -------------------------------------------------------------------------------


@contextmanager
def ingest_lock(db_path: str | os.PathLike[str], on_wait: Callable[[str], None] | None = None):
    """Hold ``DB.ingest.lock`` while ingesting: a second ``kb ingest`` on the same database waits.

    The lock is a POSIX record lock (``lockf``). It belongs to this process alone: forked workers
    do not inherit it (they also close their copy of the descriptor), and the kernel drops it when
    this process dies, ``kill -9`` included, so a lock whose owner is gone is free for the next
    run. (It was a ``flock``, which belongs to the open file and so to every process holding a copy
    of the descriptor: the workers of a killed run kept it, and the next run waited forever.)
    """
    if str(db_path) == ":memory:":
        yield
        return
    lock_path = Path(f"{db_path}.ingest.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "?"
            if on_wait:
                on_wait(f"another kb ingest (pid {holder}) is writing to {db_path}; waiting for it to finish...")
            fcntl.lockf(handle, fcntl.LOCK_EX)
        _LOCK_FDS.add(handle.fileno())
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            _LOCK_FDS.discard(handle.fileno())
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.lockf(handle, fcntl.LOCK_UN)


def ingest(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    engine: str = "local",
    address: str | None = None,
    on_wait: Callable[[str], None] | None = None,
    doc_timeout: float = DOC_TIMEOUT,
) -> IngestReport:
    """Read, process and store every file under ``paths``; already-stored content is skipped.

    The per-document work runs in ``workers`` worker processes (one included), each document
    within ``doc_timeout`` seconds or recorded failed; ``engine`` "dask" or "ray" runs it on that
    cluster instead (``address`` of its scheduler/head, else a local one with ``workers``
    workers; no time budget there). This process is the only writer.
    """
    report = IngestReport()
    with ingest_lock(store.path, on_wait):
        todo = _to_process(store, paths, report, progress)
        if engine != "local":
            results = engine_map(engine, process_item, todo, workers=workers, address=address)
        else:
            results = map_pool(todo, workers, timeout=doc_timeout)
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
        store.release_free_pages()
    return report


def _to_process(
    store: Store, paths: Iterable[str | os.PathLike[str]], report: IngestReport, progress: Callable[[str], None] | None
) -> Iterator[str | Record]:
    """The input files, and the records of files of records, whose content is not stored yet
    (hashing is cheap; processing is not)."""
    for path in iter_paths(paths):
        items = iter_records(path) if is_record_file(path) else [str(path)]
        for item in items:
            sha = item.sha256 if isinstance(item, Record) else _sha256_file(item)
            if sha and store.has_document(sha):
                report.unchanged += 1
                if progress:
                    progress(item.source if isinstance(item, Record) else item)
                continue
            yield item
