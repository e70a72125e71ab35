"""Time on queries and exports: relation dates (the sentence's own, else the document's),
--since/--until on collaborators, path, search and export, and dated GraphML/GEXF edges."""

from __future__ import annotations

import csv
import json

import networkx as nx
import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.dates import bounds, relation_date
from kb.query import queries
from kb.query.export import export
from kb.store import Store
from tests.conftest import records_kb

HUAXIN, TONGGONG, ZHENHUA, BAOGANG = (
    "上海华鑫电气有限公司",
    "上海通工汽车零部件有限公司",
    "上海振华重工有限公司",
    "上海宝钢包装股份有限公司",
)
# Four news items: a chain 华鑫 -(2019)- 通工 -(2021)- 振华, a visit whose sentence dates it
# (2021-12-03) in a document of 2022, and an undated item.
RECORDS = [
    {
        "id": "a",
        "date": "2019-04-10",
        "title": "结对",
        "text": f"{HUAXIN}与{TONGGONG}签订党建共建协议，双方开展人才交流。",
    },
    {
        "id": "b",
        "date": "2021-06-20",
        "title": "共建",
        "text": f"{TONGGONG}与{ZHENHUA}签订党建共建协议，推动产业链协同发展。",
    },
    {
        "id": "c",
        "date": "2022-03-15",
        "title": "调研",
        "text": f"2021年12月3日，区委书记王明强走访{HUAXIN}，了解企业党建工作。",
    },
    {"id": "d", "title": "联建", "text": f"{TONGGONG}与{BAOGANG}签订党建共建协议，共享培训资源。"},
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return records_kb(tmp_path_factory.mktemp("time_queries"), RECORDS)


def _cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def _collaborators(db, name, *args):
    result = _cli("collaborators", name, "--db", db, "--json", *args)
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_a_relation_is_dated_by_its_sentence_else_by_its_document(db):
    relations = {r["predicate"]: r for r in queries.entity(db, "王明强")["relations"]}
    visit, position = relations["VISITED"], relations["HOLDS_POSITION"]
    assert (visit["date"], visit["date_source"], visit["document_date"]) == ("2021-12-03", "sentence", "2022-03-15")
    assert (position["date"], position["date_source"]) == ("2022-03-15", "document")
    undated = next(r for r in queries.entity(db, BAOGANG)["relations"])
    assert (undated["date"], undated["date_source"]) == (None, None)


@pytest.mark.parametrize(
    "attrs, document_date, expected",
    [
        ('{"date": "2021-12-03"}', "2022-03-15", ("2021-12-03", "sentence")),
        ('{"date": "09-05"}', "2021-10-26", ("2021-09-05", "sentence")),  # 9月5日 in the document's year
        ('{"date": "12-28"}', "2022-01-04", ("2021-12-28", "sentence")),  # after the document: the year before
        ('{"date": "12-03"}', "2022", ("2022-12-03", "sentence")),  # a year-only document date: that year
        ('{"date": "12-03"}', None, (None, None)),  # no year anywhere: undated
        ('{"date": "13-40"}', "2021-10-26", ("2021-10-26", "document")),  # not a day
        ('{"title": "书记"}', "2021-10-26", ("2021-10-26", "document")),
        (None, None, (None, None)),
    ],
)
def test_relation_date_rules(attrs, document_date, expected):
    assert relation_date(attrs, document_date) == expected


def test_bounds():
    assert bounds("2021") == ("2021-01-01", "2021-12-31") and bounds("2020-02") == ("2020-02-01", "2020-02-29")
    assert bounds("12-03") is None


def test_collaborators_in_a_range_leave_out_older_and_undated_relations(db):
    assert set(_collaborators(db, TONGGONG)) == {HUAXIN, ZHENHUA, BAOGANG}
    assert set(_collaborators(db, TONGGONG, "--since", "2020")) == {ZHENHUA}
    assert set(_collaborators(db, TONGGONG, "--until", "2020-12")) == {HUAXIN}
    assert (
        _collaborators(db, TONGGONG, "--since", "2019-04-10", "--until", "2019-04-10")[HUAXIN]["evidence"][0][
            "date_source"
        ]
        == "document"
    )
    assert [r["name"] for r in queries.collaborators(db, TONGGONG, since="2021", until="2021")] == [ZHENHUA]


def test_path_through_a_relation_outside_the_range_is_gone(db):
    def path(*args):
        result = _cli("path", HUAXIN, ZHENHUA, "--db", db, "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert path()["length"] == 2
    assert [h["to"] for h in path("--until", "2021")["paths"][0]] == [TONGGONG, ZHENHUA]
    assert path("--since", "2020")["paths"] == []
    assert queries.path(db, HUAXIN, ZHENHUA, since="2020")["length"] is None


def test_the_visit_counts_by_its_sentence_date_not_its_document_date(db):
    assert queries.path(db, "王明强", HUAXIN, until="2021")["length"] == 1  # the document is of 2022
    assert queries.path(db, "王明强", HUAXIN, since="2022")["paths"] == []


def test_search_with_since_and_until_keeps_paragraphs_of_documents_in_range(db):
    def docs(*args):
        result = _cli("search", "党建共建协议", "--db", db, "--json", *args)
        return result.exit_code, [json.loads(line)["date"] for line in result.stdout.splitlines()]

    assert docs() == (0, ["2019-04-10", "2021-06-20", None])
    assert docs("--since", "2020") == (0, ["2021-06-20"])
    assert docs("--until", "2019") == (0, ["2019-04-10"])
    code, _ = docs("--since", "2030")
    assert code == 1
    assert len(Store(db, readonly=True).search("党建共建协议", limit=1, since="2020")) == 1


def test_graphml_edges_carry_start_end_and_documents_per_year(db, tmp_path):
    out = tmp_path / "kb.graphml"
    assert _cli("export", "graphml", out, "--db", db).exit_code == 0
    graph = nx.read_graphml(out)
    edges = {(graph.nodes[u]["name"], d["predicate"], graph.nodes[v]["name"]): d for u, v, d in graph.edges(data=True)}
    first = edges[(HUAXIN, "COOPERATES_WITH", TONGGONG)]
    assert (first["start"], first["end"], first["docs_2019"], first["docs_2021"]) == ("2019-04-10", "2019-04-10", 1, 0)
    visit = edges[("王明强", "VISITED", HUAXIN)]
    assert (visit["start"], visit["docs_2021"], visit["docs_2022"]) == ("2021-12-03", 1, 0)
    assert "start" not in edges[(TONGGONG, "COOPERATES_WITH", BAOGANG)]  # undated: always shown
    assert graph.nodes[next(n for n in graph if graph.nodes[n]["name"] == TONGGONG)]["start"] == "2019-04-10"


def test_export_in_a_range_leaves_the_relation_out(db, tmp_path):
    out = tmp_path / "kb.gexf"
    assert _cli("export", "gexf", out, "--since", "2020", "--db", db).exit_code == 0
    graph = nx.read_gexf(out)
    assert graph.graph["mode"] == "dynamic"
    pairs = {(graph.nodes[u]["label"], graph.nodes[v]["label"]) for u, v in graph.edges()}
    assert (TONGGONG, ZHENHUA) in pairs and (HUAXIN, TONGGONG) not in pairs and (TONGGONG, BAOGANG) not in pairs
    assert all(data["start"] >= "2020" for _, _, data in graph.edges(data=True))
    collab = tmp_path / "collab.graphml"
    export(db, "graphml", collab, graph="collaboration", until="2020")
    names = {d["name"] for _, d in nx.read_graphml(collab).nodes(data=True)}
    assert names == {HUAXIN, TONGGONG}
    folder = tmp_path / "tables"
    assert _cli("export", "csv", folder, "--until", "2021", "--db", db).exit_code == 0
    with (folder / "relations.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["predicate"], r["date"], r["date_source"]) for r in rows} == {
        ("COOPERATES_WITH", "2019-04-10", "document"),
        ("COOPERATES_WITH", "2021-06-20", "document"),
        ("VISITED", "2021-12-03", "sentence"),
    }


@pytest.mark.parametrize(
    "command",
    [["collaborators", TONGGONG], ["path", HUAXIN, ZHENHUA], ["search", "党建"], ["export", "graphml", "OUT"]],
)
def test_bad_dates_are_a_clear_error(db, command, tmp_path):
    command = [tmp_path / "out.graphml" if arg == "OUT" else arg for arg in command]
    for option in ("--since", "--until"):
        result = _cli(*command, option, "last year", "--db", db)
        assert not (tmp_path / "out.graphml").exists()
        assert result.exit_code == 2 and "YYYY, YYYY-MM or YYYY-MM-DD" in result.output
