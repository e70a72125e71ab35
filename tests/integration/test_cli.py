"""The kb command line, end to end on the bundled corpus."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.store import Store
from tests.conftest import CORPUS, seed, seeds_kb


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


def test_errors_are_clear_and_non_zero(tmp_path, tmp_path_factory):
    db = str(seeds_kb(tmp_path_factory))
    result = CliRunner().invoke(main, ["show", "nothing-like-this", "--db", db])
    assert result.exit_code != 0 and "no document matches" in result.output
    result = CliRunner().invoke(main, ["search", "这段话不会出现在任何简报里", "--db", db])
    assert result.exit_code == 1


READ_COMMANDS = [
    ["stats"],
    ["failures"],
    ["search", "党委"],
    ["show", "1"],
    ["entity", "长城"],
    ["collaborators", "长城"],
    ["members", "人工智能产业集群党委"],
    ["groups", "库卡"],
    ["path", "长城", "中变"],
    ["top"],
    ["communities"],
    ["metrics"],
    ["export", "json", "OUT"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_a_read_of_a_missing_knowledge_base_says_so_and_creates_nothing(tmp_path, command):
    db = tmp_path / "nowhere" / "kb.sqlite"
    args = [str(tmp_path / "out.json") if a == "OUT" else a for a in command]
    result = CliRunner().invoke(main, args + ["--db", str(db)])
    assert result.exit_code != 0
    assert f"no knowledge base at {db} (run kb ingest first)" in result.output
    assert not db.parent.exists()


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_a_read_never_writes_and_works_on_a_read_only_copy(tmp_path, tmp_path_factory, command):
    db = tmp_path / "kb.sqlite"
    shutil.copy(seeds_kb(tmp_path_factory), db)
    db.chmod(0o444)
    before = db.read_bytes()
    args = [str(tmp_path / "out.json") if a == "OUT" else a for a in command]
    result = CliRunner().invoke(main, args + ["--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert db.read_bytes() == before
    # Read-only for the connection itself (a test run as root could write to a 0444 file).
    store = Store(db, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.db.execute("delete from entities")


def test_search_rejects_empty_and_huge_queries_and_treats_wildcards_as_text(tmp_path_factory):
    db = str(seeds_kb(tmp_path_factory))
    for query, message in (("", "empty query"), ("   ", "empty query"), ("党" * 30_000, "query too long")):
        result = CliRunner().invoke(main, ["search", query, "--db", db])
        assert result.exit_code != 0 and message in result.output
    everything = json.loads(_run("stats", "--db", db, "--json").output)["paragraphs"]
    for wildcard in ("_", "%", "*"):
        rows = Store(db, readonly=True).search(wildcard, limit=10_000)
        assert len(rows) < everything and all(wildcard in r["text"] for r in rows)


def test_two_character_and_longer_words_are_found_exactly(tmp_path_factory):
    store = Store(seeds_kb(tmp_path_factory), readonly=True)
    every = [r["id"] for r in store.db.query("select id, text from paragraphs") if "产业集群" in r["text"]]
    assert [r["paragraph_id"] for r in store.search("产业集群", limit=10_000)] == every
    assert (
        len(store.search("党委", limit=10_000))
        == store.db.execute("select count(*) from paragraphs where text like '%党委%'").fetchone()[0]
    )


def test_a_path_that_does_not_exist_is_a_command_error_and_stores_nothing(tmp_path):
    db = tmp_path / "kb.sqlite"
    result = CliRunner().invoke(main, ["ingest", str(CORPUS), str(tmp_path / "typo.txt"), "--db", str(db), "-q"])
    assert result.exit_code == 2 and "typo.txt" in result.output and "does not exist" in result.output
    assert not db.exists()


def test_a_file_that_cannot_be_read_does_not_abort_the_run(tmp_path, monkeypatch):
    # What an unprivileged user sees for a chmod 000 file (root reads it anyway): os.access says no.
    locked = tmp_path / "locked.txt"
    locked.write_text(seed("004").read_text(encoding="utf-8"), encoding="utf-8")
    locked.chmod(0)
    other = tmp_path / "other.txt"
    other.write_text(seed("003").read_text(encoding="utf-8"), encoding="utf-8")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: False if str(path) == str(locked) else real_access(path, mode, **kw)
    )
    db = tmp_path / "kb.sqlite"
    result = CliRunner().invoke(main, ["ingest", str(locked), str(other), "--db", str(db), "-q", "--workers", "1"])
    assert result.exit_code in (0, 1), result.output  # not click's usage error (2): the run went on
    sources = {Path(s).name for (s,) in Store(db, readonly=True).db.execute("select source from documents")}
    assert sources == {"locked.txt", "other.txt"}


def test_eval_annotated_only_metrics_scores_the_metric_stage_and_lists_errors(tmp_path, monkeypatch):
    import gzip

    from pipeline import annotations

    record = {
        "doc": "item-1",
        "metrics": [{"value": 216, "unit": "家", "raw": "216家"}, {"value": 3, "unit": "个", "raw": "3个"}],
    }
    monkeypatch.setattr(annotations, "split_records", lambda split: {"item-1": record} if split == "dev" else {})
    pool = tmp_path / "pool.jsonl.gz"
    with gzip.open(pool, "wt", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {"id": "item-1", "title": "园区党建", "text": "园区现有216家企业，建成党群服务站点。"},
                ensure_ascii=False,
            )
            + "\n"
        )
    monkeypatch.setattr(annotations, "DEFAULT_POOL", pool)
    from kb.extraction import evaluate_annotated_metrics

    score, errors = evaluate_annotated_metrics("dev", pool=pool)
    assert (score["gold"], score["predicted"], score["correct"]) == (2, 1, 1)
    assert errors == [{"doc": "item-1", "missed": [(3, "个", "3个")], "wrong": []}]
    monkeypatch.setattr(annotations.pool_texts, "__defaults__", (pool,))
    result = _run("eval-annotated", "--only", "metrics", "--split", "dev")
    assert result.exit_code == 0
    assert "gold 2, predicted 1, correct 1" in result.output and "missed" in result.output and "3个" in result.output
