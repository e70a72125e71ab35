"""``kb serve``: Datasette answers its JSON API on loopback, read-only, with the canned queries,
full-text search, facets and the map."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kb.store import Store
from kb.web import serve
from tests.conftest import ROOT, seeds_kb


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(base: str, path: str, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        return response.status, (json.loads(body) if path.endswith(".json") else body.decode("utf-8"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``python -m kb.web.serve`` on a free loopback port over a copy of the seeds database."""
    db = tmp_path_factory.mktemp("serve") / "cluster.sqlite"
    shutil.copy(seeds_kb(tmp_path_factory), db)
    port = free_port()
    log = (db.parent / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "kb.web.serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 45
    while True:
        try:
            get(base, "/-/versions.json")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("kb serve did not start: " + (db.parent / "serve.log").read_text())
            time.sleep(0.3)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    yield base, db
    process.terminate()
    try:
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest  # serving never wrote to it


def test_datasette_version_is_pinned(site):
    _, versions = get(site[0], "/-/versions.json")
    assert versions["datasette"]["version"] == "0.65.5"


def test_database_is_read_only_and_on_loopback(site):
    base, db = site
    _, databases = get(base, "/-/databases.json")
    assert [d["name"] for d in databases] == ["cluster"]
    assert base.startswith("http://127.0.0.1:")
    # SQL that writes is refused by the read-only connection (the fixture checks the file's bytes).
    with pytest.raises(urllib.error.HTTPError):
        get(base, "/cluster.json", sql="delete from entities")


@pytest.mark.parametrize(
    "path", ["/cluster/entities", "/cluster", "/-/messages", "/cluster/search", "/-/permissions", "/-/logout"]
)
def test_every_post_is_method_not_allowed(site, path):
    base, _ = site
    request = urllib.request.Request(base + path, data=b"message=x&message_type=BAD", method="POST")
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 405


def test_table_json_and_facets(site):
    base, _ = site
    _, rows = get(base, "/cluster/entities.json", name="长城", _shape="array")
    assert [(r["name"], r["type"]) for r in rows] == [("长城", "ENTERPRISE")]
    _, data = get(base, "/cluster/relations.json", _facet="predicate", _size="0")
    facets = {f["value"]: f["count"] for f in data["facet_results"]["predicate"]["results"]}
    assert facets["COOPERATES_WITH"] >= 10 and "MEMBER_OF" in facets


def test_canned_collaborators_and_members(site):
    base, _ = site
    _, rows = get(base, "/cluster/collaborators_of.json", name="长城", _shape="array")
    assert {(r["collaborator"], r["kind"]) for r in rows} == {("中变", "COOPERATES_WITH")}
    _, rows = get(base, "/cluster/collaborators_of.json", name="库卡", _shape="array")
    assert {r["collaborator"] for r in rows if r["kind"] == "shared membership"} == {"柯马", "科大智能"}
    _, rows = get(base, "/cluster/members_of.json", group="人工智能产业集群党委", _shape="array")
    assert [(r["member"], r["role"]) for r in rows][0] == ("科大智能", "leads")
    assert {"库卡", "柯马"} <= {r["member"] for r in rows}


def test_canned_members_by_year(site):
    base, _ = site
    _, rows = get(base, "/cluster/members_by_year.json", group="人工智能产业集群党委", _shape="array")
    assert {(r["member"], r["role"]) for r in rows} >= {("科大智能", "leads"), ("库卡", "member"), ("柯马", "member")}
    years = [r["year"] for r in rows]
    assert all(len(y) in (0, 4) for y in years) and all(r["documents"] >= 1 for r in rows)


def test_canned_metrics_over_time(site):
    base, _ = site
    _, rows = get(base, "/cluster/metrics_over_time.json", entity="廊下郊野公园", indicator="", _shape="array")
    assert "9700人" in {r["raw"] for r in rows}
    _, rows = get(base, "/cluster/metrics_over_time.json", entity="", indicator="党员", _shape="array")
    dates = [r["date"] for r in rows if r["date"]]
    assert rows and dates == sorted(dates) and all("党员" in r["indicator"] for r in rows)


@pytest.mark.parametrize("query", ["党委", "产业集群", "%", "_"])
def test_web_search_answers_as_kb_search_does(site, query):
    base, db = site
    _, rows = get(base, "/cluster/search.json", q=query, _shape="array", _size="max")
    expected = Store(db, readonly=True).search(query, limit=1000)
    assert [r["paragraph_id"] for r in rows] == [r["paragraph_id"] for r in expected]
    assert all(query in r["text"] for r in rows)
    if query in ("党委", "产业集群"):
        assert rows


def test_web_search_of_nothing_finds_nothing(site):
    base, _ = site
    _, rows = get(base, "/cluster/search.json", q="", _shape="array")
    assert rows == []


def test_serve_refuses_a_missing_database_and_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "kb.sqlite"
    with pytest.raises(serve.KnowledgeBaseMissing, match="no knowledge base at"):
        serve.check(missing)
    assert not missing.parent.exists()


def test_serve_refuses_outdated_views_without_writing(tmp_path, tmp_path_factory):
    db = tmp_path / "old.sqlite"
    shutil.copy(seeds_kb(tmp_path_factory), db)
    conn = sqlite3.connect(db)
    conn.execute("drop view entity_summary")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(serve.ServeError, match="kb ingest"):
        serve.check(db)
    assert db.read_bytes() == before


def test_metadata_documents_columns(site):
    base, _ = site
    _, page = get(base, "/cluster/relations")
    assert "Facts between two entities" in page and "the sentence that states it" in page


def test_map_is_served(site):
    base, _ = site
    status, page = get(base, serve.MAP_PATH)
    assert status == 200 and "vis-network" in page and "人工智能产业集群党委" in page


def test_figures_over_time_page_draws_the_plot_of_kb_metrics(site):
    base, _ = site
    status, body = get(base, "/-/metrics-chart", indicator="党员")
    assert status == 200 and "<svg" in body and "series" in body
    _, home = get(base, "/")
    assert "/-/metrics-chart" in home
    with pytest.raises(urllib.error.HTTPError) as bad:
        get(base, "/-/metrics-chart", indicator="党员", since="last year")
    assert bad.value.code == 400 and "give YYYY" in bad.value.read().decode("utf-8")
    _, nothing = get(base, "/-/metrics-chart", indicator="没有这个指标")
    assert "<svg" not in nothing and "no figures match" in nothing


def test_canned_coverage_by_place(site):
    base, _ = site
    _, rows = get(base, "/cluster/coverage_by_place.json", indicator="", _shape="array")
    assert rows and all("覆盖" in r["indicator"] for r in rows)
    assert all(r["place"] and r["place_from"] in ("subject", "located_in", "document") for r in rows)
    assert [r["place"] for r in rows] == sorted(r["place"] for r in rows)
    _, rates = get(base, "/cluster/coverage_by_place.json", indicator="覆盖率", _shape="array")
    assert rates and {r["unit"] for r in rates} == {"%"}
