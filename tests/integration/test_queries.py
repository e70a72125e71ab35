"""Graph queries, dashboard views and the exploration commands on a knowledge base built from the seeds."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import click
import pytest
from click.testing import CliRunner

from kb.cli.explore import register
from kb.query import queries
from kb.query.graph import collaboration_graph, relation_graph
from kb.views import create_views
from tests.conftest import seeds_kb

AI_COMMITTEE = "人工智能产业集群党委"


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory):
    return seeds_kb(tmp_path_factory)


def names(rows):
    return {row["name"] for row in rows}


def test_hanruipuze_collaborates_with_benyou(seeds_db):
    rows = {row["name"]: row for row in queries.collaborators(seeds_db, "汉瑞普泽公司")}
    assert rows["本优公司"]["kinds"] == ["COOPERATES_WITH"]
    assert "发展成为业务伙伴" in rows["本优公司"]["evidence"][0]["sentence"]
    assert "汉瑞普泽公司" in names(queries.collaborators(seeds_db, "本优公司"))


def test_changcheng_and_zhongbian_cooperate_either_way(seeds_db):
    for a, b in (("长城", "中变"), ("中变", "长城")):
        rows = queries.collaborators(seeds_db, a)
        row = next(r for r in rows if r["name"] == b)
        assert row["kinds"] == ["COOPERATES_WITH"] and row["distance"] == 1 and row["documents"] == 1
        assert any("长城、中变两家同行业公司" in ev["sentence"] for ev in row["evidence"])
        assert row["evidence"][0]["source"].endswith("001_ffddcd0b6c50c52f.txt")


def test_members_of_the_ai_cluster_committee(seeds_db):
    rows = {row["name"]: row for row in queries.members(seeds_db, AI_COMMITTEE)}
    assert {"库卡", "柯马"} <= set(rows)
    assert rows["库卡"]["roles"] == ["member"] and rows["柯马"]["roles"] == ["member"]
    assert rows["科大智能"]["roles"] == ["leads"]
    assert list(rows)[0] == "科大智能"  # leaders first
    assert "会同库卡、柯马" in rows["库卡"]["evidence"][0]["sentence"]


def test_groups_of_a_member(seeds_db):
    assert names(queries.groups(seeds_db, "库卡")) == {AI_COMMITTEE}
    assert queries.groups(seeds_db, "长城") == []


def test_shared_membership_is_a_collaboration_marked_as_such(seeds_db):
    rows = {row["name"]: row for row in queries.collaborators(seeds_db, "库卡")}
    assert set(rows) == {"柯马", "科大智能"}
    for row in rows.values():
        assert row["kinds"] == ["shared membership"] and row["via"] == [AI_COMMITTEE]
        assert {ev["kind"] for ev in row["evidence"]} == {"shared membership"}


def test_collaborators_depth_two_reaches_further_with_a_path(seeds_db):
    near = queries.collaborators(seeds_db, "廊下镇", depth=1)
    far = queries.collaborators(seeds_db, "廊下镇", depth=2)
    assert names(near) <= names(far)
    assert all(row["distance"] == 1 and row["path"][0] == "廊下镇" for row in near)
    assert [row["distance"] for row in far] == sorted(row["distance"] for row in far)


def test_entity_found_by_alias_with_relations_and_documents(seeds_db):
    data = queries.entity(seeds_db, "创元化妆品")  # an alias of the company
    assert data["name"] == "上海创元化妆品有限公司" and data["type"] == "ENTERPRISE"
    assert "创元化妆品" in data["aliases"]
    assert [doc["source"].rsplit("/", 1)[-1] for doc in data["documents"]] == ["002_d2ea1ac139073034.txt"]
    cooperation = [r for r in data["relations"] if r["predicate"] == "COOPERATES_WITH"]
    assert cooperation[0]["other"]["name"] == "上海应用技术大学" and cooperation[0]["direction"] == "out"
    assert "产学研合作" in cooperation[0]["evidence"]
    assert json.dumps(data, ensure_ascii=False)  # plain data


def test_unknown_entity_raises_with_suggestions(seeds_db):
    with pytest.raises(queries.EntityNotFound) as err:
        queries.entity(seeds_db, "人工智能产业集群")
    assert AI_COMMITTEE in err.value.suggestions


def test_path_gives_each_hop_with_evidence(seeds_db):
    result = queries.path(seeds_db, "库卡", "科大智能")
    assert result["length"] == 2 and len(result["paths"]) == 1
    hops = result["paths"][0]
    assert [hop["from"] for hop in hops] == ["库卡", AI_COMMITTEE]
    assert hops[0]["relations"][0]["predicate"] == "MEMBER_OF"
    assert hops[1]["relations"][0] == {**hops[1]["relations"][0], "subject": "科大智能", "predicate": "LEADS"}
    assert all(rel["evidence"] for hop in hops for rel in hop["relations"])


def test_path_between_unconnected_entities_is_empty(seeds_db):
    result = queries.path(seeds_db, "长城", AI_COMMITTEE)
    assert result["paths"] == [] and result["length"] is None


def test_top_ranks_by_degree_and_by_documents(seeds_db):
    graph = collaboration_graph(seeds_db)
    by_degree = queries.top(seeds_db, by="degree", limit=5)
    assert by_degree[0]["degree"] == max(dict(graph.degree).values())
    assert [r["degree"] for r in by_degree] == sorted((r["degree"] for r in by_degree), reverse=True)
    by_documents = queries.top(seeds_db, by="documents", limit=3)
    con = sqlite3.connect(seeds_db)
    most = con.execute("select max(documents) from entity_summary").fetchone()[0]
    assert by_documents[0]["documents"] == most
    assert all(row["type"] == "ENTERPRISE" for row in queries.top(seeds_db, type="ENTERPRISE", by="betweenness"))
    with pytest.raises(ValueError):
        queries.top(seeds_db, by="pagerank")


def test_communities_partition_the_collaboration_graph(seeds_db):
    found = queries.communities(seeds_db)
    membership = {m["name"]: c["community"] for c in found for m in c["members"]}
    assert sum(c["size"] for c in found) == len(membership) == len(collaboration_graph(seeds_db))
    assert membership["库卡"] == membership["柯马"] == membership["科大智能"]
    assert membership["长城"] == membership["中变"] != membership["库卡"]
    assert found == queries.communities(seeds_db)  # deterministic


def test_metrics_filter_and_sort(seeds_db):
    park = queries.metrics(seeds_db, "廊下郊野公园")
    assert {(m["value"], m["unit"]) for m in park} >= {(9700.0, "人")}
    dated = [m["when"] for m in queries.metrics(seeds_db) if m["when"]]
    assert dated == sorted(dated) and len(dated) >= 5
    everything = queries.metrics(seeds_db)
    assert everything[-1]["when"] is None  # undated rows last
    members = queries.metrics(seeds_db, indicator="党员", sort="value", descending=True)
    assert members and all("党员" in m["indicator"] for m in members)
    assert [m["value"] for m in members] == sorted((m["value"] for m in members), reverse=True)


def test_graphs_match_the_store(seeds_db):
    con = sqlite3.connect(seeds_db)
    graph = relation_graph(seeds_db)
    assert graph.number_of_nodes() == con.execute("select count(*) from entities").fetchone()[0]
    distinct = con.execute("select count(*) from (select distinct subject_id, predicate, object_id from relations)")
    assert graph.number_of_edges() == distinct.fetchone()[0]
    assert (
        sum(d["evidence_count"] for *_, d in graph.edges(data=True))
        == con.execute("select count(*) from relations").fetchone()[0]
    )


def test_views_agree_with_the_graph(seeds_db):
    con = sqlite3.connect(seeds_db)
    assert create_views(con) == []  # already current: nothing rewritten
    pairs = {frozenset(row) for row in con.execute("select entity_a, entity_b from collaborations")}
    graph = collaboration_graph(seeds_db)
    assert pairs == {frozenset((graph.nodes[u]["name"], graph.nodes[v]["name"])) for u, v in graph.edges}
    row = con.execute(
        "select kind, documents, relations from collaborations where entity_a in ('长城', '中变') "
        "and entity_b in ('长城', '中变')"
    ).fetchall()
    assert row == [("COOPERATES_WITH", 1, 1)]
    shared = con.execute(
        "select via_group from collaborations where kind = 'shared membership' "
        "and entity_a in ('库卡', '柯马') and entity_b in ('库卡', '柯马')"
    ).fetchall()
    assert shared == [(AI_COMMITTEE,)]
    members = dict(con.execute("select member, role from memberships where group_name = ?", [AI_COMMITTEE]))
    assert members == {"科大智能": "leads", "库卡": "member", "柯马": "member"}
    summary = con.execute("select documents, relations_out, collaborations from entity_summary where name = '长城'")
    assert summary.fetchone() == (1, 1, 1)
    assert (
        con.execute("select count(*) from metrics_with_dates").fetchone()
        == con.execute("select count(*) from metrics").fetchone()
    )
    dated = con.execute("select date, period from metrics_with_dates where period glob '[0-9]*'").fetchall()
    assert dated and all(date == period for date, period in dated)


@pytest.fixture(scope="module")
def kb_cli():
    group = click.Group("kb")
    register(group)
    return group


def invoke(kb_cli, seeds_db, *args):
    return CliRunner().invoke(kb_cli, [*args, "--db", str(seeds_db)], catch_exceptions=False)


def test_cli_collaborators_table_json_and_csv(kb_cli, seeds_db):
    result = invoke(kb_cli, seeds_db, "collaborators", "长城")
    assert result.exit_code == 0
    header, rule, row, evidence = result.output.splitlines()[:4]
    assert header.split() == ["distance", "name", "type", "documents", "how", "via"]
    assert row.split()[:5] == ["1", "中变", "ENTERPRISE", "1", "COOPERATES_WITH"]
    assert "长城、中变两家同行业公司" in evidence
    data = json.loads(invoke(kb_cli, seeds_db, "collaborators", "长城", "--json").output)
    assert [r["name"] for r in data] == ["中变"]
    rows = list(csv.DictReader(io.StringIO(invoke(kb_cli, seeds_db, "collaborators", "长城", "--csv").output)))
    assert rows[0]["name"] == "中变" and "长城、中变" in rows[0]["evidence"]


def test_cli_members_groups_path_top_communities_metrics(kb_cli, seeds_db):
    members = invoke(kb_cli, seeds_db, "members", AI_COMMITTEE, "--csv").output
    assert {r["name"] for r in csv.DictReader(io.StringIO(members))} == {"科大智能", "库卡", "柯马"}
    assert AI_COMMITTEE in invoke(kb_cli, seeds_db, "groups", "柯马").output
    path = invoke(kb_cli, seeds_db, "path", "柯马", "科大智能").output
    assert "MEMBER_OF" in path and "LEADS" in path and "会同库卡、柯马" in path
    top = json.loads(invoke(kb_cli, seeds_db, "top", "--by", "documents", "--type", "zone", "--json").output)
    assert top and {r["type"] for r in top} == {"ZONE"}
    communities = invoke(kb_cli, seeds_db, "communities").output
    assert any("库卡" in line and "柯马" in line for line in communities.splitlines())
    metrics = list(csv.DictReader(io.StringIO(invoke(kb_cli, seeds_db, "metrics", "廊下郊野公园", "--csv").output)))
    assert "9700人" in {m["raw"] for m in metrics}


def test_cli_entity_and_errors(kb_cli, seeds_db):
    output = invoke(kb_cli, seeds_db, "entity", "嘉兴").output  # alias of 嘉兴市
    assert output.startswith("嘉兴市  [REGION]") and "LOCATED_IN" in output and "浙江省" in output
    missing = CliRunner().invoke(kb_cli, ["entity", "不存在的公司", "--db", str(seeds_db)])
    assert missing.exit_code == 1 and "no entity is called" in missing.output
    no_db = CliRunner().invoke(kb_cli, ["top", "--db", str(seeds_db) + ".missing"])
    assert no_db.exit_code == 1 and "no knowledge base at" in no_db.output


@pytest.mark.parametrize(
    "value, shown",
    [(4e9, "4000000000"), (9700.0, "9700"), (83.2, "83.2"), (0.005, "0.005"), (1.2e-7, "1.2e-07"), (None, "-")],
)
def test_a_figure_is_printed_as_people_write_it(value, shown):
    assert queries.number(value) == shown  # 40亿 is 4000000000 in a table, not 4e+09
