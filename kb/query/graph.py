"""networkx graphs built from the knowledge base: the relation graph and the collaboration graph.

* :func:`relation_graph` — a ``MultiDiGraph``: one node per entity (type, aliases, document and
  mention counts), one edge per (subject, predicate, object) with ``weight`` = number of distinct
  documents that state it and ``evidence_count`` = number of stored relation rows, and the evidence
  (sentence, document) of each.
* :func:`collaboration_graph` — an undirected ``Graph`` over who works with whom: COOPERATES_WITH in
  either direction, plus *shared membership*: two entities that are members (MEMBER_OF) or leaders
  (LEADS) of the same committee or alliance. Each edge says which of the two it is (``kinds``),
  names the shared groups (``via``) and carries its evidence; ``weight`` is the number of distinct
  documents behind the edge.

Relations are dated as :func:`kb.dates.relation_date` says (the sentence's own date, else the
document's); ``since`` / ``until`` (``YYYY[-MM[-DD]]``, ends included) keep only the relations dated
in that range, and leave out the undated ones. Edges carry ``first_date`` / ``last_date`` (of their
evidence) and ``documents_per_year`` (``{"2021": 2, ...}``).

Every function takes ``db``: a path, a :class:`kb.store.Store`, a ``sqlite_utils.Database`` or a
``sqlite3.Connection`` (see :func:`connect`). A path is opened read-only.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from itertools import combinations
from typing import Any

import networkx as nx

from ..connection import KnowledgeBaseMissing, connect_readonly
from ..dates import bounds, in_range, relation_date

COOPERATES = "COOPERATES_WITH"
MEMBERSHIP = ("MEMBER_OF", "LEADS")
SHARED = "shared membership"  # the kind of a collaboration edge that comes from a common group


# Queries never create a database: the same error as every other read.
DatabaseMissing = KnowledgeBaseMissing


def connect(db: Any) -> sqlite3.Connection:
    """A sqlite3 connection with ``Row`` rows for any accepted ``db`` argument.

    Paths are opened read-only (``mode=ro``), so a query never creates or changes a database.
    """
    if isinstance(db, sqlite3.Connection):
        conn = db
    elif hasattr(db, "db") and hasattr(db.db, "conn"):  # kb.store.Store
        conn = db.db.conn
    elif hasattr(db, "conn") and isinstance(db.conn, sqlite3.Connection):  # sqlite_utils.Database
        conn = db.conn
    else:
        conn = connect_readonly(db)
    conn.row_factory = sqlite3.Row
    return conn


def rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict]:
    """Run ``sql`` and return plain dicts."""
    return [dict(row) for row in conn.execute(sql, params)]


def entity_table(conn: sqlite3.Connection) -> dict[int, dict]:
    """Every entity with its aliases, distinct documents and mention count, keyed by id."""
    table = {
        row["id"]: {**row, "aliases": [], "documents": 0, "mentions": 0}
        for row in rows(conn, "select id, name, type from entities order by id")
    }
    for row in rows(conn, "select entity_id, alias from aliases order by alias"):
        if row["entity_id"] in table:
            table[row["entity_id"]]["aliases"].append(row["alias"])
    # Documents: where the entity is mentioned or is an argument of a relation (an entity created
    # by a relation alone, with no mention row, still counts its documents).
    for row in rows(
        conn,
        """
            select entity_id, count(distinct document_id) as documents, sum(mentions) as mentions from (
              select entity_id, document_id, 1 as mentions from mentions
              union all select subject_id, document_id, 0 from relations
              union all select object_id, document_id, 0 from relations)
            group by entity_id""",
    ):
        if row["entity_id"] in table:
            table[row["entity_id"]].update(documents=row["documents"], mentions=row["mentions"])
    return table


def relation_rows(
    conn: sqlite3.Connection,
    predicates: tuple[str, ...] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict]:
    """Relation rows with the document's source, title and date (``document_date``), in id order.

    ``date`` is the relation's date and ``date_source`` says where it comes from ("sentence" or
    "document"; see :func:`kb.dates.relation_date`). With ``since`` / ``until`` only the rows dated
    in that range are returned (undated rows are left out).
    """
    where = f"where r.predicate in ({','.join('?' * len(predicates))})" if predicates else ""
    result = []
    for rel in rows(
        conn,
        f"""
            select r.id, r.subject_id, r.predicate, r.object_id, r.document_id, r.paragraph_id,
                   r.evidence, r.confidence, r.attrs, d.source, d.title, d.date as document_date
            from relations r left join documents d on d.id = r.document_id {where} order by r.id""",
        predicates or (),
    ):
        rel["date"], rel["date_source"] = relation_date(rel["attrs"], rel["document_date"])
        if in_range(rel["date"], since, until):
            result.append(rel)
    return result


def _evidence(rel: dict) -> dict:
    return {
        "relation_id": rel["id"],
        "sentence": rel["evidence"],
        "document_id": rel["document_id"],
        "source": rel["source"],
        "date": rel["date"],
        "date_source": rel["date_source"],
        "confidence": rel["confidence"],
    }


def _dating(data: dict) -> None:
    """Set an edge's ``first_date`` / ``last_date`` (None when no evidence is dated) and
    ``documents_per_year`` (distinct documents by the year of their evidence's date) from its evidence."""
    dated = [ev for ev in data["evidence"] if bounds(ev["date"])]
    dates = sorted(ev["date"] for ev in dated)
    data["first_date"], data["last_date"] = (dates[0], dates[-1]) if dates else (None, None)
    years: dict[str, set] = defaultdict(set)
    for ev in dated:
        years[ev["date"][:4]].add(ev["document_id"])
    data["documents_per_year"] = {year: len(docs) for year, docs in sorted(years.items())}


def relation_graph(db: Any, since: str | None = None, until: str | None = None) -> nx.MultiDiGraph:
    """Entities as nodes, relations as edges keyed by predicate (see the module docstring).

    Every entity is a node; with ``since`` / ``until`` only the relations dated in range are edges.
    """
    conn = connect(db)
    graph = nx.MultiDiGraph()
    for entity_id, entity in entity_table(conn).items():
        graph.add_node(entity_id, **{k: v for k, v in entity.items() if k != "id"})
    for rel in relation_rows(conn, since=since, until=until):
        u, v, key = rel["subject_id"], rel["object_id"], rel["predicate"]
        if not graph.has_edge(u, v, key):
            graph.add_edge(u, v, key=key, predicate=key, evidence=[], documents=set())
        data = graph.edges[u, v, key]
        data["evidence"].append(_evidence(rel))
        data["documents"].add(rel["document_id"])
    for _, _, data in graph.edges(data=True):
        data["documents"] = sorted(data["documents"])
        data["weight"] = len(data["documents"])
        data["evidence_count"] = len(data["evidence"])
        _dating(data)
    return graph


def memberships(
    conn: sqlite3.Connection, since: str | None = None, until: str | None = None
) -> dict[int, dict[int, list[dict]]]:
    """group id -> member id -> the MEMBER_OF / LEADS relation rows that say so (dated in range)."""
    groups: dict[int, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for rel in relation_rows(conn, MEMBERSHIP, since, until):
        groups[rel["object_id"]][rel["subject_id"]].append(rel)
    return groups


def collaboration_graph(db: Any, since: str | None = None, until: str | None = None) -> nx.Graph:
    """Who works with whom (see the module docstring); only entities with an edge are nodes.

    With ``since`` / ``until`` only relations dated in range make edges (a shared membership
    counts when the membership sentences of both are in range).
    """
    conn = connect(db)
    entities = entity_table(conn)
    graph = nx.Graph()

    def edge(a: int, b: int) -> dict:
        if not graph.has_edge(a, b):
            for node in (a, b):
                graph.add_node(node, **{k: v for k, v in entities[node].items() if k != "id"})
            graph.add_edge(a, b, kinds=set(), via=set(), documents=set(), evidence=[])
        return graph.edges[a, b]

    for rel in relation_rows(conn, (COOPERATES,), since, until):
        a, b = rel["subject_id"], rel["object_id"]
        if a == b:
            continue
        data = edge(a, b)
        data["kinds"].add(COOPERATES)
        data["documents"].add(rel["document_id"])
        data["evidence"].append({"kind": COOPERATES, "via": None, **_evidence(rel)})
    for group_id, members in memberships(conn, since, until).items():
        # Every pair of members of one group shares that membership; the evidence is the
        # sentences that make each of the two a member.
        for a, b in combinations(sorted(members), 2):
            data = edge(a, b)
            data["kinds"].add(SHARED)
            data["via"].add(entities[group_id]["name"])
            for rel in members[a] + members[b]:
                data["documents"].add(rel["document_id"])
                data["evidence"].append(
                    {
                        "kind": SHARED,
                        "via": entities[group_id]["name"],
                        "predicate": rel["predicate"],
                        "member": entities[rel["subject_id"]]["name"],
                        **_evidence(rel),
                    }
                )
    for _, _, data in graph.edges(data=True):
        data["kinds"] = sorted(data["kinds"])
        data["via"] = sorted(data["via"])
        data["documents"] = sorted(data["documents"])
        data["weight"] = len(data["documents"])
        _dating(data)
    return graph
