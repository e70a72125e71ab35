"""Shared fixtures: paths to the bundled seeds and a fresh knowledge base per test."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def seed(prefix: str) -> Path:
    """The bundled seed newsletter whose file name starts with ``prefix`` (000 … 004)."""
    return next(CORPUS.glob(f"{prefix}_*.txt"))


@pytest.fixture
def store(tmp_path):
    from kb.store import Store

    return Store(tmp_path / "kb.sqlite")
