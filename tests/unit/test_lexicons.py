"""The word lists under models/lexicons (issue #20, "rules are code"): data files with a header that
says what each is for, read through pipeline.resources; a missing or empty list is an error."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline import gazetteer, resources
from pipeline.extract.entities import persons
from pipeline.extract.relations import vocabulary
from pipeline.resources import ResourceMissing, word_groups, word_pairs, words
from tests.conftest import ROOT

LEXICONS = sorted((ROOT / "models" / "lexicons").glob("*.txt"))


def _entry_lines(path) -> list[str]:
    stripped = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


def test_there_are_lexicons_to_check():
    assert len(LEXICONS) >= 25


@pytest.mark.parametrize("path", LEXICONS, ids=lambda p: p.name)
def test_every_lexicon_says_what_it_is_for_and_where_it_is_used(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert header, f"{path.name}: no header comment"
    assert "pipeline" in "\n".join(header), f"{path.name}: the header does not name the module that reads it"


@pytest.mark.parametrize("path", LEXICONS, ids=lambda p: p.name)
def test_no_lexicon_lists_an_entry_twice(path):
    entries = _entry_lines(path)
    assert entries, f"{path.name}: no entries"
    twice = sorted({e for e in entries if entries.count(e) > 1})
    assert not twice, f"{path.name}: listed twice: {twice}"


@pytest.mark.parametrize("path", LEXICONS, ids=lambda p: p.name)
def test_every_lexicon_is_checked_at_start(path):
    assert ("lexicons", path.name) in resources.RUNTIME_FILES


@pytest.mark.parametrize(
    ("name", "group", "matches"),
    [
        # The first entry that fits is taken, so no entry may come after a shorter one that fits
        # wherever it does (区 before 自治区 would cut 广西壮族自治区 at 区).
        ("ent_region_suffixes.txt", None, str.endswith),
        ("res_relative_prefixes.txt", "*", str.startswith),  # across its groups
        ("met_indicator_strip.txt", "LEAD", str.startswith),
        ("met_indicator_strip.txt", "TAIL", str.endswith),
        ("met_phrase_words.txt", "QUALIFIER", str.startswith),  # a regex alternation: 超过 before 超
    ],
)
def test_first_match_lists_put_longer_entries_first(name, group, matches):
    entries = list(words(name)) if group is None else [w for g, w in word_pairs(name) if group in ("*", g)]
    for i, earlier in enumerate(entries):
        for later in entries[i + 1 :]:
            assert not matches(later, earlier), f"{name}: {later} comes after {earlier}, which takes its place"


def test_words_keep_the_file_order_and_groups_select_lines():
    assert vocabulary.VISIT_MOVES == words("rel_triggers.txt", "MOVE")
    assert vocabulary.VISIT_MOVES[:2] == ("来到", "走进")
    assert gazetteer.REGION_SUFFIXES[0] == "特别行政区" and gazetteer.short_form("广西壮族自治区") == "广西"
    assert list(word_groups("ent_org_heads.txt")) == [
        "PARTY_ORG",
        "GOV_ORG",
        "ENTERPRISE",
        "ZONE",
        "ALLIANCE",
        "INSTITUTION",
    ]


def test_person_titles_are_one_list_that_both_rules_read():
    titles, positions = set(persons.TITLES), set(vocabulary.TITLE_CORE)
    assert titles & positions == set(words("person_titles.txt", "ALL"))
    assert titles - positions == set(words("person_titles.txt", "NAME"))  # 党员, 副主任: by a name only
    assert positions - titles == set(words("person_titles.txt", "POSITION"))  # 总裁, 省长: positions only


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    """An install whose models/lexicons folder is there but empty."""
    (tmp_path / "models" / "lexicons").mkdir(parents=True)
    monkeypatch.setattr(resources, "MODEL_ROOTS", (tmp_path / "models",))
    return tmp_path / "models" / "lexicons"


def test_a_missing_lexicon_is_an_error_naming_it_not_an_empty_list(no_models):
    with pytest.raises(ResourceMissing, match="rel_triggers.txt"):
        words("rel_triggers.txt", "COOP")
    with pytest.raises(ResourceMissing, match="ent_org_heads.txt"):
        word_groups("ent_org_heads.txt")


def test_an_empty_lexicon_or_group_is_an_error(no_models):
    (no_models / "only_comments.txt").write_text("# a header and nothing else\n\n", encoding="utf-8")
    with pytest.raises(ResourceMissing, match="no entries in word list .*only_comments.txt"):
        words("only_comments.txt")
    (no_models / "grouped.txt").write_text("# header\nA\tone\nB\ttwo\n", encoding="utf-8")
    assert words("grouped.txt", "B") == ("two",)
    with pytest.raises(ResourceMissing, match="no entries in group C of word list .*grouped.txt"):
        words("grouped.txt", "C")
    (no_models / "no_tabs.txt").write_text("# header\none two\n", encoding="utf-8")
    with pytest.raises(ResourceMissing, match="not a GROUP<TAB>word line"):
        word_groups("no_tabs.txt")


def test_a_lexicon_missing_at_import_is_a_one_line_error_of_the_kb_command(tmp_path):
    # The rules read their lists when first imported (a command that extracts imports them; `kb --help`
    # and the queries do not): kb says which file is missing and exits 1, without a traceback.
    lexicons = tmp_path / "models" / "lexicons"
    lexicons.mkdir(parents=True)
    for path in LEXICONS:
        if path.name != "ent_stop_words.txt":
            (lexicons / path.name).write_bytes(path.read_bytes())
    code = (
        "from pathlib import Path; from pipeline import resources; "
        f"resources.MODEL_ROOTS = (Path({str(tmp_path / 'models')!r}),); "
        "from kb.cli import main; main(['extract', '-'])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        input="华鑫集团与上海远航物流有限公司签订合作协议。\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"Error: data file missing: {lexicons / 'ent_stop_words.txt'} (reinstall")
