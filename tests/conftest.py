"""Shared fixtures: paths to the bundled seeds and a fresh knowledge base per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests' texts are the seed newsletters and sentences written like them: the newsletter genre
# (README, "Genres"), as `make run` and `make eval` use for them. Tests of the news genre set it.
os.environ.setdefault("KB_GENRE", "newsletter")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def seed(prefix: str) -> Path:
    """The bundled seed newsletter whose file name starts with ``prefix`` (000 … 004)."""
    return next(CORPUS.glob(f"{prefix}_*.txt"))


def records_kb(folder: Path, records: list[dict], genre: str = "news") -> str:
    """A knowledge base built from ``records`` written as one JSONL file (one document each) in
    ``folder``, every record ingested; returns its path."""
    import json

    from kb.ingest import ingest
    from kb.store import Store

    items = folder / "items.jsonl"
    items.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    path = folder / "kb.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KB_GENRE", genre)  # news items, as kb ingest reads them by default
        assert ingest(Store(path), [items]).added == len(records)
    return str(path)


@pytest.fixture
def store(tmp_path):
    from kb.store import Store

    return Store(tmp_path / "kb.sqlite")


def seeds_kb(tmp_path_factory) -> Path:
    """The seeds ingested once per test session, with the dashboard views (shared, read-only)."""
    from kb.ingest import ingest
    from kb.store import Store
    from kb.views import create_views

    path = tmp_path_factory.getbasetemp() / "seeds-kb" / "kb.sqlite"
    if not path.exists():
        building = tmp_path_factory.mktemp("seeds-build") / "kb.sqlite"
        store = Store(building)
        assert ingest(store, [CORPUS]).failed == 0
        create_views(store.db)
        store.db.execute("pragma wal_checkpoint(TRUNCATE)")
        store.db.conn.close()
        path.parent.mkdir(exist_ok=True)
        building.rename(path)
    return path
