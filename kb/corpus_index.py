"""The corpus-wide near-duplicate index in the knowledge base: MinHash LSH over the stored originals.

One table, ``lsh_bands (bucket, node)``: for every stored *original* (a paragraph or document
that repeats no earlier stored text), one row per LSH band of its MinHash signature and one for
its exact key. A duplicate has no rows: a new copy of a paragraph printed in a thousand issues
meets its one original, so the cost of a lookup does not grow with the copies stored, and the
index stays small (about 50 four-byte buckets per original paragraph). Signatures are not
stored: a candidate's is computed again from its stored text (0.4 ms), which keeps the
similarity exactly what ``pipeline.dedup.similarity`` says.

Nodes are named ``p<paragraph id>`` and ``d<document id>``; in ``lsh_bands`` a paragraph is its
id and a document minus its id.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from pipeline.dedup import (
    DOCUMENT_THRESHOLD,
    MIN_NEAR_CHARS,
    PARAGRAPH_THRESHOLD,
    Node,
    band_buckets,
    exact_bucket,
    exact_key,
    fingerprint_text,
    known_minhash,
    rank_key,
    similarity,
)

from .schema import document_text

THRESHOLD = {"p": PARAGRAPH_THRESHOLD, "d": DOCUMENT_THRESHOLD}
KIND = {"p": "paragraph", "d": "document"}

TABLES = [
    "create table if not exists lsh_bands (bucket integer not null, node integer not null, "
    "primary key (bucket, node)) without rowid",
    "create index if not exists idx_paragraphs_duplicate on paragraphs(duplicate_of)",
    "create index if not exists idx_documents_duplicate on documents(duplicate_of)",
]
# What schema 2 kept for the same purpose (a signature, a key row and ~47 band rows with a
# 66-character key for every paragraph, copies included: 80% of the database).
OLD_TABLES = ("lsh_buckets", "lsh_keys", "signatures")


def node_key(kind: str, row_id: int) -> str:
    """``p12`` for paragraph 12, ``d3`` for document 3."""
    return f"{kind}{row_id}"


def row_of(key: str) -> tuple[str, int]:
    """(``p`` or ``d``, row id) of a node key."""
    return key[0], int(key[1:])


def _band_node(key: str) -> int:
    kind, row_id = row_of(key)
    return row_id if kind == "p" else -row_id


def comparable(text: str) -> bool:
    """True for a paragraph long enough to take part in corpus-wide dedup (shorter ones, headings,
    are compared only inside their document)."""
    return len(fingerprint_text(text)) >= MIN_NEAR_CHARS


def make_node(key: str, rank: str, text: str, signatures: dict[str, Any] | None = None) -> Node:
    """A node for ``text``; a paragraph carries its text for the facts check (``dedup.similarity``).
    ``signatures`` are the ones the worker made (``Document.signatures``), used when they hold it."""
    exact = exact_key(text)
    return Node(key, rank, exact, known_minhash(text, exact, signatures or {}), text if key[0] == "p" else None)


class CorpusIndex:
    """Lookups and updates of ``lsh_bands`` for one store; nodes read once per instance."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._nodes: dict[str, Node | None] = {}
        self._buckets: dict[str, list[int]] = {}

    def forget(self) -> None:
        """Drop the nodes read so far (their rows may change after a transaction)."""
        self._nodes.clear()
        self._buckets.clear()

    def remember(self, node: Node) -> None:
        """A node made by the caller (a new document's), so that it is not read back."""
        self._nodes[node.key] = node

    def node(self, key: str) -> Node | None:
        """The stored paragraph or document as a node (None if it is gone)."""
        if key not in self._nodes:
            kind, row_id = row_of(key)
            if kind == "p":
                row = self.db.execute(
                    "select p.text, p.idx, d.date, d.sha256 from paragraphs p "
                    "join documents d on d.id = p.document_id where p.id = ?",
                    [row_id],
                ).fetchone()
                node = make_node(key, rank_key(row[2], row[3], row[1]), row[0]) if row else None
            else:
                row = self.db.execute("select date, sha256 from documents where id = ?", [row_id]).fetchone()
                text = document_text(self.db.conn, row_id) if row else None
                node = make_node(key, rank_key(row[0], row[1]), text or "") if row else None
            self._nodes[key] = node
        return self._nodes[key]

    def buckets(self, node: Node) -> list[int]:
        """The node's LSH band buckets and its exact-text bucket."""
        if node.key not in self._buckets:
            kind = KIND[node.key[0]]
            self._buckets[node.key] = [
                *band_buckets(node.signature, THRESHOLD[node.key[0]], kind),
                exact_bucket(node.exact, kind),
            ]
        return self._buckets[node.key]

    def add(self, node: Node) -> None:
        """Index a node that is (now) an original."""
        band_node = _band_node(node.key)
        self.db.conn.executemany(
            "insert or ignore into lsh_bands (bucket, node) values (?, ?)",
            [(bucket, band_node) for bucket in self.buckets(node)],
        )

    def remove(self, node: Node) -> None:
        """Take a node out of the index (it became a duplicate, or is deleted)."""
        band_node = _band_node(node.key)
        self.db.conn.executemany(
            "delete from lsh_bands where bucket = ? and node = ?",
            [(bucket, band_node) for bucket in self.buckets(node)],
        )

    def neighbours(self, node: Node) -> list[tuple[Node, float]]:
        """The indexed originals that ``node`` matches, and the stored nodes that point at it (their
        status depends on it), each with its similarity, when at or above the threshold."""
        kind, row_id = row_of(node.key)
        buckets = self.buckets(node)
        marks = ",".join("?" * len(buckets))
        found = {
            n for (n,) in self.db.execute(f"select distinct node from lsh_bands where bucket in ({marks})", buckets)
        }
        keys = {node_key("p", n) if n > 0 else node_key("d", -n) for n in found if (n > 0) == (kind == "p")}
        if kind == "p":
            keys |= {
                node_key("p", i)
                for (i,) in self.db.execute(
                    "select p.id from paragraphs p join paragraphs t on t.id = p.duplicate_of "
                    "where p.duplicate_of = ? and p.document_id != t.document_id",
                    [row_id],
                )
            }
        else:
            keys |= {
                node_key("d", i)
                for (i,) in self.db.execute("select id from documents where duplicate_of = ?", [row_id])
            }
        keys.discard(node.key)
        out = []
        for key in sorted(keys, key=row_of):
            other = self.node(key)
            if other is not None:
                sim = similarity(node, other)
                if sim >= THRESHOLD[kind]:
                    out.append((other, sim))
        return out

    def is_original(self, key: str) -> bool:
        """The stored status: the row points at no original."""
        kind, row_id = row_of(key)
        table = "paragraphs" if kind == "p" else "documents"
        row = self.db.execute(f"select duplicate_of is null from {table} where id = ?", [row_id]).fetchone()
        return bool(row and row[0])

    def rebuild(self) -> int:
        """Index every stored original again (a database of schema 2, whose index was the old
        tables, dropped here); returns the number of nodes indexed."""
        for table in OLD_TABLES:
            self.db.execute(f"drop table if exists {table}")
        self.db.execute("delete from lsh_bands")
        count = 0
        for row_id, text in self.db.execute(
            "select p.id, p.text from paragraphs p join documents d on d.id = p.document_id "
            "where p.duplicate_of is null and d.status = 'ok'"
        ).fetchall():
            if comparable(text):
                self.add(make_node(node_key("p", row_id), "", text))
                count += 1
        for (row_id,) in self.db.execute(
            "select id from documents where duplicate_of is null and status = 'ok'"
        ).fetchall():
            self.add(make_node(node_key("d", row_id), "", document_text(self.db.conn, row_id) or ""))
            count += 1
        return count
