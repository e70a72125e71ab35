"""Exports load back (GraphML, GEXF, JSON, CSV), the map page escapes untrusted names, and the
displaCy rendering of a document highlights its entities."""

from __future__ import annotations

import csv
import json
import sqlite3

import click
import networkx as nx
import pytest
from click.testing import CliRunner

from kb.cli.explore import register
from kb.query import export
from kb.query.display import render_document
from tests.conftest import seeds_kb

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory):
    return seeds_kb(tmp_path_factory)


def count(db, sql):
    return sqlite3.connect(db).execute(sql).fetchone()[0]


def by_name(graph, name):
    return next(n for n, data in graph.nodes(data=True) if data["name"] == name)


def test_graphml_loads_back_with_attributes(seeds_db, tmp_path):
    out = export.to_graphml(seeds_db, tmp_path / "kb.graphml")
    graph = nx.read_graphml(out)
    assert graph.number_of_nodes() == count(seeds_db, "select count(*) from entities")
    assert graph.number_of_edges() == count(
        seeds_db, "select count(*) from (select distinct subject_id, predicate, object_id from relations)"
    )
    a, b = by_name(graph, "长城"), by_name(graph, "中变")
    assert graph.nodes[a]["type"] == "ENTERPRISE" and graph.nodes[a]["documents"] == 1
    edge = graph.get_edge_data(a, b)["COOPERATES_WITH"]
    assert edge["predicate"] == "COOPERATES_WITH" and edge["weight"] == 1 and edge["evidence_count"] == 1
    assert "长城、中变两家同行业公司" in edge["evidence"]
    province = by_name(graph, "嘉兴市")
    assert "嘉兴" in graph.nodes[province]["aliases"].split("|")


def test_collaboration_graphml_marks_shared_membership(seeds_db, tmp_path):
    graph = nx.read_graphml(export.to_graphml(seeds_db, tmp_path / "c.graphml", graph="collaboration"))
    edge = graph.get_edge_data(by_name(graph, "库卡"), by_name(graph, "柯马"))
    assert edge["kinds"] == "shared membership" and edge["via"] == "人工智能产业集群党委"


def test_gexf_loads_back(seeds_db, tmp_path):
    graph = nx.read_gexf(export.to_gexf(seeds_db, tmp_path / "kb.gexf"))
    assert graph.number_of_nodes() == count(seeds_db, "select count(*) from entities")
    labels = {data["label"] for _, data in graph.nodes(data=True)}
    assert {"长城", "中变", "人工智能产业集群党委"} <= labels


def test_json_export_holds_both_graphs(seeds_db, tmp_path):
    data = json.loads(export.to_json(seeds_db, tmp_path / "kb.json").read_text(encoding="utf-8"))
    names = {node["id"]: node["name"] for node in data["nodes"]}
    assert len(data["nodes"]) == count(seeds_db, "select count(*) from entities")
    pairs = {(names[e["source"]], e["predicate"], names[e["target"]]) for e in data["edges"]}
    assert ("库卡", "MEMBER_OF", "人工智能产业集群党委") in pairs
    collab = {frozenset((names[e["source"]], names[e["target"]])): e for e in data["collaborations"]}
    assert collab[frozenset(("长城", "中变"))]["kinds"] == ["COOPERATES_WITH"]


def test_csv_tables(seeds_db, tmp_path):
    files = {path.name: path for path in export.to_csv(seeds_db, tmp_path / "tables")}
    assert set(files) == {"entities.csv", "relations.csv", "collaborations.csv", "memberships.csv", "metrics.csv"}

    def read(name):
        with files[name].open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    assert len(read("relations.csv")) == count(seeds_db, "select count(*) from relations")
    assert len(read("metrics.csv")) == count(seeds_db, "select count(*) from metrics")
    assert {(r["entity_a"], r["entity_b"]) for r in read("collaborations.csv")} >= {("长城", "中变")}
    members = {r["member"] for r in read("memberships.csv") if r["group"] == "人工智能产业集群党委"}
    assert {"库卡", "柯马", "科大智能"} == members


def test_map_page_is_self_contained_and_escapes_names(seeds_db, tmp_path):
    data = export.map_data(seeds_db)
    data["nodes"].append(
        {"id": -1, "name": HOSTILE, "type": "ENTERPRISE", "aliases": ["</script><b>x"], "documents": 1}
    )
    page = export.render_map(data)
    assert HOSTILE not in page and "</script><b>x" not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # JSON-escaped inside the data block
    assert "http://" not in page.split("<script>", 1)[0]  # nothing fetched: no external src/href
    assert 'src="http' not in page and "<link" not in page
    embedded = page.split('<script type="application/json" id="kb-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded)["nodes"][-1]["name"] == HOSTILE  # the data itself is intact
    names = {node["name"] for node in data["nodes"]}
    assert {"长城", "中变", "库卡"} <= names


def test_cli_export_every_format(seeds_db, tmp_path):
    group = click.Group("kb")
    register(group)
    for fmt, out in (
        ("graphml", "g.graphml"),
        ("gexf", "g.gexf"),
        ("json", "g.json"),
        ("csv", "tables"),
        ("html", "map.html"),
    ):
        result = CliRunner().invoke(group, ["export", fmt, str(tmp_path / out), "--db", str(seeds_db)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / out).exists()
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_nodes() > 100
    assert (tmp_path / "map.html").read_text(encoding="utf-8").count("vis-network") >= 1


def test_displacy_document_highlights_entities(seeds_db):
    page = render_document(seeds_db, "001_ffddcd0b6c50c52f")
    assert page.startswith("<!DOCTYPE html>") and "<title>金山区探索产业集群党建新实践</title>" in page
    assert page.count("<mark") >= 100
    assert "长城\n    <span" in page and "ENTERPRISE" in page and "PARTY_ORG" in page
    with pytest.raises(LookupError):
        render_document(seeds_db, "no-such-document")


def test_displacy_escapes_document_text(tmp_path):
    from kb.ingest import ingest
    from kb.store import Store

    source = tmp_path / "hostile.txt"
    source.write_text(f"{HOSTILE}\n\n上海华鑫电气有限公司与<b>上海应用技术大学</b>开展合作。\n", encoding="utf-8")
    store = Store(tmp_path / "kb.sqlite")
    ingest(store, [source])
    page = render_document(store, "hostile.txt")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page and page.count("<mark") >= 1
