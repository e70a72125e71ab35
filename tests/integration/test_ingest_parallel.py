"""Parallel ingest: a process pool, Dask and Ray give the same knowledge base as one process."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.ingest import ingest, map_pool
from kb.store import Store
from tests.integration.test_ingest_incremental import make_docs, snapshot


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two related newsletters (a shared paragraph, different dates) and their serial ingest.

    Kept small: most of the time here is worker processes starting (jieba, spaCy).
    """
    folder = tmp_path_factory.mktemp("parallel")
    make_docs(folder / "in")["a"].unlink()
    store = Store(folder / "serial.sqlite")
    report = ingest(store, [folder / "in"], workers=1)
    assert report.added == 2 and snapshot(store)["duplicate_paragraphs"]
    return folder, snapshot(store)


def test_process_pool_gives_the_serial_result(corpus, tmp_path):
    folder, expected = corpus
    store = Store(tmp_path / "pool.sqlite")
    report = ingest(store, [folder / "in"], workers=2)
    assert (report.added, report.failed) == (2, 0)
    assert snapshot(store) == expected


def test_two_workers_and_the_reverse_order_give_the_serial_result(corpus, tmp_path):
    """Entities, relations, metrics and duplicates do not depend on the number of workers or on
    the order the files are given in (nothing a document teaches jieba outlives it)."""
    folder, expected = corpus
    store = Store(tmp_path / "reversed.sqlite")
    paths = sorted((folder / "in").iterdir(), reverse=True)
    report = ingest(store, paths, workers=2)
    assert (report.added, report.failed) == (2, 0)
    assert snapshot(store) == expected


def test_pool_streams_and_keeps_input_order(corpus):
    folder, _ = corpus
    paths = sorted(str(p) for p in (folder / "in").iterdir())
    consumed = []

    def feed():
        for path in paths:
            consumed.append(path)
            yield path

    results = map_pool(feed(), workers=2, window=2)
    first = next(results)
    assert first.source == paths[0] and first.ok
    assert len(consumed) == 2  # only a window's worth of paths taken, not the whole corpus
    assert [doc.source for doc in results] == paths[1:]


def test_cli_workers_option_and_progress_bar(corpus, tmp_path):
    folder, expected = corpus
    db = str(tmp_path / "cli.sqlite")
    result = CliRunner().invoke(
        main, ["ingest", str(folder / "in"), "--db", db, "--workers", "2"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "2 added, 0 unchanged, 0 failed" in result.output
    assert "doc/s" in result.stderr and "2/2" in result.stderr  # tqdm: rate and count (ETA while running)
    assert snapshot(Store(db)) == expected


@pytest.mark.parametrize("engine, module", [("dask", "distributed"), ("ray", "ray")])
def test_engine_local_cluster_of_two_workers(corpus, tmp_path, engine, module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{engine} not installed (optional extra: pip install 'cluster-kb[{engine}]')")
    folder, expected = corpus
    store = Store(tmp_path / f"{engine}.sqlite")
    report = ingest(store, [folder / "in"], workers=2, engine=engine)
    assert (report.added, report.failed) == (2, 0)
    assert snapshot(store) == expected


def test_a_missing_engine_gives_a_clear_error(corpus, tmp_path, monkeypatch):
    folder, _ = corpus
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    result = CliRunner().invoke(
        main, ["ingest", str(folder / "in"), "--db", str(tmp_path / "x.sqlite"), "--engine", "ray", "-q"]
    )
    assert result.exit_code == 1
    assert "--engine ray needs ray, which is not installed" in result.output
