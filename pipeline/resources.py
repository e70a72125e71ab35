"""Where the runtime's data files are: word lists, patterns, the entity model and the relation model.

They live in the repository's ``models/`` folder and ship in the wheel as package data
(``pipeline/models/``, see pyproject.toml). :func:`resource` finds a file in either place and raises
:class:`ResourceMissing` when it is in neither: a missing word list is an error at start, never an
empty list that silently finds nothing.
"""

from __future__ import annotations

from functools import cache
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
    ("lexicons", "ent_name_verbs.txt"),
    ("lexicons", "ent_stop_words.txt"),
    ("lexicons", "ent_generic_prefix_words.txt"),
    ("lexicons", "ent_action_words.txt"),
    ("lexicons", "ent_settlement_words.txt"),
    ("lexicons", "ent_industry_words.txt"),
    ("lexicons", "ent_org_heads.txt"),
    ("lexicons", "ent_sector_heads.txt"),
    ("lexicons", "ent_bare_heads.txt"),
    ("lexicons", "ent_research_heads.txt"),
    ("lexicons", "ent_head_blockers.txt"),
    ("lexicons", "ent_name_end_words.txt"),
    ("lexicons", "ent_region_suffixes.txt"),
    ("lexicons", "person_titles.txt"),
    ("lexicons", "rel_triggers.txt"),
    ("lexicons", "rel_function_words.txt"),
    ("lexicons", "met_indicator_strip.txt"),
    ("lexicons", "met_phrase_words.txt"),
    ("lexicons", "res_relative_prefixes.txt"),
    ("lexicons", "ner_type_heads.txt"),
    ("lexicons", "dedup_facts.txt"),
    ("lexicons", "dedup_countries.txt"),
    ("lexicons", "not_mention_phrases.txt"),
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


def words(name: str, *groups: str) -> tuple[str, ...]:
    """The entries of the word list ``models/lexicons/<name>``, in file order.

    A list is one word a line, or ``GROUP<TAB>word`` lines where one file holds several lists:
    with ``groups`` given, the words of those groups (still in file order). Blank lines and ``#``
    comments are skipped. A missing file, or one (or a group) with no entries, raises
    :class:`ResourceMissing`: an empty list would silently find nothing.
    """
    path = resource("lexicons", name)
    lines = _entry_lines(path)
    if not groups:
        found = tuple(lines)
    else:
        pairs = [line.split("\t", 1) for line in lines]
        found = tuple(pair[1] for pair in pairs if len(pair) == 2 and pair[0] in groups)
    if not found:
        what = f"group {'/'.join(groups)} of " if groups else ""
        raise ResourceMissing(f"no entries in {what}word list {path}")
    return found


@cache
def _entry_lines(path: Path) -> tuple[str, ...]:
    """The entry lines of a lexicon file (read once): stripped, without blanks and ``#`` comments."""
    text = path.read_text(encoding="utf-8")
    stripped = (line.strip() for line in text.splitlines())
    return tuple(line for line in stripped if line and not line.startswith("#"))


def word_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """A ``GROUP<TAB>word`` lexicon as (group, word) pairs in file order (for lists whose order matters
    across groups). A missing file, one with no entries or a line without a tab raises
    :class:`ResourceMissing`."""
    pairs = []
    for line in words(name):
        group, sep, word = line.partition("\t")
        if not sep:
            raise ResourceMissing(f"{resource('lexicons', name)}: not a GROUP<TAB>word line: {line!r}")
        pairs.append((group, word))
    return tuple(pairs)


def word_groups(name: str) -> dict[str, tuple[str, ...]]:
    """A ``GROUP<TAB>word`` lexicon as {group: its words}, groups and words in file order.

    A missing file, or one with no entries, raises :class:`ResourceMissing`.
    """
    out: dict[str, list[str]] = {}
    for group, word in word_pairs(name):
        out.setdefault(group, []).append(word)
    return {group: tuple(group_words) for group, group_words in out.items()}
