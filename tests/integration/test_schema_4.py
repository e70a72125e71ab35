"""Schema 4: each text stored once. A document's cleaned text is its paragraphs joined (the view
``document_texts``), the trigram index keeps no positions, and a schema-3 database opened for
writing is migrated with the same answers."""

from __future__ import annotations

import random
import shutil
import sqlite3

from kb import schema
from kb.ingest import ingest
from kb.store import Store
from tests.conftest import seed, seeds_kb


def _search(conn, query: str) -> list[tuple]:
    return conn.execute(schema.SEARCH_SQL, {"q": query}).fetchall()


def _contains(conn, query: str) -> list[int]:
    """What search means: the paragraphs whose text contains ``query``, in document order."""
    return [
        i
        for i, text in conn.execute("select id, text from paragraphs order by document_id, idx")
        if query and len(query) <= schema.MAX_QUERY_CHARS and query in text
    ]


def test_search_needs_every_trigram_in_order_and_takes_quotes_and_case_literally(store):
    """The index finds paragraphs with all the query's trigrams in any order; instr keeps those
    with the string itself."""
    conn = store.db.conn
    conn.execute("insert into documents (id, source, status, ingested_at) values (1, 'a.txt', 'ok', 'now')")
    texts = ["甲乙丙丁乙丙甲丁丙甲乙", "甲乙丙甲乙", 'He said "ABC" to abc', '引号"内"容']
    conn.executemany(
        "insert into paragraphs (document_id, idx, text) values (1, ?, ?)", [(i, t) for i, t in enumerate(texts)]
    )
    for query in ["甲乙丙甲乙", "乙丙甲", "甲乙", "甲", "ABC", "abc", 'd "ABC"', '"内"', '"', "", "丁丁丁"]:
        assert [row[0] for row in _search(conn, query)] == _contains(conn, query), query
    assert [row[5] for row in _search(conn, "甲乙丙甲乙")] == ["甲乙丙甲乙"]  # not the first: trigrams out of order


def test_search_answers_are_the_paragraphs_that_contain_the_string(tmp_path_factory):
    conn = sqlite3.connect(seeds_kb(tmp_path_factory))
    texts = [t for (t,) in conn.execute("select text from paragraphs order by id")]
    rng = random.Random(4)
    queries = []
    for _ in range(300):
        text = rng.choice(texts)
        length = rng.randint(1, 10)
        start = rng.randint(0, max(0, len(text) - length))
        queries.append(text[start : start + length])
    # near misses: a real string with one character changed
    queries += [q[:-1] + "的" for q in queries[:100] if len(q) >= 3]
    found = 0
    for query in queries:
        hits = _search(conn, query)
        assert [row[0] for row in hits] == _contains(conn, query), query
        found += len(hits)
    assert found > 1000


def test_a_documents_text_is_its_paragraphs_joined(store, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    shutil.copy(seed("004"), tmp_path)
    assert ingest(store, [tmp_path]).failed == 1
    conn = store.db.conn
    (ok,) = conn.execute("select id from documents where status = 'ok'").fetchone()
    (failed,) = conn.execute("select id from documents where status = 'failed'").fetchone()
    joined = "\n".join(
        t for (t,) in conn.execute("select text from paragraphs where document_id = ? order by idx", [ok])
    )
    n_paragraphs = conn.execute("select n_paragraphs from documents where id = ?", [ok]).fetchone()[0]
    assert "推进" in joined and joined.count("\n") == n_paragraphs - 1 > 3
    assert dict(conn.execute("select id, text from document_texts")) == {ok: joined, failed: None}
    assert schema.document_text(conn, ok) == joined and schema.document_text(conn, failed) is None
    assert store.find_document(str(ok))["text"] == joined  # kb show --json prints it
    assert "text" not in {c.name for c in store.db["documents"].columns}


def _facts(conn) -> dict[str, list]:
    tables = ["entities", "aliases", "mentions", "relations", "metrics", "held_facts"]
    out = {t: conn.execute(f"select * from {t} order by 1, 2").fetchall() for t in tables}
    out["duplicates"] = conn.execute(
        "select p.id, p.duplicate_of, p.similarity, d.duplicate_of from paragraphs p "
        "join documents d on d.id = p.document_id order by p.id"
    ).fetchall()
    return out


def _make_schema_3(path) -> dict[int, str]:
    """Turn a database of this schema into what schema 3 wrote: ``documents.text`` stored, the
    trigram index with positions, an index on entities(name, type), no view document_texts."""
    conn = sqlite3.connect(path, isolation_level=None)
    texts = dict(conn.execute("select id, text from document_texts"))
    conn.execute("drop view document_texts")
    conn.execute("alter table documents add column text text")
    conn.executemany("update documents set text = ? where id = ?", [(t, i) for i, t in texts.items()])
    for table in ("paragraphs_fts_insert", "paragraphs_fts_delete", "paragraphs_fts_update"):
        conn.execute(f"drop trigger {table}")
    conn.execute("drop table paragraphs_fts")
    conn.execute("create virtual table paragraphs_fts using fts5(text, content='', tokenize='trigram')")
    for sql in schema.FTS_STATEMENTS[1:]:
        conn.execute(sql)
    conn.execute("insert into paragraphs_fts (rowid, text) select id, text from paragraphs")
    conn.execute("create index idx_entities_name_type on entities(name, type)")
    conn.execute("update meta set value = '3' where key = 'schema_version'")
    conn.close()
    return texts


def test_a_schema_3_database_is_migrated_on_open_with_the_same_answers(tmp_path_factory, tmp_path):
    path = tmp_path / "kb.sqlite"
    shutil.copy(seeds_kb(tmp_path_factory), path)
    texts = _make_schema_3(path)
    old = sqlite3.connect(path)
    queries = ["党委", "党", "产业集群", "集群党委", '"', "不存在的词语组合"]
    queries += [t[5 : 5 + n] for t in list(texts.values())[:4] for n in (2, 3, 7)]
    answers = {q: _search(old, q) for q in queries}
    facts = _facts(old)
    assert "detail" not in old.execute("select sql from sqlite_master where name = 'paragraphs_fts'").fetchone()[0]
    old.close()

    store = Store(path)  # opened for writing: migrated
    conn = store.db.conn
    assert conn.execute("select value from meta where key = 'schema_version'").fetchone()[0] == "4"
    assert "text" not in {c.name for c in store.db["documents"].columns}
    assert "detail=none" in conn.execute("select sql from sqlite_master where name = 'paragraphs_fts'").fetchone()[0]
    assert not conn.execute("select 1 from sqlite_master where name = 'idx_entities_name_type'").fetchone()
    assert dict(conn.execute("select id, text from document_texts")) == texts
    assert {q: _search(conn, q) for q in queries} == answers and answers["党委"]
    assert _facts(conn) == facts

    # a reprint of a stored issue is found a duplicate of it (its text read from its paragraphs)
    reprint = tmp_path / "reprint.txt"
    reprint.write_text("转载\n\n" + seed("002").read_text(encoding="utf-8"), encoding="utf-8")
    assert ingest(store, [reprint]).added == 1
    pair = conn.execute(
        "select id, duplicate_of from documents where source in (?, ?)", [str(seed("002")), str(reprint)]
    ).fetchall()
    (_, points_at), (original, none) = sorted(pair, key=lambda row: row[1] is None)
    assert points_at == original and none is None  # one copy points at the other (the rule picks which)
    assert conn.execute("pragma freelist_count").fetchone()[0] == 0
