"""Questions researchers ask of the knowledge base, as plain functions returning plain data.

Each function takes ``db`` (a path, a Store, a sqlite_utils.Database or a sqlite3.Connection; see
:func:`kb.query.graph.connect`) and returns dicts and lists that ``json.dumps`` accepts. Names are looked up
by canonical name or any alias (:func:`find_entity`); an unknown name raises :class:`EntityNotFound`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import networkx as nx

from ..dates import in_range
from ..regions import under_or_all
from .graph import MEMBERSHIP, collaboration_graph, connect, entity_table, relation_graph, relation_rows, rows

ROLES = {"LEADS": "leads", "MEMBER_OF": "member"}
TOP_BY = ("degree", "betweenness", "documents")
METRIC_SORT = ("date", "value", "indicator", "entity")


class EntityNotFound(LookupError):
    """No entity has this name or alias; ``suggestions`` lists names that contain it."""

    def __init__(self, name: str, suggestions: list[str]):
        hint = f" (did you mean: {', '.join(suggestions)})" if suggestions else ""
        super().__init__(f"no entity is called {name!r}{hint}")
        self.name, self.suggestions = name, suggestions


def _norm(text: str) -> str:
    # The same folding kb/evaluate.py uses: NFKC, no whitespace.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def find_entities(db: Any, name: str) -> list[dict]:
    """Every entity whose name or alias is ``name`` (NFKC, whitespace ignored), best first.

    Best: an exact canonical name before an alias, a corpus-wide entity before a document-local
    one, then the most mentioned.
    """
    conn = connect(db)
    key = _norm(name)
    table = entity_table(conn)
    local = {row["id"]: row["local_to"] for row in rows(conn, "select id, local_to from entities")}
    found = []
    for entity in table.values():
        by_name = _norm(entity["name"]) == key
        if by_name or any(_norm(alias) == key for alias in entity["aliases"]):
            found.append((not by_name, local.get(entity["id"]) is not None, -entity["mentions"], entity["id"], entity))
    return [item[-1] for item in sorted(found, key=lambda item: item[:4])]


def find_entity(db: Any, name: str) -> dict:
    """The best entity for ``name`` (see :func:`find_entities`); raises :class:`EntityNotFound`."""
    found = find_entities(db, name)
    if found:
        return found[0]
    conn = connect(db)
    key = _norm(name)
    near = sorted(
        {
            row["name"]
            for row in rows(conn, "select name from entities")
            if key and (key in _norm(row["name"]) or _norm(row["name"]) in key)
        }
    )
    raise EntityNotFound(name, near[:8])


def number(value: float | None) -> str:
    """A figure for people: 4000000000 (not 4e+09), 83.2, 0.005; '-' for none."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:g}"  # a tiny value keeps its digits


def _brief(entity: dict) -> dict:
    return {"id": entity["id"], "name": entity["name"], "type": entity["type"]}


def _attrs(value: str | None) -> dict:
    return json.loads(value) if value else {}


def entity(db: Any, name: str) -> dict:
    """The entity, its type, aliases, documents, and every relation in and out with evidence."""
    conn = connect(db)
    found = find_entity(conn, name)
    table = entity_table(conn)
    documents = rows(
        conn,
        """
        select d.id, d.source, d.title, d.date, count(m.id) as mentions
        from documents d join (
            select document_id, id from mentions where entity_id = :id
            union all select document_id, null from relations where subject_id = :id or object_id = :id) m
          on m.document_id = d.id
        group by d.id order by d.date is null, d.date, d.id""",
        {"id": found["id"]},
    )
    relations = []
    for rel in relation_rows(conn):
        if found["id"] not in (rel["subject_id"], rel["object_id"]):
            continue
        outgoing = rel["subject_id"] == found["id"]
        other = table[rel["object_id"] if outgoing else rel["subject_id"]]
        relations.append(
            {
                "relation_id": rel["id"],
                "direction": "out" if outgoing else "in",
                "predicate": rel["predicate"],
                "other": _brief(other),
                "subject": table[rel["subject_id"]]["name"],
                "object": table[rel["object_id"]]["name"],
                "evidence": rel["evidence"],
                "document_id": rel["document_id"],
                "source": rel["source"],
                "date": rel["date"],
                "date_source": rel["date_source"],
                "document_date": rel["document_date"],
                "confidence": rel["confidence"],
                "attrs": _attrs(rel["attrs"]),
            }
        )
    others = [_brief(e) for e in find_entities(conn, name)[1:]]
    return {
        **_brief(found),
        "aliases": found["aliases"],
        "mentions": found["mentions"],
        "documents": documents,
        "relations": relations,
        "same_name": others,
    }


def collaborators(
    db: Any, name: str, depth: int = 1, since: str | None = None, until: str | None = None, region: str | None = None
) -> list[dict]:
    """Who works with ``name``: COOPERATES_WITH either way, or a shared committee/alliance.

    Ranked by distance, then by how many documents say so. Each row has ``kinds`` (COOPERATES_WITH
    and/or "shared membership"), ``via`` (the shared groups), ``path`` (names from ``name``) and
    the evidence of the last hop. ``depth`` > 1 also returns collaborators of collaborators.
    ``since`` / ``until`` (``YYYY[-MM[-DD]]``): only relations dated in range count (undated go).
    ``region`` keeps the collaborators under that region (:func:`kb.regions.entities_under`).
    """
    conn = connect(db)
    start = find_entity(conn, name)
    under = under_or_all(conn, region)
    graph = collaboration_graph(conn, since, until)
    if start["id"] not in graph:
        return []
    paths = nx.single_source_shortest_path(graph, start["id"], cutoff=max(1, depth))
    result = []
    for node, path in paths.items():
        if node == start["id"] or (under is not None and node not in under):
            continue
        hop = graph.edges[path[-2], path[-1]]
        data = graph.nodes[node]
        result.append(
            {
                "id": node,
                "name": data["name"],
                "type": data["type"],
                "distance": len(path) - 1,
                "documents": hop["weight"],
                "kinds": hop["kinds"],
                "via": hop["via"],
                "path": [graph.nodes[n]["name"] for n in path],
                "evidence": [{k: v for k, v in ev.items() if k != "confidence"} for ev in hop["evidence"]],
            }
        )
    result.sort(key=lambda row: (row["distance"], -row["documents"], row["name"]))
    return result


def _membership_rows(conn, column: str, entity_id: int, other: str) -> list[dict]:
    """Aggregate MEMBER_OF / LEADS rows where ``column`` is ``entity_id`` by the entity at ``other``."""
    table = entity_table(conn)
    grouped: dict[int, dict] = {}
    for rel in relation_rows(conn, MEMBERSHIP):
        if rel[column] != entity_id:
            continue
        target = table[rel[other]]
        row = grouped.setdefault(target["id"], {**_brief(target), "roles": [], "documents": set(), "evidence": []})
        if ROLES[rel["predicate"]] not in row["roles"]:
            row["roles"].append(ROLES[rel["predicate"]])
        row["documents"].add(rel["document_id"])
        row["evidence"].append(
            {
                "predicate": rel["predicate"],
                "sentence": rel["evidence"],
                "document_id": rel["document_id"],
                "source": rel["source"],
                "date": rel["date"],
            }
        )
    result = []
    for row in grouped.values():
        row["roles"].sort()  # "leads" before "member"
        row["documents"] = len(row["documents"])
        result.append(row)
    result.sort(key=lambda row: ("leads" not in row["roles"], -row["documents"], row["name"]))
    return result


def members(db: Any, group: str, region: str | None = None) -> list[dict]:
    """Members and leaders of a committee or alliance (MEMBER_OF / LEADS into it), leaders first;
    ``region``: only those under that region."""
    conn = connect(db)
    return _in_region(conn, _membership_rows(conn, "object_id", find_entity(conn, group)["id"], "subject_id"), region)


def groups(db: Any, name: str, region: str | None = None) -> list[dict]:
    """The committees and alliances an entity is a member (MEMBER_OF) or leader (LEADS) of;
    ``region``: only those under that region."""
    conn = connect(db)
    return _in_region(conn, _membership_rows(conn, "subject_id", find_entity(conn, name)["id"], "object_id"), region)


def _in_region(conn, result: list[dict], region: str | None) -> list[dict]:
    """The rows whose entity (``id``) is under ``region`` (all of them when ``region`` is None)."""
    under = under_or_all(conn, region)
    return result if under is None else [row for row in result if row["id"] in under]


def path(db: Any, a: str, b: str, limit: int = 5, since: str | None = None, until: str | None = None) -> dict:
    """The shortest chains of relations between ``a`` and ``b`` (relations read either way).

    Returns ``{"from", "to", "length", "paths"}``; each path is a list of hops
    ``{"from", "to", "relations": [{subject, predicate, object, evidence: [...]}]}``. ``paths`` is
    empty when nothing connects them; at most ``limit`` paths. ``since`` / ``until``: only relations
    dated in range are hops (undated go).
    """
    conn = connect(db)
    source, target = find_entity(conn, a), find_entity(conn, b)
    graph = relation_graph(conn, since, until)
    undirected = nx.Graph(graph.to_undirected(as_view=True))
    result: dict[str, Any] = {"from": _brief(source), "to": _brief(target), "length": None, "paths": []}
    if source["id"] == target["id"]:
        result["length"] = 0
        return result
    try:
        node_paths = nx.all_shortest_paths(undirected, source["id"], target["id"])
        chains = sorted(node_paths, key=lambda p: [graph.nodes[n]["name"] for n in p])[:limit]
    except nx.NetworkXNoPath:
        return result
    for chain in chains:
        hops = []
        for u, v in zip(chain, chain[1:], strict=False):
            relations = []
            for s, o in ((u, v), (v, u)):
                for predicate, data in (graph.get_edge_data(s, o) or {}).items():
                    relations.append(
                        {
                            "subject": graph.nodes[s]["name"],
                            "predicate": predicate,
                            "object": graph.nodes[o]["name"],
                            "documents": data["weight"],
                            "evidence": [
                                {k: ev[k] for k in ("sentence", "document_id", "source", "date", "date_source")}
                                for ev in data["evidence"]
                            ],
                        }
                    )
            hops.append({"from": graph.nodes[u]["name"], "to": graph.nodes[v]["name"], "relations": relations})
        result["paths"].append(hops)
    result["length"] = len(chains[0]) - 1 if chains else None
    return result


def top(db: Any, type: str | None = None, by: str = "degree", limit: int = 10, region: str | None = None) -> list[dict]:
    """The most central entities of the collaboration graph (or the most documented ones).

    ``by``: ``degree`` (number of collaborators), ``betweenness`` (networkx betweenness centrality,
    normalized) or ``documents`` (distinct documents naming the entity; every entity counts, also
    those without collaborators). ``type`` filters by entity type, ``region`` keeps the entities
    under that region (ranked within the whole graph's centralities).
    """
    if by not in TOP_BY:
        raise ValueError(f"by must be one of {', '.join(TOP_BY)}")
    conn = connect(db)
    under = under_or_all(conn, region)
    graph = collaboration_graph(conn)
    betweenness = nx.betweenness_centrality(graph) if len(graph) else {}
    table = entity_table(conn)
    candidates = table.keys() if by == "documents" else graph.nodes
    result = []
    for node in candidates:
        entity = table[node]
        if (type and entity["type"] != type.upper()) or (under is not None and node not in under):
            continue
        result.append(
            {
                "id": node,
                "name": entity["name"],
                "type": entity["type"],
                "degree": graph.degree(node) if node in graph else 0,
                "betweenness": round(betweenness.get(node, 0.0), 4),
                "documents": entity["documents"],
            }
        )
    result.sort(key=lambda row: (-row[by], -row["degree"], row["name"]))
    for rank, row in enumerate(result[:limit], 1):
        row["rank"] = rank
    return result[:limit]


def communities(db: Any, seed: int = 0) -> list[dict]:
    """Communities of the collaboration graph (Louvain, weighted by documents, fixed seed), largest first."""
    conn = connect(db)
    graph = collaboration_graph(conn)
    if not len(graph):
        return []
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    result = []
    for nodes in found:
        names = sorted(nodes, key=lambda n: (-graph.degree(n), graph.nodes[n]["name"]))
        types: dict[str, int] = {}
        for node in names:
            types[graph.nodes[node]["type"]] = types.get(graph.nodes[node]["type"], 0) + 1
        result.append(
            {
                "size": len(nodes),
                "hub": graph.nodes[names[0]]["name"],
                "types": types,
                "members": [
                    {"id": n, "name": graph.nodes[n]["name"], "type": graph.nodes[n]["type"], "degree": graph.degree(n)}
                    for n in names
                ],
            }
        )
    result.sort(key=lambda c: (-c["size"], c["hub"]))
    for number, community in enumerate(result, 1):
        community["community"] = number
    return result


def _when(period: str | None, date: str | None) -> str | None:
    """The date a metric refers to: a stated year (period) first, else its document's date."""
    if period and re.match(r"^\d{4}", period):
        return period
    return date


def metrics(
    db: Any,
    entity_name: str | None = None,
    indicator: str | None = None,
    sort: str = "date",
    descending: bool = False,
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
) -> list[dict]:
    """Metrics as rows (entity, indicator, value, unit, period, date, raw, document), filterable.

    ``entity_name`` matches the metric's linked entity (any alias) or its subject text;
    ``indicator`` is a substring of the indicator. ``since`` / ``until`` (``2021``, ``2021-05``,
    ``2021-05-05``) keep the rows whose ``when`` (the figure's period when it names a year, else its
    document's date) falls in that range, ends included; undated rows then go. Sorted by ``sort``
    (date, value, indicator, entity); undated rows last. ``region`` keeps the figures whose linked
    entity is under that region (:func:`kb.regions.entities_under`).
    """
    if sort not in METRIC_SORT:
        raise ValueError(f"sort must be one of {', '.join(METRIC_SORT)}")
    conn = connect(db)
    under = under_or_all(conn, region)
    ids: set[int] = set()
    names: set[str] = set()
    if entity_name:
        try:
            for found in find_entities(conn, entity_name) or [find_entity(conn, entity_name)]:
                ids.add(found["id"])
                names.update(_norm(n) for n in [found["name"], *found["aliases"]])
        except EntityNotFound:
            names.add(_norm(entity_name))  # a subject that is only text, never an entity
    result = []
    for row in rows(
        conn,
        """
            select m.id, m.subject_id, e.name as entity, e.type as entity_type, m.subject_text, m.indicator,
                   m.value, m.unit, m.period, m.raw, m.document_id, d.source, d.date
            from metrics m left join entities e on e.id = m.subject_id
            left join documents d on d.id = m.document_id order by m.id""",
    ):
        if entity_name and row["subject_id"] not in ids and _norm(row["subject_text"] or "") not in names:
            continue
        if indicator and indicator not in (row["indicator"] or ""):
            continue
        if under is not None and row["subject_id"] not in under:
            continue
        row["when"] = _when(row["period"], row["date"])
        if not in_range(row["when"], since, until):
            continue
        result.append(row)
    keys = {
        "date": lambda r: r["when"] or "",
        "value": lambda r: r["value"] or 0,
        "indicator": lambda r: r["indicator"] or "",
        "entity": lambda r: r["entity"] or r["subject_text"] or "",
    }
    dated = [r for r in result if sort != "date" or r["when"]]
    undated = [r for r in result if sort == "date" and not r["when"]]
    dated.sort(key=lambda r: (keys[sort](r), r["id"]), reverse=descending)
    return dated + undated


def timeline(db: Any, name: str, since: str | None = None, until: str | None = None) -> list[dict]:
    """What the knowledge base says of ``name`` in date order: its relations (dated by the
    sentence's own date when it gives one, else the document's) and its figures (dated as
    :func:`metrics` dates them), each with its evidence and document; undated events last.
    ``since`` / ``until`` as in :func:`metrics` (undated events then go)."""
    conn = connect(db)
    found = entity(conn, name)
    events = []
    for rel in found["relations"]:
        when = rel["date"]  # the sentence's own date, else the document's (kb.dates.relation_date)
        events.append(
            {
                "when": when,
                "kind": "relation",
                "what": f"{rel['subject']} {rel['predicate']} {rel['object']}",
                "evidence": rel["evidence"],
                "document_id": rel["document_id"],
                "source": rel["source"],
            }
        )
    for row in metrics(conn, found["name"]):
        if row["subject_id"] not in (None, found["id"]):
            continue
        events.append(
            {
                "when": row["when"],
                "kind": "metric",
                "what": f"{row['indicator']} {number(row['value'])}{row['unit'] or ''}",
                "evidence": row["raw"],
                "document_id": row["document_id"],
                "source": row["source"],
            }
        )
    events = [e for e in events if in_range(e["when"], since, until)]
    events.sort(key=lambda e: (e["when"] is None, e["when"] or "", e["document_id"] or 0, e["kind"], e["what"]))
    return events
