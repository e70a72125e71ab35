"""Store: schema, one transaction per document, content-hash idempotence, FTS for two-character words."""

from __future__ import annotations

import multiprocessing
import sqlite3

from kb.ingest import ingest
from kb.store import Store
from pipeline.document import Document
from tests.conftest import CORPUS, seed

TABLES = {"documents", "paragraphs", "entities", "aliases", "mentions", "relations", "metrics", "asides"}


def _rows(store: Store) -> dict[str, list]:
    return {t: store.db.execute(f"select * from {t} order by rowid").fetchall() for t in TABLES}


def test_schema_has_the_contract_tables_and_wal(store):
    names = set(store.db.table_names())
    assert TABLES <= names and "paragraphs_fts" in names
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    columns = {c.name for c in store.db["relations"].columns}
    assert {
        "subject_id",
        "predicate",
        "object_id",
        "document_id",
        "paragraph_id",
        "evidence",
        "confidence",
        "attrs",
    } <= columns
    columns = {c.name for c in store.db["metrics"].columns}
    assert {"subject_id", "subject_text", "indicator", "value", "unit", "period", "raw"} <= columns


def test_ingesting_the_corpus_again_changes_no_row(store):
    first = ingest(store, [CORPUS])
    assert first.added == 5 and first.failed == 0
    before = _rows(store)
    again = ingest(store, [CORPUS])
    assert again.added == 0 and again.unchanged == 5
    assert _rows(store) == before


def test_duplicates_are_pointers_to_stored_paragraphs(store):
    ingest(store, [CORPUS])
    rows = store.db.execute(
        "select p.idx, t.idx, t.document_id = p.document_id "
        "from paragraphs p join paragraphs t on t.id = p.duplicate_of"
    ).fetchall()
    assert len(rows) == 2 and all(same for _, _, same in rows)


def test_cross_corpus_duplicate_points_into_the_store(store, tmp_path):
    ingest(store, [seed("002")])
    copy = tmp_path / "reprint.txt"
    paragraph = store.db.execute("select text from paragraphs order by length(text) desc limit 1").fetchone()[0]
    copy.write_text("转载\n\n" + paragraph.replace("，", " ，") + "\n", encoding="utf-8")
    store2 = Store(store.path)  # a later run finds the stored original in the persisted index
    ingest(store2, [copy])
    row = store2.db.execute(
        "select t.text from paragraphs p join documents d on d.id = p.document_id "
        "join paragraphs t on t.id = p.duplicate_of where d.source = ?",
        [str(copy)],
    ).fetchone()
    assert row and row[0] == paragraph


def test_full_text_search_finds_two_character_words(store):
    ingest(store, [CORPUS])
    hits = store.search("党委")
    assert hits and all("党委" in h["text"] for h in hits)
    assert any("集群" in h["text"] for h in store.search("产业集群"))
    assert store.search("党") and not store.search("不存在的词语组合")


def test_failed_documents_are_recorded_not_skipped(store, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "gb.txt").write_bytes(seed("004").read_text(encoding="utf-8").encode("gb18030"))
    report = ingest(store, [tmp_path])
    assert report.added == 1 and report.failed == 2
    failures = {f["source"].rsplit("/", 1)[1]: f["error"] for f in store.failures()}
    assert failures == {"empty.txt": "empty file", "binary.txt": failures["binary.txt"]}
    assert "binary" in failures["binary.txt"]
    gb = store.db.execute("select encoding, date, status from documents where source like '%gb.txt'").fetchone()
    assert gb == ("gb18030", "2021-10-26", "ok")
    before = _rows(store)
    ingest(store, [tmp_path])
    assert _rows(store) == before


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"this is not sqlite" * 100)
    try:
        Store(bogus)
    except Exception as exc:  # noqa: BLE001
        assert "not a usable cluster-kb database" in str(exc)
    else:
        raise AssertionError("expected an error")


def test_each_document_is_one_transaction(store, monkeypatch):
    """A crash in the middle of writing a document leaves no trace of it."""
    from kb import store as store_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module.Store, "_insert_facts", boom)
    try:
        ingest(store, [seed("004")])
    except RuntimeError:
        pass
    assert store.db.execute("select count(*) from documents").fetchone()[0] == 0
    assert store.db.execute("select count(*) from paragraphs").fetchone()[0] == 0


def _open_and_save(path: str, i: int, barrier) -> str:
    barrier.wait()  # every process opens the new database at the same moment
    store = Store(path)
    doc = Document(source=f"doc{i}.txt", sha256=f"{i:064d}", original=f"第{i}号文件", text=f"第{i}号文件")
    store.save(doc.fail("kept as a failed document: the test only needs a row"))
    return "ok"


def test_many_processes_creating_one_new_database_at_once_all_succeed(tmp_path):
    path = str(tmp_path / "new" / "kb.sqlite")
    n = 8
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(n)
        with context.Pool(n) as pool:
            results = pool.starmap(_open_and_save, [(path, i, barrier) for i in range(n)])
    assert results == ["ok"] * n
    store = Store(path, readonly=True)
    assert store.stats()["documents_failed"] == n
    views = {name for (name,) in store.db.execute("select name from sqlite_master where type = 'view'")}
    assert {"collaborations", "memberships", "entity_summary", "metrics_with_dates"} <= views


def test_sqlite_errors_are_said_in_the_users_words():
    from kb.connection import describe_sqlite_error

    assert "the disk is full" in describe_sqlite_error(sqlite3.OperationalError("database or disk is full"))
    assert "another program" in describe_sqlite_error(sqlite3.OperationalError("database is locked"))
    assert "read-only" in describe_sqlite_error(sqlite3.OperationalError("attempt to write a readonly database"))


def test_hot_queries_are_answered_by_an_index(store):
    """The writer's lookups per entity, per document and per dedup candidate use an index, so
    their cost does not grow with the knowledge base (a scan of entities was 672 µs at 5k rows)."""

    def plan(sql, args):
        return " ".join(row[-1] for row in store.db.execute("explain query plan " + sql, args))

    queries = [
        ("select id from entities where name = ? and type = ? and ifnull(local_to, 0) = ?", ["a", "ORG", 0]),
        ("select distinct node from lsh_bands where bucket in (?, ?)", [1, 2]),
        ("select 1 from documents where sha256 = ? limit 1", ["x"]),
        (
            "select p.id from paragraphs p join paragraphs t on t.id = p.duplicate_of "
            "where p.duplicate_of = ? and p.document_id != t.document_id",
            [1],
        ),
        ("select idx, id from paragraphs where document_id = ?", [1]),
        ("select text from paragraphs where document_id = ? order by idx", [1]),  # a document's text
        ("select facts from held_facts where paragraph_id = ?", [1]),
        ("select entity_id from mentions where paragraph_id = ?", [1]),
        ("select subject_id from relations where document_id = ?", [1]),
        ("select subject_id from metrics where paragraph_id = ?", [1]),
    ]
    for sql, args in queries:
        text = plan(sql, args)
        assert "USING" in text and "SCAN" not in text.replace("SCAN CONSTANT ROW", ""), (sql, text)


def test_the_dedup_index_holds_originals_only_and_is_small(store, tmp_path):
    """Ten copies of a paragraph: one original in the index, and no stored row per copy beyond
    the paragraph itself; the copies' facts are held aside, not lost."""
    text = seed("002").read_text(encoding="utf-8")
    paragraph = max(text.split("\n"), key=len)
    for i in range(10):
        path = tmp_path / f"copy{i}.txt"
        path.write_text(f"第{i}期\n\n{paragraph}\n\n2021-0{1 + i % 9}-1{i}\n", encoding="utf-8")
        ingest(store, [path])
    longest = "select id, duplicate_of from paragraphs where length(text) > 100"
    para_ids = [i for i, _ in store.db.execute(longest)]
    assert len(para_ids) == 10
    originals = [i for i, duplicate_of in store.db.execute(longest) if duplicate_of is None]
    assert len(originals) == 1
    banded = {n for (n,) in store.db.execute("select distinct node from lsh_bands where node > 0")}
    assert banded & set(para_ids) == set(originals)
    held = store.db.execute("select count(*) from held_facts").fetchone()[0]
    mentions = store.db.execute("select count(*) from mentions m where m.paragraph_id = ?", originals).fetchone()[0]
    assert mentions > 0 and held == 9


def test_a_schema_2_database_gets_the_compact_index(tmp_path):
    path = tmp_path / "kb.sqlite"
    store = Store(path)
    ingest(store, [seed("002"), seed("004")])
    bands = store.db.execute("select count(*) from lsh_bands").fetchone()[0]
    store.db.execute("create table signatures (key text primary key, kind text, exact text, hashvalues blob)")
    store.db.execute("create table lsh_buckets (kind text, bucket integer, key text)")
    store.db.execute("delete from lsh_bands")
    store.db.conn.commit()
    reopened = Store(path)
    assert reopened.db.execute("select count(*) from lsh_bands").fetchone()[0] == bands
    assert not {"signatures", "lsh_buckets"} & set(reopened.db.table_names())


def test_pages_freed_by_an_ingest_go_back_to_the_disk(tmp_path):
    """A replaced document frees pages inside the file; the ingest hands them back (auto_vacuum)."""
    path = tmp_path / "issue.txt"
    path.write_text(seed("002").read_text(encoding="utf-8"), encoding="utf-8")
    store = Store(tmp_path / "kb.sqlite")
    ingest(store, [path])
    path.write_text(seed("003").read_text(encoding="utf-8"), encoding="utf-8")
    assert ingest(store, [path]).added == 1
    assert store.db.execute("pragma auto_vacuum").fetchone()[0] == 2  # incremental
    assert store.db.execute("pragma freelist_count").fetchone()[0] == 0
