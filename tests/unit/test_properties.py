"""Property-based tests (hypothesis): random text through every stage and the store; dedup order-independence."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.ingest import process_document
from kb.store import Store
from pipeline.dedup import PARAGRAPH_THRESHOLD, Node, assign, exact_key, minhash, rank_key, similarity
from pipeline.read import read_bytes

# The characters newsletters are made of, with the damage OCR, copying and HTML add.
PIECE = st.sampled_from(
    list(
        "党委集群企业公司区镇村有限合作覆盖家名个成立书记与和在、，。；：“”()（）0123456789 \n\t"
        "強(qiáng)實現abcXYZ%#<>/-·—…年月日"
    )
    + ["\ufffd", "\u3000", "ず", "\x00", "\r\n", "<p>", "</div>"]
)
TEXT = st.lists(PIECE, max_size=200).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(TEXT, min_size=1, max_size=3))
def test_random_documents_go_through_every_stage_and_the_store(tmp_path_factory, texts):
    store = Store(tmp_path_factory.mktemp("prop") / "kb.sqlite")
    for i, text in enumerate(texts):
        doc = process_document(read_bytes(text.encode("utf-8"), source=f"doc{i}.txt"))
        assert doc.ok or doc.error  # a failure always says why
        store.save(doc)
    assert store.db.execute("pragma foreign_key_check").fetchall() == []
    for para_text, start, end, surface in store.db.execute(
        "select p.text, m.start, m.end, m.surface from mentions m join paragraphs p on p.id = m.paragraph_id"
    ):
        assert para_text[start:end] == surface


def _reference(nodes: list[Node]) -> dict[str, str | None]:
    """The rule, applied directly: in rank order, point at the most similar earlier original."""
    status: dict[str, str | None] = {}
    for node in sorted(nodes, key=lambda n: n.rank):
        best = None
        for other in sorted(nodes, key=lambda n: n.rank):
            if other.rank >= node.rank or status[other.key] is not None:
                continue
            sim = similarity(node, other)
            if sim >= PARAGRAPH_THRESHOLD and (best is None or sim > best[1]):
                best = (other.key, sim)
        status[node.key] = best[0] if best else None
    return status


def _nodes(items: list[tuple[list[str], str | None]]) -> list[Node]:
    """One paragraph node per (pieces, date) item, its document's sha256 made from its position."""
    return [
        Node(f"{i:064x}:0", rank_key(date, f"{i:064x}", 0), exact_key("".join(pieces)), minhash("".join(pieces)))
        for i, (pieces, date) in enumerate(items)
    ]


# Short texts over a few syllables, so that near-duplicates (and chains of them) are common.
PIECES = st.sampled_from(["党建引领", "产业集群", "企业党委", "联合党支部", "覆盖率", "工作", "发展"])
# Two to seven texts, each with no date or one of two.
DATED_TEXTS = st.lists(
    st.tuples(st.lists(PIECES, min_size=3, max_size=6), st.sampled_from([None, "2020-01-01", "2021-05-05"])),
    min_size=2,
    max_size=7,
)


@settings(max_examples=60, deadline=None)
@given(DATED_TEXTS, st.randoms(use_true_random=False))
def test_dedup_decisions_do_not_depend_on_arrival_order(items, rng):
    nodes = _nodes(items)
    expected = _reference(nodes)
    order = list(nodes)
    rng.shuffle(order)
    stored: list[Node] = []
    status: dict[str, str | None] = {}

    def neighbours(node):
        return [(o, s) for o in stored if o.key != node.key and (s := similarity(node, o)) >= PARAGRAPH_THRESHOLD]

    for node in order:  # one arrival at a time, as the store does it
        stored.append(node)
        for key, (target, _) in assign([node], neighbours, lambda k: status[k] is None).items():
            status[key] = target
    assert status == expected
    # A document replaced (kb.Store._delete_source): what matched it later on, and what pointed at it,
    # is recomputed; the result is as if it had never been there.
    gone = rng.choice(nodes)
    seeds = [o for o, _ in neighbours(gone) if o.rank > gone.rank] + [o for o in stored if status[o.key] == gone.key]
    stored.remove(gone)
    del status[gone.key]
    for key in [k for k, target in status.items() if target == gone.key]:
        status[key] = None  # the store clears pointers into a deleted document
    for key, (target, _) in assign(
        list({o.key: o for o in seeds}.values()), neighbours, lambda k: status[k] is None
    ).items():
        status[key] = target
    assert status == _reference(stored)


@settings(max_examples=60, deadline=None)
@given(DATED_TEXTS, st.randoms(use_true_random=False))
def test_an_index_of_originals_only_gives_the_same_duplicates(items, rng):
    """As the store does it (kb.corpus_index): only originals are indexed, and a node's neighbours
    are the indexed originals it matches plus the nodes pointing at it. Whether a text is a
    duplicate is then the rule's answer in any order (a pointer may pick another matching original)."""
    nodes = _nodes(items)
    expected = _reference(nodes)
    order = list(nodes)
    rng.shuffle(order)
    indexed: dict[str, Node] = {}
    status: dict[str, str | None] = {}
    by_key = {n.key: n for n in nodes}

    def neighbours(node):
        others = set(indexed) | {k for k, target in status.items() if target == node.key}
        return [
            (by_key[k], s)
            for k in sorted(others)
            if k != node.key and (s := similarity(node, by_key[k])) >= PARAGRAPH_THRESHOLD
        ]

    def decided(node, original):
        if original is None:
            indexed[node.key] = node
        else:
            indexed.pop(node.key, None)

    for node in order:
        for key, (target, _) in assign([node], neighbours, lambda k: status[k] is None, decided).items():
            status[key] = target
    assert {k: t is None for k, t in status.items()} == {k: t is None for k, t in expected.items()}
    for key, target in status.items():  # a duplicate points at an earlier original it matches
        if target is not None:
            assert status[target] is None and by_key[target].rank < by_key[key].rank
            assert similarity(by_key[key], by_key[target]) >= PARAGRAPH_THRESHOLD
    assert set(indexed) == {k for k, t in status.items() if t is None}
