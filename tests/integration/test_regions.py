"""Places: the gazetteer's hierarchy (province_city), one entity for a region and its short form,
``--region`` on the query commands, and province/city in the exports."""

from __future__ import annotations

import csv
import json
import sqlite3

import click
import networkx as nx
import pytest
from click.testing import CliRunner

from kb.cli.explore import register
from kb.ingest import ingest
from kb.query import export, queries
from kb.regions import RegionNotFound, canonical_region, entities_under, province_city
from kb.store import Store
from tests.conftest import seeds_kb

# Short documents written like the newsletters: 江苏 named short in one, in full in the other; 吉林
# (吉林省 or 吉林市) named short in one, 吉林省 in the other.
DOCUMENTS = {
    "a_jiangsu.txt": "江苏省推进先进制造业集群建设\n\n近日，江苏省工业和信息化厅召开产业集群党建工作推进会。"
    "会议指出，江苏省南京市江宁区的新能源汽车产业集群已有120家企业。\n",
    "b_alliance.txt": "长三角产业链党建联盟成立\n\n来自江苏、浙江、安徽和上海的30家企业党组织加入联盟。"
    "江苏的代表介绍了产业链协同的经验。\n",
    "c_jilin.txt": "吉林推进汽车产业集群发展\n\n吉林的汽车产业集群已有200家企业。"
    "吉林汽车零部件企业党组织开展联建活动。\n",
    "d_jilin_province.txt": "吉林省召开产业集群党建工作会议\n\n吉林省工业和信息化厅召开会议，"
    "部署汽车产业集群党建工作。\n",
}


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory):
    return seeds_kb(tmp_path_factory)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("places-docs")
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = Store(folder / "kb.sqlite")
    assert ingest(store, [folder]).failed == 0
    store.db.conn.close()
    return folder / "kb.sqlite"


@pytest.fixture(scope="module")
def kb_cli():
    group = click.Group("kb")
    register(group)
    return group


def region_rows(db):
    """name -> (aliases, number of documents mentioning it) of every REGION entity."""
    conn = sqlite3.connect(db)
    out = {}
    for entity_id, name in conn.execute("select id, name from entities where type = 'REGION'"):
        aliases = {a for (a,) in conn.execute("select alias from aliases where entity_id = ?", [entity_id])}
        documents = conn.execute(
            "select count(distinct document_id) from mentions where entity_id = ?", [entity_id]
        ).fetchone()[0]
        out[name] = (aliases, documents)
    return out


@pytest.mark.parametrize(
    "name, expected",
    [
        ("江宁区", ("江苏省", "南京市")),  # a county-level district
        ("溧阳市", ("江苏省", "常州市")),  # a county-level city
        ("嘉兴市", ("浙江省", "嘉兴市")),  # a prefecture city
        ("江苏省", ("江苏省", None)),  # a province has no city
        ("浙江", ("浙江省", None)),  # a short form
        ("上海", ("上海市", "上海市")),  # a municipality is its own city
        ("亭林镇", ("上海市", "上海市")),  # a town of a municipality's district
        ("朝阳区", (None, None)),  # two readings (北京市, 长春市) disagree
        ("长三角", (None, None)),  # no division
    ],
)
def test_province_city(name, expected):
    assert province_city(name) == expected


@pytest.mark.parametrize(
    "name, context, expected",
    [
        ("江苏", (), "江苏省"),
        ("上海", (), "上海市"),  # over the town 上海街道 of 福州
        ("新疆", (), "新疆维吾尔自治区"),
        ("吉林", (), "吉林"),  # 吉林省 or 吉林市: left as it is
        ("吉林", ("长春市",), "吉林省"),  # the document's city settles it
        ("朝阳", ("北京市",), "朝阳区"),
        ("东北", (), "东北"),  # only a town (东北镇) has this short form
        ("亭林", ("金山区",), "亭林镇"),  # a town short form with its district named
        ("中方", (), "中方"),  # "the Chinese side", not 中方县 of 怀化市: a county's short form needs context
        ("中方", ("怀化市",), "中方县"),
        ("中方", ("湖南省",), "中方"),  # its province alone does not say it is the county
        ("江南", ("北京市",), "江南"),  # the region south of the Yangtze, not 南宁's 江南区
        ("义乌", (), "义乌"),
        ("义乌", ("金华市",), "义乌市"),
        ("义乌", ("浙江省",), "义乌"),
        ("义乌", ("义乌市",), "义乌市"),  # named in full in the same document
        ("河北", ("天津市", "北京市"), "河北省"),  # 京津冀: the province, not 天津's 河北区
    ],
)
def test_canonical_region(name, context, expected):
    assert canonical_region(name, context) == expected


def test_short_and_full_name_are_one_entity(small_db):
    regions = region_rows(small_db)
    assert "江苏" not in regions
    aliases, documents = regions["江苏省"]
    assert aliases == {"江苏"} and documents == 2
    assert regions["浙江省"][0] == {"浙江"} and regions["上海市"][0] == {"上海"}


def test_ambiguous_short_form_is_not_merged(small_db):
    regions = region_rows(small_db)
    assert regions["吉林"][1] == 1 and regions["吉林省"][1] == 1
    assert "吉林" not in regions["吉林省"][0]


def test_entities_under_follows_the_hierarchy_and_located_in(seeds_db):
    conn = sqlite3.connect(seeds_db)
    name = dict(conn.execute("select id, name from entities"))
    under = {name[i] for i in entities_under(conn, "上海")}
    # 金山区 by the gazetteer, 亭林镇 under it, 汉瑞普泽公司 LOCATED_IN 亭林镇
    assert {"上海市", "金山区", "亭林镇", "汉瑞普泽公司", "本优公司"} <= under
    assert not under & {"浙江省", "嘉兴市", "长城", "库卡"}
    assert {name[i] for i in entities_under(conn, "嘉兴")} == {"嘉兴市", "大云镇", "广陈镇"}


def test_unknown_or_shared_region_is_a_clear_error(seeds_db):
    conn = sqlite3.connect(seeds_db)
    with pytest.raises(RegionNotFound, match="no region is called '浙江x' .did you mean: 浙江省"):
        entities_under(conn, "浙江x")
    with pytest.raises(RegionNotFound, match="several divisions are called '吉林': give one of 吉林市, 吉林省"):
        entities_under(conn, "吉林")


def test_query_functions_take_region(seeds_db):
    assert {r["name"] for r in queries.collaborators(seeds_db, "汉瑞普泽公司", region="金山区")} == {"本优公司"}
    assert queries.collaborators(seeds_db, "汉瑞普泽公司", region="浙江") == []
    assert {r["name"] for r in queries.members(seeds_db, "人工智能产业集群党委")} and queries.members(
        seeds_db, "人工智能产业集群党委", region="浙江"
    ) == []
    top = queries.top(seeds_db, by="documents", limit=100, region="浙江")
    assert top and "浙江省" in {r["name"] for r in top} and "金山区" not in {r["name"] for r in top}
    everywhere = queries.metrics(seeds_db)
    in_jinshan = queries.metrics(seeds_db, region="金山区")
    assert 0 < len(in_jinshan) < len(everywhere)
    assert {r["entity"] for r in in_jinshan} >= {"金山区", "朱泾镇"} and "嘉兴市" not in {
        r["entity"] for r in in_jinshan
    }


def test_cli_region_with_json(kb_cli, seeds_db):
    def run(*args):
        return CliRunner().invoke(kb_cli, [*args, "--db", str(seeds_db)])

    result = run("top", "--by", "documents", "--region", "金山区", "--json")
    assert result.exit_code == 0
    assert {"金山区", "亭林镇", "汉瑞普泽公司"} <= {r["name"] for r in json.loads(result.output)}
    metrics = json.loads(run("metrics", "--region", "嘉兴", "--json").output)
    assert metrics and {r["entity"] for r in metrics} <= {"嘉兴市", "大云镇", "广陈镇"}
    collaborators = json.loads(run("collaborators", "汉瑞普泽公司", "--region", "上海", "--json").output)
    assert [r["name"] for r in collaborators] == ["本优公司"]
    assert json.loads(run("groups", "柯马", "--region", "浙江", "--json").output) == []
    missing = run("top", "--region", "浙江x")
    assert missing.exit_code == 1 and missing.output == "Error: no region is called '浙江x' (did you mean: 浙江省)\n"


def test_exports_carry_province_and_city(seeds_db, tmp_path):
    files = {path.name: path for path in export.to_csv(seeds_db, tmp_path / "tables")}
    with files["entities.csv"].open(encoding="utf-8", newline="") as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert (rows["柯桥区"]["province"], rows["柯桥区"]["city"]) == ("浙江省", "绍兴市")
    assert (rows["汉瑞普泽公司"]["province"], rows["汉瑞普泽公司"]["city"]) == ("上海市", "上海市")  # LOCATED_IN 亭林镇
    assert (rows["长城"]["province"], rows["长城"]["city"]) == ("", "")
    graph = nx.read_graphml(export.to_graphml(seeds_db, tmp_path / "kb.graphml"))
    node = next(data for _, data in graph.nodes(data=True) if data["name"] == "大云镇")
    assert (node["province"], node["city"]) == ("浙江省", "嘉兴市")
    data = json.loads(export.to_json(seeds_db, tmp_path / "kb.json").read_text(encoding="utf-8"))
    assert next(n for n in data["nodes"] if n["name"] == "浙江省")["province"] == "浙江省"
