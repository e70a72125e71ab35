"""The kb command line, end to end on the bundled corpus."""
from __future__ import annotations

import json

from click.testing import CliRunner

from kb.cli import main
from tests.conftest import CORPUS


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_ingest_stats_search_show_failures(tmp_path):
    db = str(tmp_path / "kb.sqlite")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    result = _run("ingest", str(CORPUS), str(tmp_path / "in"), "--db", db, "-q")
    assert result.exit_code == 1  # one document failed
    assert "5 added, 0 unchanged, 1 failed" in result.output
    stats = json.loads(_run("stats", "--db", db, "--json").output)
    assert stats["documents_ok"] == 5 and stats["documents_failed"] == 1 and stats["duplicate_paragraphs"] == 2
    search = _run("search", "党委", "--db", db, "--limit", "3")
    assert search.exit_code == 0 and "党委" in search.output
    show = _run("show", "000_", "--db", db)
    assert show.exit_code == 0 and show.output.count("(duplicate of ¶") == 2
    failures = _run("failures", "--db", db)
    assert "empty.txt" in failures.output and "empty file" in failures.output


def test_errors_are_clear_and_non_zero(tmp_path):
    db = str(tmp_path / "kb.sqlite")
    result = CliRunner().invoke(main, ["show", "nothing-like-this", "--db", db])
    assert result.exit_code != 0 and "no document matches" in result.output
    result = CliRunner().invoke(main, ["search", "党委", "--db", db])
    assert result.exit_code == 1
