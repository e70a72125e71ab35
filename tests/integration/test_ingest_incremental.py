"""Incremental ingest: unchanged content skipped, changed content replaced cleanly, order does not matter.

"The same knowledge base" (:func:`snapshot`) means, compared by names and content hashes, never by
row ids: the same documents; the same entities (name, type, and for a document-local name the
document's sha256) and aliases; the same mentions, relations and metrics per document and
paragraph; and the same duplicate pairs, paragraph → paragraph and document → document, where the
original of a pair is the copy from the earlier-dated document, then the smaller sha256.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from kb.ingest import ingest
from kb.store import Store
from tests.conftest import seed


def snapshot(store: Store) -> dict:
    """The knowledge base by names and hashes (see the module docstring)."""
    q = lambda sql: store.db.execute(sql).fetchall()  # noqa: E731
    sha = "(select sha256 from documents where id = {})"
    return {
        "documents": sorted(
            q(
                "select d.sha256, d.source, d.status, d.error, d.title, d.date, t.text "
                "from documents d join document_texts t on t.id = d.id"
            )
        ),
        "entities": sorted(q(f"select e.name, e.type, {sha.format('e.local_to')} from entities e")),
        "aliases": sorted(q("select e.name, e.type, a.alias from aliases a join entities e on e.id = a.entity_id")),
        "mentions": Counter(
            q(
                "select d.sha256, p.idx, m.start, m.end, e.name, e.type, m.surface from mentions m "
                "join documents d on d.id = m.document_id join entities e on e.id = m.entity_id "
                "left join paragraphs p on p.id = m.paragraph_id"
            )
        ),
        "relations": Counter(
            q(
                "select d.sha256, p.idx, s.name, r.predicate, o.name, r.evidence, r.attrs "
                "from relations r join documents d on d.id = r.document_id "
                "join entities s on s.id = r.subject_id join entities o on o.id = r.object_id "
                "left join paragraphs p on p.id = r.paragraph_id"
            )
        ),
        "metrics": Counter(
            q(
                "select d.sha256, p.idx, e.name, m.subject_text, m.indicator, m.value, m.unit, m.period, "
                "m.raw from metrics m join documents d on d.id = m.document_id "
                "left join entities e on e.id = m.subject_id left join paragraphs p on p.id = m.paragraph_id"
            )
        ),
        "duplicate_paragraphs": sorted(
            q(
                "select d.sha256, p.idx, td.sha256, t.idx, p.similarity from paragraphs p "
                "join paragraphs t on t.id = p.duplicate_of join documents d on d.id = p.document_id "
                "join documents td on td.id = t.document_id"
            )
        ),
        "duplicate_documents": sorted(
            q("select d.sha256, t.sha256 from documents d join documents t on t.id = d.duplicate_of")
        ),
    }


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_docs(folder: Path) -> dict[str, Path]:
    """Three related newsletters made from the seeds.

    a: seed 004 as printed (dated by its dateline). b: an earlier-dated reprint of its opening,
    damaged the way OCR damages text (spaces inside words, a paragraph broken in two places).
    c: seed 003 (undated) with a paragraph of seed 004 reprinted word for word.
    """
    folder.mkdir(parents=True, exist_ok=True)
    a = lines(seed("004"))
    dateline = a[-1]
    earlier = re.sub(r"\d{4}-\d{2}-\d{2}", "2019-03-01", dateline)
    assert earlier != dateline
    damaged = " ".join(a[2][i : i + 7] for i in range(0, len(a[2]), 7))
    paths = {"a": folder / "a.txt", "b": folder / "b.txt", "c": folder / "c.txt"}
    paths["a"].write_text("\n\n".join(a) + "\n", encoding="utf-8")
    paths["b"].write_text("\n\n".join([a[0], a[1], damaged, a[3], earlier]) + "\n", encoding="utf-8")
    paths["c"].write_text("\n\n".join(lines(seed("003")) + [a[3]]) + "\n", encoding="utf-8")
    return paths


def test_unchanged_content_is_skipped_and_changed_content_replaces_the_old_rows(tmp_path):
    docs = make_docs(tmp_path / "in")
    store = Store(tmp_path / "kb.sqlite")
    first = ingest(store, [docs["a"]])
    assert (first.added, first.unchanged) == (1, 0)
    assert ingest(store, [docs["a"]]).unchanged == 1
    docs["a"].write_text(seed("003").read_text(encoding="utf-8"), encoding="utf-8")  # same path, new content
    again = ingest(store, [docs["a"]])
    assert (again.added, again.unchanged) == (1, 0)
    fresh = Store(tmp_path / "fresh.sqlite")
    ingest(fresh, [docs["a"]])
    # Nothing of the old content is left: no paragraph, mention, signature, or entity it alone named.
    assert snapshot(store) == snapshot(fresh)
    assert store.stats() == fresh.stats()
    for table in ("lsh_bands", "held_facts"):  # row ids differ between the two: compare the counts
        assert (
            store.db.execute(f"select count(*) from {table}").fetchone()
            == fresh.db.execute(f"select count(*) from {table}").fetchone()
        )


def test_order_of_arrival_does_not_change_the_knowledge_base(tmp_path):
    docs = make_docs(tmp_path / "in")
    forward, backward = Store(tmp_path / "abc.sqlite"), Store(tmp_path / "cba.sqlite")
    for name in "abc":
        ingest(forward, [docs[name]])
    for name in "cba":
        ingest(backward, [docs[name]])
    snap = snapshot(forward)
    assert snap == snapshot(backward)
    # The reprint dated earlier is the original; the copies in a (later) and c (undated) point at it.
    pairs = {(d[:6], i): (t[:6], j) for d, i, t, j, _ in snap["duplicate_paragraphs"]}
    sha = {
        name: forward.db.execute("select sha256 from documents where source = ?", [str(p)]).fetchone()[0][:6]
        for name, p in docs.items()
    }
    assert {target for target, _ in pairs.values()} == {sha["b"]}
    assert pairs[(sha["a"], 0)] == (sha["b"], 0) and pairs[(sha["a"], 2)] == (sha["b"], 2)  # the damaged one too
    assert [target for (doc, _), target in pairs.items() if doc == sha["c"]] == [(sha["b"], 2)]
    # Facts of a duplicate paragraph are counted once, where the original is.
    dup_facts = forward.db.execute(
        "select count(*) from mentions m join paragraphs p on p.id = m.paragraph_id where p.duplicate_of is not null"
    ).fetchone()[0]
    assert dup_facts == 0


def test_replacing_the_original_makes_its_copies_originals_again(tmp_path):
    docs = make_docs(tmp_path / "in")
    store = Store(tmp_path / "kb.sqlite")
    ingest(store, [tmp_path / "in"])
    # b changes: the reprinted paragraphs go, so a's copies become the originals again.
    b = lines(docs["b"])
    docs["b"].write_text("\n\n".join([b[0], b[1], b[-1]]) + "\n", encoding="utf-8")
    report = ingest(store, [tmp_path / "in"])
    assert (report.added, report.unchanged) == (1, 2)
    fresh = Store(tmp_path / "fresh.sqlite")
    ingest(fresh, [tmp_path / "in"])
    assert snapshot(store) == snapshot(fresh)
    a_sha = store.db.execute("select sha256 from documents where source = ?", [str(docs["a"])]).fetchone()[0]
    assert (
        store.db.execute(
            "select count(*) from mentions m join documents d on d.id = m.document_id "
            "join paragraphs p on p.id = m.paragraph_id where d.sha256 = ? and p.idx = 2",
            [a_sha],
        ).fetchone()[0]
        > 0
    )  # a's paragraph has its facts back
