"""The annotation round trip (kb/annotation_io.py): seed 001 out to doccano and Label Studio, a review
back in as corrections and training records."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main as kb_cli
from pipeline.annotations import load_records
from pipeline.extract.relations.model import NONE
from pipeline.training.relation_model import labelled_pairs
from tests.conftest import DATA, seed

FORMATS = ("doccano", "label-studio")


def kb(*args):
    return CliRunner().invoke(kb_cli, [str(a) for a in args])


def ok(*args):
    result = kb(*args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Seed 001 ingested once; tests copy the database."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(seed("001"), folder)
    db = tmp_path_factory.mktemp("base") / "kb.sqlite"
    ok("ingest", folder, "--db", db, "-q", "-j", "1")
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


@pytest.fixture
def db(base, tmp_path):
    copy = tmp_path / "kb.sqlite"
    shutil.copy(base, copy)
    return copy


# --- the two tools' files as plain (start, end, label) spans and (from, to, type) arrows ------------


def exported(db, fmt, out):
    """Export and return (the file's parsed content, the item of the one document)."""
    ok("export", fmt, out, "--db", db)
    if fmt == "doccano":
        (item,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        return item
    (task,) = json.loads(out.read_text(encoding="utf-8"))
    return task


def spans_and_arrows(fmt, item):
    if fmt == "doccano":
        spans = {e["id"]: (e["start_offset"], e["end_offset"], e["label"]) for e in item["entities"]}
        return item["text"], spans, [(r["from_id"], r["to_id"], r["type"]) for r in item["relations"]]
    result = item["predictions"][0]["result"]
    spans = {
        r["id"]: (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
        for r in result
        if r["type"] == "labels"
    }
    return (
        item["data"]["text"],
        spans,
        [(r["from_id"], r["to_id"], r["labels"][0]) for r in result if r["type"] == "relation"],
    )


def reviewed(fmt, item, spans, arrows, out):
    """Write a reviewed file as the tool exports it (Label Studio: an annotation by an annotator)."""
    if fmt == "doccano":
        ids = {key: number for number, key in enumerate(spans, 1)}
        line = {
            **item,
            "entities": [
                {"id": ids[k], "label": label, "start_offset": s, "end_offset": e} for k, (s, e, label) in spans.items()
            ],
            "relations": [
                {"id": n, "from_id": ids[a], "to_id": ids[b], "type": t} for n, (a, b, t) in enumerate(arrows, 1)
            ],
        }
        out.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    result = [
        {
            "id": str(k),
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": e, "text": item["data"]["text"][s:e], "labels": [label]},
        }
        for k, (s, e, label) in spans.items()
    ]
    result += [
        {"from_id": str(a), "to_id": str(b), "type": "relation", "direction": "right", "labels": [t]}
        for a, b, t in arrows
    ]
    task = {**item, "annotations": [{"id": 1, "completed_by": {"email": "reviewer@example.org"}, "result": result}]}
    out.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")


def stored_relations(db):
    return set(
        sqlite3.connect(db).execute(
            "select s.name, r.predicate, o.name from relations r join entities s on s.id = r.subject_id "
            "join entities o on o.id = r.object_id"
        )
    )


def check_training(db, training, tmp_path):
    """The training records pass the shared validator on the stored texts, and the training loaders
    read them: entity spans found, relations labelled."""
    texts = tmp_path / "texts"
    texts.mkdir(exist_ok=True)
    conn = sqlite3.connect(db)
    for source, text in conn.execute("select d.source, t.text from documents d join document_texts t on t.id = d.id"):
        (texts / Path(source).name).write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, str(DATA / "validate_annotations.py"), str(training), str(texts)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
    folder = tmp_path / "cctv"
    folder.mkdir(exist_ok=True)
    shutil.copy(training, folder / "review-001.jsonl")
    records = load_records(folder)
    assert len(records) == 1
    ((doc, record),) = records.items()
    labels = [label for _, label, _ in labelled_pairs((texts / doc).read_text(encoding="utf-8"), record)]
    assert sum(label != NONE for label in labels) >= len(record["relations"]) // 2 > 0
    return record


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unchanged_review_gives_no_correction_and_valid_training_records(db, tmp_path, fmt):
    out = tmp_path / ("items.jsonl" if fmt == "doccano" else "tasks.json")
    item = exported(db, fmt, out)
    text, spans, arrows = spans_and_arrows(fmt, item)
    stored_text = sqlite3.connect(db).execute("select text from document_texts").fetchone()[0]
    assert text == stored_text and len(spans) > 50 and len(arrows) > 10
    # every span is the text of a stored mention
    mentions = {
        s for (s,) in sqlite3.connect(db).execute("select surface from mentions where paragraph_id is not null")
    }
    assert {text[s:e] for s, e, _ in spans.values()} <= mentions
    if fmt == "label-studio":
        assert '<Relation value="LOCATED_IN"/>' in (tmp_path / "tasks.label-config.xml").read_text(encoding="utf-8")
        # tasks nobody annotated are skipped, not read as "every span deleted"
        skipped = ok("import-annotations", out, "--db", db).output
        assert "0 document(s) compared" in skipped and "1 task(s) without an annotation" in skipped
    before = stored_relations(db)
    review = tmp_path / "reviewed"
    reviewed(fmt, item, spans, arrows, review)
    training = tmp_path / "training.jsonl"
    summary = json.loads(
        ok("import-annotations", review, "--format", fmt, "--training", training, "--db", db, "--json").output
    )
    assert summary["corrections"] == [] and summary["documents"] == 1 and summary["problems"] == []
    assert stored_relations(db) == before
    record = check_training(db, training, tmp_path)
    assert len(record["relations"]) == len({(s, o, t) for s, o, t in arrows})


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_relabelled_span_a_deleted_and_an_added_arrow_become_corrections(db, tmp_path, fmt):
    item = exported(db, fmt, tmp_path / "export")
    text, spans, arrows = spans_and_arrows(fmt, item)
    in_arrows = {k for a, b, _ in arrows for k in (a, b)}
    by_text: dict[str, list] = {}
    for key, (s, e, _) in spans.items():
        by_text.setdefault(text[s:e], []).append(key)
    # relabel an entity printed once and in no relation
    relabel = next(
        k
        for k, (s, e, label) in spans.items()
        if len(by_text[text[s:e]]) == 1 and k not in in_arrows and label != "ZONE"
    )
    s, e, _ = spans[relabel]
    spans[relabel] = (s, e, "ZONE")
    removed = arrows.pop(0)
    # add COOPERATES_WITH between two other spans of one line whose entities are in no relation
    related = {text[spans[k][0] : spans[k][1]] for k in in_arrows}
    pairs = [
        (a, b)
        for a in spans
        for b in spans
        if a != relabel != b
        and spans[a][1] < spans[b][0]
        and "\n" not in text[spans[a][0] : spans[b][1]]
        and len({text[spans[a][0] : spans[a][1]], text[spans[b][0] : spans[b][1]]} - related) == 2
    ]
    added = pairs[0]
    arrows.append((*added, "COOPERATES_WITH"))
    review = tmp_path / "reviewed"
    reviewed(fmt, item, spans, arrows, review)
    result = ok("import-annotations", review, "--db", db)
    assert "3 correction(s) recorded" in result.output, result.output

    conn = sqlite3.connect(db)
    listed = [json.loads(line) for line in ok("corrections", "list", "--json", "--db", db).output.splitlines()]
    assert sorted(c["action"] for c in listed) == ["add-relation", "reject-relation", "retype"]
    assert {c["reason"] for c in listed} == {f"review in {fmt}"}
    if fmt == "label-studio":
        assert {c["author"] for c in listed} == {"reviewer@example.org"}
    name = text[s:e]
    assert conn.execute(
        "select type from entities e join mentions m on m.entity_id = e.id where m.surface = ?", [name]
    ).fetchall() == [("ZONE",)]
    relations = stored_relations(db)
    name_of = {
        k: conn.execute(
            "select e.name from mentions m join entities e on e.id = m.entity_id where m.surface = ?", [text[a:b]]
        ).fetchone()[0]
        for k, (a, b, _) in spans.items()
    }
    assert (name_of[removed[0]], removed[2], name_of[removed[1]]) not in relations
    assert (name_of[added[0]], "COOPERATES_WITH", name_of[added[1]]) in relations
    # the same review imported again changes nothing
    assert "0 correction(s) recorded" in ok("import-annotations", review, "--db", db).output


def test_a_span_that_is_no_entity_is_reported_and_kept_for_training(db, tmp_path):
    item = exported(db, "doccano", tmp_path / "items.jsonl")
    text, spans, arrows = spans_and_arrows("doccano", item)
    start = text.index("党建")
    spans["new"] = (start, start + 2, "INSTITUTION")
    arrows.append((next(iter(spans)), "new", "MEMBER_OF"))
    review, training = tmp_path / "reviewed.jsonl", tmp_path / "training.jsonl"
    reviewed("doccano", item, spans, arrows, review)
    output = ok("import-annotations", review, "--training", training, "--db", db).output
    assert "0 correction(s) recorded" in output
    assert "'党建' [INSTITUTION] is no stored entity" in output and "党建 is no stored entity" in output
    record = json.loads(training.read_text(encoding="utf-8"))
    assert {"name": "党建", "type": "INSTITUTION", "aliases": []} in record["entities"]
    assert any(r["o"] == "党建" and r["p"] == "MEMBER_OF" for r in record["relations"])


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json\n", "line 1: not JSON"),
        (
            '{"text": "金山区", "entities": [{"id": 1, "label": "REGION", "start_offset": 0, "end_offset": 9}]}\n',
            "not inside the text",
        ),
        (
            '{"text": "金山区", "entities": [], '
            '"relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "LOCATED_IN"}]}\n',
            "no entity id",
        ),
        ('[{"data": {}}]', "task 1: not a Label Studio task"),
        (
            '[{"data": {"text": "金山区"}, '
            '"annotations": [{"result": [{"type": "relation", "from_id": "a", "to_id": "b"}]}]}]',
            "no span of the annotation",
        ),
        ("\n", "the file is empty"),
    ],
)
def test_a_malformed_file_is_a_one_line_error(db, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = kb("import-annotations", bad, "--db", db)
    assert result.exit_code == 1 and message in result.output and result.output.count("\n") == 1, result.output
    assert not result.exception or isinstance(result.exception, SystemExit)


def test_export_of_an_unknown_document_is_an_error(db, tmp_path):
    result = kb("export", "doccano", tmp_path / "x.jsonl", "--docs", "nothing-like-this", "--db", db)
    assert result.exit_code == 1 and "no document matches" in result.output
