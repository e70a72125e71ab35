"""Extraction wired into the pipeline: kb extract, the store's entity tables, resolution across documents, kb eval."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kb.cli import main
from kb.extraction import evaluate_corpus, extract_text, known_entities
from kb.ingest import ingest
from pipeline.ontology import TYPES
from tests.conftest import CORPUS, DATA


def test_extract_offsets_refer_to_the_printed_text():
    result = extract_text(
        "## 华鑫电气成立党委\n\n区委书记王明强来到青松镇，走访上海华鑫电气有限公司，"
        "该公司覆盖 216 家企业，营业额增长20%。\n"
    )
    text = result["text"]
    assert result["entities"], result
    for entity in result["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    found = {(e["name"], e["type"]) for e in result["entities"]}
    assert ("王明强", "PERSON") in found and ("上海华鑫电气有限公司", "ENTERPRISE") in found
    assert any(r["predicate"] == "HOLDS_POSITION" and r["subject"] == "王明强" for r in result["relations"])
    values = {(m["value"], m["unit"]) for m in result["metrics"]}
    assert (216.0, "家") in values and (20.0, "%") in values
    for metric in result["metrics"]:
        assert text[metric["start"] : metric["end"]] == metric["raw"]


def test_kb_extract_cli_reads_stdin_and_splits_lines():
    runner = CliRunner()
    out = runner.invoke(
        main,
        ["extract", "-", "--lines"],
        input="青松镇党委书记李华强调研。\n\n华鑫集团与上海远航物流有限公司签订合作协议。\n",
    )
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert len(rows) == 2
    assert any(r["predicate"] == "COOPERATES_WITH" for r in rows[1]["relations"])


def test_kb_extract_cli_reports_bad_input(tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    out = CliRunner().invoke(main, ["extract", str(binary)])
    assert out.exit_code != 0 and "binary" in out.output


def test_ingest_fills_entities_mentions_relations_metrics(store):
    ingest(store, [CORPUS])
    stats = store.stats()
    assert stats["entities"] > 100 and stats["relations"] > 30 and stats["metrics"] > 100
    types = {t for (t,) in store.db.execute("select distinct type from entities")}
    assert types == set(TYPES)  # all nine of the ontology's types
    # Mentions trace back to the original text (seed 000 is Simplified already).
    rows = store.db.execute(
        "select m.surface, d.original, m.orig_start, m.orig_end "
        "from mentions m join documents d on d.id = m.document_id "
        "where d.source like '%000_%' and m.orig_start is not null"
    ).fetchall()
    assert rows and all(original[s:e].replace(" ", "").replace("\n", "") == surface for surface, original, s, e in rows)
    # Relations carry their evidence sentence and a confidence.
    evidence = store.db.execute("select evidence, confidence from relations").fetchall()
    assert all(ev and 0 < conf <= 1 for ev, conf in evidence)


def test_relative_names_resolve_per_district_and_names_merge_across_documents(store, tmp_path):
    # Different wording: near-identical paragraphs would (rightly) be stored as duplicates.
    (tmp_path / "a.txt").write_text(
        "青浦区推进集群党建\n\n青浦区召开产业集群党建推进会，区委组织部部署下半年工作，"
        "上海华鑫电气有限公司等企业代表参加。\n",
        encoding="utf-8",
    )
    (tmp_path / "b.txt").write_text(
        "嘉定区表彰先进基层党组织\n\n日前，嘉定区举行表彰大会。区委组织部负责同志宣读决定，"
        "上海华鑫电气有限公司获评先进企业。\n",
        encoding="utf-8",
    )
    ingest(store, [tmp_path])
    names = {n for (n,) in store.db.execute("select name from entities where type = 'GOV_ORG'")}
    assert {"青浦区委组织部", "嘉定区委组织部"} <= names
    company = store.db.execute(
        "select count(distinct m.document_id) from mentions m join entities e on e.id = m.entity_id "
        "where e.name = '上海华鑫电气有限公司'"
    ).fetchone()[0]
    assert company == 2
    assert store.db.execute("select count(*) from entities where name = '上海华鑫电气有限公司'").fetchone()[0] == 1


def test_eval_on_the_seeds_meets_the_targets():
    report, table = evaluate_corpus(DATA / "seed-gold.jsonl", CORPUS)
    assert "ENTITIES (micro)" in table
    assert report["entities"]["f1"] >= 0.85, table
    assert report["relations"]["f1"] >= 0.60, table
    assert report["metrics"]["f1"] >= 0.75, table


def test_unresolved_relative_names_stay_inside_their_document(store, tmp_path):
    # No district is named, so 区委组织部 cannot be anchored: each article keeps its own.
    (tmp_path / "a.txt").write_text(
        "会议召开\n\n区委组织部部署产业集群党建工作，要求各单位抓好落实。\n", encoding="utf-8"
    )
    (tmp_path / "b.txt").write_text(
        "表彰大会\n\n日前举行表彰大会，区委组织部负责同志宣读了表彰决定。\n", encoding="utf-8"
    )
    ingest(store, [tmp_path])
    rows = store.db.execute("select name, local_to from entities where name = '区委组织部'").fetchall()
    assert len(rows) == 2 and all(local is not None for _, local in rows)
    assert "区委组织部" not in known_entities(store).types


def test_kb_extract_lines_numbers_records_and_keeps_going_past_a_refused_line():
    """A line with nothing left after cleaning is its own record's error; the run goes on, exit 0."""
    text = "青松镇党委书记李华强调研。\n\n<p></p>\n华鑫集团与上海远航物流有限公司签订合作协议。\n"
    out = CliRunner().invoke(main, ["extract", "-", "--lines"], input=text.encode("gb18030"))
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [row["line"] for row in rows] == [1, 3, 4]
    assert "error" in rows[1] and "error" not in rows[0] and "error" not in rows[2]
    assert ("李华", "PERSON") in {(e["name"], e["type"]) for e in rows[0]["entities"]}
    assert "1 of 3 lines" in out.stderr


def test_kb_extract_lines_gives_each_line_the_result_it_gets_alone():
    from kb.extraction import extract_text, extract_texts

    lines = [
        "区委书记王明强来到青松镇，走访上海华鑫电气有限公司。",
        "该公司覆盖216家企业，党员20名。",
        "华鑫集团与上海远航物流有限公司签订合作协议。",
    ]
    assert extract_texts(lines) == [extract_text(line) for line in lines]
