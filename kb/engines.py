"""Run the per-document work on a distributed engine: ``kb ingest --engine dask|ray``.

Only the per-document work (``kb ingest`` hands over :func:`kb.ingest.process_item`) runs on the
cluster (read, normalize, clean, dedup inside the document, extraction); results stream back to the
one process that writes SQLite, which also does corpus-wide dedup. At most ``window`` documents are
in flight, so neither side holds the corpus.

Both engines are optional extras, imported only when asked for. On a real cluster every worker
needs cluster-kb installed (same version) and the input files at the same paths (a shared or
identically mounted filesystem); the database stays on the machine running ``kb ingest``.

    dask:  dask scheduler                              # on the head node
           dask worker tcp://HEAD:8786 --nthreads 1    # on each machine (one process per core:
                                                       #   --nworkers auto)
           kb ingest /shared/corpus --engine dask --address tcp://HEAD:8786
    ray:   ray start --head; ray start --address HEAD:6379 (each machine)
           kb ingest /shared/corpus --engine ray --address HEAD:6379   (or "auto" on a node)

Without ``--address`` a local cluster of ``--workers`` processes is started and stopped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from pipeline.document import Document

ENGINES = ("dask", "ray")
# What ``work`` takes: for kb ingest a path or a record of a file of records.
Item = TypeVar("Item")


class EngineMissing(RuntimeError):
    """The engine asked for is not installed."""


def engine_map(
    engine: str,
    work: Callable[[Item], Document],
    items: Iterable[Item],
    workers: int = 2,
    address: str | None = None,
    window: int | None = None,
) -> Iterator[Document]:
    """``work`` (``kb.ingest.process_item``) over ``items`` (paths, records) on ``engine``, results in
    input order. ``work`` is passed in, not imported: the engines know nothing of ingest."""
    window = window or max(2, workers) * 4
    if engine == "dask":
        return _dask_map(work, items, workers, address, window)
    if engine == "ray":
        return _ray_map(work, items, workers, address, window)
    raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")


def _missing(engine: str, extra: str) -> EngineMissing:
    return EngineMissing(
        f"--engine {engine} needs {extra}, which is not installed: "
        f"pip install 'cluster-kb[{engine}]' (or pip install '{extra}')"
    )


def _windowed(items: Iterable[Item], submit, result, window: int) -> Iterator[Document]:
    pending: deque = deque()
    items = iter(items)
    while True:
        while len(pending) < window:
            item = next(items, None)
            if item is None:
                break
            pending.append(submit(item))
        if not pending:
            return
        yield result(pending.popleft())


def _dask_map(
    work: Callable[[Item], Document], items: Iterable[Item], workers: int, address: str | None, window: int
) -> Iterator[Document]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise _missing("dask", "dask[distributed]") from exc

    cluster = None
    if address is None:
        # Processes, one thread each: the stages are pure Python and hold the GIL.
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
    client = Client(address or cluster)
    try:
        # pure=False: the same path may hold new content on a later call.
        yield from _windowed(items, lambda p: client.submit(work, p, pure=False), lambda f: f.result(), window)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _ray_map(
    work: Callable[[Item], Document], items: Iterable[Item], workers: int, address: str | None, window: int
) -> Iterator[Document]:
    try:
        import ray
    except ImportError as exc:
        raise _missing("ray", "ray") from exc

    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
    remote = ray.remote(num_cpus=1, max_retries=1)(work)
    try:
        yield from _windowed(items, lambda p: remote.remote(p), ray.get, window)
    finally:
        if started:
            ray.shutdown()
