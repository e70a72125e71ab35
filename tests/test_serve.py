"""``kb serve``: Datasette answers its JSON API on loopback, read-only, with the canned queries,
full-text search, facets and the map."""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, seeds_kb
from kb import serve
from kb.views import create_views




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
    """``python -m kb.serve`` on a free loopback port over a copy of the seeds database."""
    db = tmp_path_factory.mktemp("serve") / "cluster.sqlite"
    shutil.copy(seeds_kb(tmp_path_factory), db)
    port = free_port()
    log = (db.parent / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "kb.serve", "--db", str(db), "--port", str(port)],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
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


def test_database_is_immutable_and_on_loopback(site):
    base, db = site
    _, databases = get(base, "/-/databases.json")
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("cluster", False)]
    assert base.startswith("http://127.0.0.1:")


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


def test_canned_metrics_over_time(site):
    base, _ = site
    _, rows = get(base, "/cluster/metrics_over_time.json", entity="廊下郊野公园", indicator="", _shape="array")
    assert "9700人" in {r["raw"] for r in rows}
    _, rows = get(base, "/cluster/metrics_over_time.json", entity="", indicator="党员", _shape="array")
    dates = [r["date"] for r in rows if r["date"]]
    assert rows and dates == sorted(dates) and all("党员" in r["indicator"] for r in rows)


def test_full_text_search_on_paragraphs(site):
    base, _ = site
    _, rows = get(base, "/cluster/paragraphs.json", _search="党委", _shape="array", _col="text")
    assert rows and all("党委" in r["text"] for r in rows)


def test_metadata_documents_columns(site):
    base, _ = site
    _, page = get(base, "/cluster/relations")
    assert "Facts between two entities" in page and "the sentence that states it" in page


def test_map_is_served(site):
    base, _ = site
    status, page = get(base, serve.MAP_PATH)
    assert status == 200 and "vis-network" in page and "人工智能产业集群党委" in page
