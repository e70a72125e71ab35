"""Where the runtime's data files are: word lists, patterns, the entity model and the relation model.

They live in the repository's ``models/`` folder and ship in the wheel as package data
(``pipeline/models/``, see pyproject.toml). :func:`resource` finds a file in either place and raises
:class:`ResourceMissing` when it is in neither: a missing word list is an error at start, never an
empty list that silently finds nothing.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# Installed from the wheel: pipeline/models/...; in a checkout (or an editable install): models/...
MODEL_ROOTS = (_PACKAGE / "models", _PACKAGE.parent / "models")


class ResourceMissing(FileNotFoundError):
    """A data file the runtime needs is not installed (a broken install or checkout)."""


# Every data file the runtime reads; :func:`check` looks for all of them at start.
RUNTIME_FILES = (
    ("lexicons", "ent_regions.txt"),
    ("lexicons", "ent_jieba_user.txt"),
    ("lexicons", "ent_surnames.txt"),
    ("lexicons", "met_units.txt"),
    ("lexicons", "met_not_units.txt"),
    ("lexicons", "rel_admin_levels.txt"),
    ("lexicons", "rel_cues.txt"),
    ("ner", "config.json"),
    ("ner", "vocabs.json"),
    ("ner", "model.pt"),
    ("entity_crf", "model.crfsuite"),
    ("entity_crf", "clusters.tsv"),
    ("entity_crf", "known.tsv"),
    ("relations", "model.json"),
    ("relations", "combine.tsv"),
    ("relations", "combine-newsletter.tsv"),
)


def models_dir() -> Path:
    """The folder that holds ``lexicons/`` and ``ner/``: the installed copy, else the checkout's."""
    for root in MODEL_ROOTS:
        if (root / "lexicons").is_dir():
            return root
    return MODEL_ROOTS[-1]


def check() -> None:
    """Raise :class:`ResourceMissing` naming the first runtime data file that is not installed."""
    for parts in RUNTIME_FILES:
        resource(*parts)


def resource(*parts: str) -> Path:
    """The path of a data file under ``models/`` (e.g. ``resource("lexicons", "ent_regions.txt")``)."""
    path = models_dir().joinpath(*parts)
    if not path.exists():
        raise ResourceMissing(f"data file missing: {path} (reinstall cluster-kb, or run from a full checkout)")
    return path
