"""End to end: the collaboration map opened in headless Chromium renders its nodes, shows a
selected entity's relations and evidence, and keeps names from untrusted text as text."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from kb.query.export import to_html
from tests.conftest import seeds_kb

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt install chromium)")

HOSTILE = "<script>alert(1)</script>"
# Would mark the page if it ever ran as markup or script.
PAYLOADS = [
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "<script>document.body.setAttribute('data-pwned','script')</script>",
]


@pytest.fixture(scope="module")
def map_page(tmp_path_factory):
    """A copy of the seeds KB with hostile names added as entities, relations and evidence (as
    text from a hostile newsletter would arrive), exported as the map."""
    folder = tmp_path_factory.mktemp("map")
    db = folder / "kb.sqlite"
    shutil.copy(seeds_kb(tmp_path_factory), db)
    con = sqlite3.connect(db)
    target = con.execute("select id from entities where name = '长城'").fetchone()[0]
    document = con.execute("select document_id from mentions where entity_id = ?", [target]).fetchone()[0]
    for name in [HOSTILE, *PAYLOADS]:
        entity = con.execute("insert into entities (name, type) values (?, 'ENTERPRISE')", [name]).lastrowid
        con.execute("insert into aliases (entity_id, alias) values (?, ?)", [entity, name + "&amp;"])
        con.execute(
            "insert into relations (subject_id, predicate, object_id, document_id, evidence, confidence) "
            "values (?, 'COOPERATES_WITH', ?, ?, ?, 0.5)",
            [entity, target, document, f"{name}与长城合作。"],
        )
    con.commit()
    nodes = con.execute(
        "select count(distinct id) from entities where id in "
        "(select subject_id from relations union select object_id from relations)"
    ).fetchone()[0]
    con.close()
    return to_html(db, folder / "map.html"), nodes


def chromium(*args: str, profile: Path, timeout: int = 90) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        "--window-size=1400,900",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def dump(page: Path, profile: Path, fragment: str = "") -> str:
    result = chromium("--dump-dom", page.as_uri() + fragment, profile=profile)
    assert "<body" in result.stdout, result.stderr[-2000:]
    return result.stdout


def test_nodes_render_and_names_stay_text(map_page, tmp_path):
    page, nodes = map_page
    dom = dump(page, tmp_path / "profile")
    body = re.search(r"<body[^>]*>", dom).group(0)
    rendered = int(re.search(r'data-rendered="(\d+)"', body).group(1))
    assert rendered == nodes  # every entity with a relation got a position on the canvas
    assert "<canvas" in dom
    assert "data-pwned" not in body
    # The search list shows every name as text: escaped in the serialized DOM, never as markup.
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt;<small>ENTERPRISE</small></li>" in dom
    assert "<li>长城<small>ENTERPRISE</small></li>" in dom
    assert '<img src="x"' not in dom and "<script>alert(1)" not in dom


def test_selected_entity_shows_relations_and_evidence_as_text(map_page, tmp_path):
    page, _ = map_page
    dom = dump(page, tmp_path / "profile", "#entity=" + urllib.parse.quote(HOSTILE))
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-selected="' in body and "data-pwned" not in body
    details = dom.split('<div id="details">', 1)[1].split('<div id="graph"', 1)[0]
    assert "<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>" in details
    assert "aliases: &lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;" in details
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;与长城合作。”" in details
    assert "<b>长城</b>" in details and "COOPERATES_WITH" in details


def test_selecting_a_real_entity_lists_its_evidence(map_page, tmp_path):
    page, _ = map_page
    dom = dump(page, tmp_path / "profile", "#entity=" + urllib.parse.quote("库卡"))
    details = dom.split('<div id="details">', 1)[1].split('<div id="graph"', 1)[0]
    assert "<h2>库卡</h2>" in details
    assert "MEMBER_OF" in details and "<b>人工智能产业集群党委</b>" in details
    assert "会同库卡、柯马等一批人工智能核心企业" in details
    assert "shared membership (人工智能产业集群党委)" in details
