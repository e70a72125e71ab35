"""Corrections (kb/corrections.py, kb/cli/corrections.py): made on the seed newsletters, they stay in
force through new documents, changed documents and a rebuild from the exported corrections."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from kb.cli import main as kb_cli
from kb.corrections import Correction, CorrectionError, apply, from_record
from tests.conftest import seed

NEW_DOCUMENT = "金山工业区党建联盟召开推进会。金山工业区与朱泾镇签订合作协议，共同推进人工智能产业集群发展。\n"


def kb(*args: str):
    return CliRunner().invoke(kb_cli, [str(a) for a in args])


def ok(*args: str):
    result = kb(*args)
    assert result.exit_code == 0, result.output
    return result


def ingest(db, *paths, corrections=None):
    ok("ingest", *paths, "--db", db, "-q", "-j", "1", *(["--corrections", corrections] if corrections else []))


def dump(db) -> dict[str, list]:
    """The knowledge base's facts by name (no row ids), for comparing two databases."""
    conn = sqlite3.connect(db)
    sql = {
        "entities": "select e.name, e.type, d.source from entities e left join documents d on d.id = e.local_to",
        "aliases": "select e.name, e.type, a.alias from aliases a join entities e on e.id = a.entity_id",
        "mentions": "select e.name, e.type, d.source, p.idx, m.start, m.end, m.surface from mentions m "
        "join entities e on e.id = m.entity_id join documents d on d.id = m.document_id "
        "left join paragraphs p on p.id = m.paragraph_id",
        "relations": "select s.name, s.type, r.predicate, o.name, o.type, d.source, p.idx, r.evidence from relations r "
        "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
        "join documents d on d.id = r.document_id left join paragraphs p on p.id = r.paragraph_id",
        "metrics": "select e.name, m.subject_text, m.indicator, m.value, d.source from metrics m "
        "left join entities e on e.id = m.subject_id join documents d on d.id = m.document_id",
    }
    out = {name: sorted(tuple(map(str, row)) for row in conn.execute(query)) for name, query in sql.items()}
    conn.close()
    return out


def entity_json(db, name):
    return json.loads(ok("entity", name, "--db", db, "--json").output)


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    """A folder with seeds 000 and 001, ingested once; tests copy the database."""
    folder = tmp_path_factory.mktemp("corpus")
    for prefix in ("000", "001"):
        shutil.copy(seed(prefix), folder)
    db = tmp_path_factory.mktemp("base") / "kb.sqlite"
    ingest(db, folder)
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(TRUNCATE)")
    conn.close()
    return folder, db


@pytest.fixture
def corrected(two_seeds, tmp_path):
    """A copy of the two seeds' knowledge base and the folder it was built from."""
    folder, base = two_seeds
    db = tmp_path / "kb.sqlite"
    shutil.copy(base, db)
    return folder, db


def test_each_correction_takes_effect_and_a_rebuild_with_them_is_the_same(corrected, tmp_path):
    folder, db = corrected
    second = str(next(folder.glob("001_*")))
    jiaxing_relations = entity_json(db, "嘉兴市")["relations"]
    located = next(r for r in jiaxing_relations if r["predicate"] == "LOCATED_IN" and r["object"] == "浙江省")
    # rejecting one relation rejects that statement wherever its document makes it
    kept_ids = {
        r["relation_id"] for r in jiaxing_relations if (r["predicate"], r["object"]) != ("LOCATED_IN", "浙江省")
    }
    (paragraph,) = (
        sqlite3.connect(db)
        .execute(
            "select min(p.idx) from paragraphs p join documents d on d.id = p.document_id "
            "where d.source = ? and instr(p.text, '嘉兴市') and instr(p.text, '金山')",
            [second],
        )
        .fetchone()
    )

    ok("entity", "rename", "长三角G60科创走廊", "G60科创走廊", "--reason", "the name in the charter", "--db", db)
    ok("entity", "retype", "人工智能", "ZONE", "--db", db)
    ok("entity", "merge", "金山区", "金山工业区/ZONE", "--db", db)
    ok("entity", "reject", "朱泾镇", "--db", db)
    ok("entity", "split", "松江区", "--doc", second, "--db", db)
    ok("relation", "reject", located["relation_id"], "--db", db)
    ok("relation", "add", "嘉兴市", "COOPERATES_WITH", "金山区", "--evidence", f"{second}:{paragraph}", "--db", db)

    renamed = entity_json(db, "长三角G60科创走廊")  # the old name is an alias now
    assert renamed["name"] == "G60科创走廊" and "长三角G60科创走廊" in renamed["aliases"]
    assert entity_json(db, "人工智能")["type"] == "ZONE"
    district = entity_json(db, "金山工业区")
    assert district["name"] == "金山区" and district["type"] == "REGION" and len(district["documents"]) == 2
    assert "no entity" in kb("entity", "朱泾镇", "--db", db).output
    split_off = (
        sqlite3.connect(db)
        .execute("select d.source from entities e join documents d on d.id = e.local_to where e.name = '松江区'")
        .fetchall()
    )
    assert split_off == [(second,)]
    relations = entity_json(db, "嘉兴市")["relations"]
    assert not any(r["predicate"] == "LOCATED_IN" and r["object"] == "浙江省" for r in relations)
    added = [r for r in relations if r["predicate"] == "COOPERATES_WITH"]
    assert [r["other"]["name"] for r in added] == ["金山区"] and "嘉兴市" in added[0]["evidence"]
    # a relation rewritten by a correction keeps the id the user saw
    assert kept_ids <= {r["relation_id"] for r in relations}

    listed = ok("corrections", "list", "--db", db).output.splitlines()
    assert len(listed) == 7 and "the name in the charter" in listed[0]
    exported = tmp_path / "corrections.jsonl"
    ok("corrections", "export", exported, "--db", db)
    rebuilt = tmp_path / "rebuilt.sqlite"
    ingest(rebuilt, folder, corrections=exported)
    assert dump(rebuilt) == dump(db)
    # importing them again adds nothing
    assert "0 correction(s) added" in ok("corrections", "import", exported, "--db", rebuilt).output


def test_a_correction_holds_for_new_and_changed_documents(corrected):
    folder, db = corrected
    ok("entity", "rename", "金山工业区", "上海金山工业区", "--db", db)
    ok("entity", "reject", "朱泾镇", "--db", db)
    before = dump(db)

    ingest(db, folder)  # the same documents again: nothing changes
    assert dump(db) == before
    (folder / "new.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    changed = next(folder.glob("000_*"))
    original = changed.read_text(encoding="utf-8")
    try:
        changed.write_text(original + "\n金山工业区召开产业集群党建工作推进会。\n", encoding="utf-8")
        ingest(db, folder)
    finally:
        changed.write_text(original, encoding="utf-8")
        (folder / "new.txt").unlink()
    facts = dump(db)
    assert not any(name == "金山工业区" for name, *_ in facts["entities"])
    assert not any(name == "朱泾镇" for name, *_ in facts["entities"])
    new_mentions = {
        (name, surface) for name, _t, source, *_rest, surface in facts["mentions"] if source.endswith("new.txt")
    }
    assert ("上海金山工业区", "金山工业区") in new_mentions
    assert not any(surface == "朱泾镇" for _, surface in new_mentions)
    assert any(
        source == str(changed) and surface == "金山工业区" and name == "上海金山工业区"
        for name, _t, source, idx, _s, _e, surface in facts["mentions"]
        if idx != "None"
    )


def test_listing_and_exporting_corrections_write_nothing(corrected, tmp_path):
    _, db = corrected
    ok("entity", "retype", "人工智能", "ZONE", "--db", db)
    sqlite3.connect(db).execute("pragma wal_checkpoint(TRUNCATE)").close()
    wal = db.with_name(db.name + "-wal")  # where a write would land first (WAL mode)
    before = db.read_bytes(), wal.read_bytes() if wal.exists() else b""
    db.chmod(0o444)  # a shared, read-only copy
    try:
        assert "retype 人工智能 [INDUSTRY] -> ZONE" in ok("corrections", "list", "--db", db).output
        ok("corrections", "export", tmp_path / "c.jsonl", "--db", db)
    finally:
        db.chmod(0o644)
    assert (db.read_bytes(), wal.read_bytes() if wal.exists() else b"") == before
    assert json.loads((tmp_path / "c.jsonl").read_text(encoding="utf-8"))["new_type"] == "ZONE"


@pytest.mark.parametrize(
    "args, message",
    [
        (["entity", "rename", "不存在的公司", "新名"], "no entity is called '不存在的公司'"),
        (["entity", "retype", "人工智能", "COMPANY"], "is not an entity type"),
        (["entity", "retype", "人工智能", "INDUSTRY"], "already INDUSTRY"),
        (["entity", "merge", "金山区", "金山区"], "itself"),
        (["entity", "split", "松江区", "--doc", "no-such-document"], "no document"),
        (["relation", "reject", "999999"], "no relation has id 999999"),
        (["relation", "add", "嘉兴市", "LIKES", "金山区", "--evidence", "2:3"], "one of COOPERATES_WITH"),
        (["relation", "add", "嘉兴市", "COOPERATES_WITH", "金山区", "--evidence", "2"], "give DOC:PARA"),
        (["relation", "add", "嘉兴市", "COOPERATES_WITH", "金山区", "--evidence", "2:999"], "has no paragraph 999"),
    ],
)
def test_a_correction_that_cannot_be_made_is_a_one_line_error(corrected, args, message):
    _, db = corrected
    result = kb(*args, "--db", db)
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert ok("corrections", "list", "--db", db).output == ""


def test_corrections_need_an_existing_knowledge_base_and_a_valid_file(tmp_path, corrected):
    _, db = corrected
    missing = kb("entity", "reject", "甲", "--db", tmp_path / "none.sqlite")
    assert missing.exit_code == 1 and "no knowledge base there" in missing.output
    assert not (tmp_path / "none.sqlite").exists()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"action": "rename", "name": "甲", "new_name": "乙"}\n{"action": "explode", "name": "甲"}\n', encoding="utf-8"
    )
    result = kb("corrections", "import", bad, "--db", db)
    assert result.exit_code == 1 and "line 2: action must be one of" in result.output
    assert ok("corrections", "list", "--db", db).output == ""  # nothing applied from a bad file


# --- the rules, on one document's facts -----------------------------------------------------


def facts():
    """Two paragraphs' facts in the store's shape (kb.store.Facts)."""
    return {
        0: {
            "mentions": [
                ["甲公司", "ENTERPRISE", "甲公司", 0, 3, 0, 3, "rules", 1.0],
                ["乙镇", "REGION", "乙镇", 4, 6, 4, 6, "rules", 1.0],
            ],
            "relations": [["甲公司", "ENTERPRISE", "LOCATED_IN", "乙镇", "REGION", "甲公司位于乙镇", 0.9, None]],
            "metrics": [["甲公司", "甲公司", "产值", 3.0, "亿元", None, "产值3亿元"]],
        },
        1: {"mentions": [["甲公司", "ENTERPRISE", "甲", 0, 1, 10, 11, "rules", 1.0]], "relations": [], "metrics": []},
    }


def names(result, kind="mentions"):
    return [(row[0], row[1]) for para in result.values() for row in para[kind]]


@pytest.mark.parametrize(
    "correction, mentions, relation, metric_subject",
    [
        (
            Correction("rename", "甲公司", "ENTERPRISE", new_name="甲集团"),
            [("甲集团", "ENTERPRISE"), ("乙镇", "REGION"), ("甲集团", "ENTERPRISE")],
            ["甲集团", "乙镇"],
            "甲集团",
        ),
        (
            Correction("retype", "甲公司", "ENTERPRISE", new_type="INSTITUTION"),
            [("甲公司", "INSTITUTION"), ("乙镇", "REGION"), ("甲公司", "INSTITUTION")],
            ["甲公司", "乙镇"],
            "甲公司",
        ),
        (
            Correction("merge", "乙镇", "REGION", new_name="丙区", new_type="REGION"),
            [("甲公司", "ENTERPRISE"), ("丙区", "REGION"), ("甲公司", "ENTERPRISE")],
            ["甲公司", "丙区"],
            "甲公司",
        ),
        (Correction("reject-entity", "甲公司"), [("乙镇", "REGION")], None, None),
        (
            Correction("reject-entity", "甲公司", "PERSON"),  # another type: nothing changes
            [("甲公司", "ENTERPRISE"), ("乙镇", "REGION"), ("甲公司", "ENTERPRISE")],
            ["甲公司", "乙镇"],
            "甲公司",
        ),
        (
            Correction("rename", "甲公司", "ENTERPRISE", new_name="甲集团", document="other.txt"),  # another document
            [("甲公司", "ENTERPRISE"), ("乙镇", "REGION"), ("甲公司", "ENTERPRISE")],
            ["甲公司", "乙镇"],
            "甲公司",
        ),
        (
            Correction(
                "reject-relation", "甲公司", "ENTERPRISE", predicate="LOCATED_IN", object="乙镇", document="a.txt"
            ),
            [("甲公司", "ENTERPRISE"), ("乙镇", "REGION"), ("甲公司", "ENTERPRISE")],
            None,
            "甲公司",
        ),
    ],
)
def test_apply_one_correction(correction, mentions, relation, metric_subject):
    before = facts()
    result = apply([correction], before, "a.txt", lambda idx: None)
    assert names(result) == mentions
    relations = [[r[0], r[3]] for para in result.values() for r in para["relations"]]
    assert relations == ([relation] if relation else [])
    assert result[0]["metrics"][0][0] == metric_subject and result[0]["metrics"][0][1] == "甲公司"
    assert before == facts()  # the input is not changed


def test_an_added_relation_is_stated_once_with_its_paragraph_as_evidence():
    add = Correction(
        "add-relation",
        "乙镇",
        "REGION",
        predicate="COOPERATES_WITH",
        object="甲公司",
        object_type="ENTERPRISE",
        document="a.txt",
        paragraph=1,
        id=4,
    )
    text = {1: "乙镇与甲公司签约。"}
    once = apply([add], facts(), "a.txt", text.get)
    twice = apply([add, add], facts(), "a.txt", text.get)
    assert once == twice
    assert once[1]["relations"] == [
        ["乙镇", "REGION", "COOPERATES_WITH", "甲公司", "ENTERPRISE", "乙镇与甲公司签约。", 1.0, '{"correction": 4}']
    ]
    assert apply([add], facts(), "b.txt", text.get) == facts()  # another document


@pytest.mark.parametrize(
    "record, message",
    [
        ([], "not a JSON object"),
        ({"action": "rename", "name": "甲"}, "rename needs new_name"),
        ({"action": "merge", "name": "甲", "new_name": "乙"}, "merge needs new_type"),
        ({"action": "split", "name": "甲"}, "split needs document"),
        (
            {
                "action": "add-relation",
                "name": "甲",
                "predicate": "LEADS",
                "object": "乙",
                "document": "a",
                "paragraph": 1,
            },
            "needs type, object_type",
        ),
        ({"action": "rename", "name": "甲", "new_name": "乙", "colour": "red"}, "unknown field(s) colour"),
        ({"action": "rename", "name": "", "new_name": "乙"}, "needs a name"),
        (
            {
                "action": "add-relation",
                "name": "甲",
                "type": "A",
                "predicate": "LEADS",
                "object": "乙",
                "object_type": "B",
                "document": "a",
                "paragraph": "1",
            },
            "paragraph must be an integer",
        ),
    ],
)
def test_a_malformed_correction_record_is_refused(record, message):
    with pytest.raises(CorrectionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_record(record)
