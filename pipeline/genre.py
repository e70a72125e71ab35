"""The genre of the texts being processed: ``news`` (the default) or ``newsletter``.

The learned recognizers are trained on CCTV news items; the hand-written rules were written on
party-building newsletters. Measured on both (README, "Genres"), each kind of text is served best by
a different combination, so the genre chooses it: ``kb ingest/extract/eval --genre`` sets
``KB_GENRE``, which the worker processes inherit.
"""

from __future__ import annotations

import os

GENRES = ("news", "newsletter")


def genre() -> str:
    """``KB_GENRE`` when it names a genre, else ``news``."""
    value = os.environ.get("KB_GENRE", "").strip().lower()
    return value if value in GENRES else "news"
