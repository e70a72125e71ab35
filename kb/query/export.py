"""Exports of the knowledge base: GraphML and GEXF (Gephi, Cytoscape), JSON, flat CSV tables, and
the self-contained HTML collaboration map.

* graph formats carry the relation graph (:func:`kb.query.graph.relation_graph`): node ``name``/``label``,
  ``type``, ``aliases`` (joined with ``|``), ``documents``, ``mentions``, ``province`` and ``city``
  (of a region, or of the region an entity is LOCATED_IN: :func:`kb.regions.places`); edge ``predicate``,
  ``weight`` (documents), ``evidence_count`` (relation rows), ``documents`` and ``evidence`` (the
  sentences, one per line). ``graph="collaboration"`` exports the collaboration graph instead
  (edge ``kinds`` and ``via`` joined with ``|``).
  Every edge also has ``first_date`` / ``last_date`` (of its evidence, as stated), ``start`` /
  ``end`` (the first and last day of those, YYYY-MM-DD: Gephi's timeline; in GEXF they are the
  edge's lifetime, the graph ``mode="dynamic"`` with ``timeformat="date"``) and ``docs_YYYY`` (the
  documents of that year behind it; one attribute per year of the graph, 0 when none). A node's
  ``start`` / ``end`` span its dated edges; undated nodes and edges have none (always shown).
* ``json`` holds both graphs with lists kept as lists.
* ``csv`` writes a folder of UTF-8 tables: entities, relations, collaborations, memberships, metrics.
* ``html`` writes the map: kb/web/static/map.html with vis-network and the data inlined.

Every export takes ``since`` / ``until`` (``YYYY[-MM[-DD]]``, ends included): then only relations
dated in range (:func:`kb.query.graph.relation_rows`) are exported, undated ones left out, and graph
formats keep only the entities that have an edge.
"""

from __future__ import annotations

import csv
import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx

from ..dates import bounds
from ..regions import places
from . import queries
from .graph import SHARED, collaboration_graph, connect, entity_table, memberships, relation_graph, relation_rows

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
FORMATS = ("graphml", "gexf", "json", "csv", "html")
GRAPHS = ("relations", "collaboration")


def _flat(value: Any) -> Any:
    """A GraphML/GEXF-safe attribute value: lists and sets joined with ``|``, None as ''."""
    if isinstance(value, (list, tuple, set)):
        return "|".join(str(v) for v in value)
    return "" if value is None else value


def _graph(db: Any, graph: str, since: str | None = None, until: str | None = None) -> nx.Graph:
    """The relation or collaboration graph; with a range, without the entities left with no edge."""
    source = (relation_graph if graph == "relations" else collaboration_graph)(db, since, until)
    if since or until:
        source.remove_nodes_from([node for node, degree in dict(source.degree()).items() if degree == 0])
    return source


def _lifetime(data: dict) -> dict:
    """``start`` / ``end`` (YYYY-MM-DD) of an edge from its first and last date; {} when undated."""
    first, last = bounds(data.get("first_date")), bounds(data.get("last_date"))
    return {"start": first[0], "end": last[1]} if first and last else {}


def place_columns(place: dict[int, tuple[str | None, str | None]], entity_id: int) -> dict[str, str | None]:
    """``province`` and ``city`` of an entity (None where not known)."""
    province, city = place.get(entity_id, (None, None))
    return {"province": province, "city": city}


def flat_graph(db: Any, graph: str = "relations", since: str | None = None, until: str | None = None) -> nx.Graph:
    """The graph with scalar attributes only, as the GraphML and GEXF writers need, with each
    edge's lifetime and documents per year (see the module docstring)."""
    source = _graph(db, graph, since, until)
    place = places(connect(db))
    flat = source.__class__()
    for node, data in source.nodes(data=True):
        data = {**data, **place_columns(place, node)}
        flat.add_node(node, label=data["name"], **{k: _flat(v) for k, v in data.items()})
    edges = list(source.edges(data=True, keys=True) if source.is_multigraph() else source.edges(data=True))
    years = sorted({year for *_, data in edges for year in data["documents_per_year"]})
    for *ends, data in edges:
        attrs = {k: _flat(v) for k, v in data.items() if k not in ("evidence", "documents_per_year")}
        attrs["evidence"] = "\n".join(ev["sentence"] or "" for ev in data["evidence"])
        attrs["evidence_count"] = len(data["evidence"])
        attrs.update({f"docs_{year}": data["documents_per_year"].get(year, 0) for year in years})
        attrs.update(_lifetime(data))
        flat.add_edge(*ends, **attrs)
        for node in ends[:2]:  # a node lives from its first dated edge to its last
            if "start" in attrs:
                node_data = flat.nodes[node]
                node_data["start"] = min(node_data.get("start", attrs["start"]), attrs["start"])
                node_data["end"] = max(node_data.get("end", attrs["end"]), attrs["end"])
    return flat


def to_graphml(
    db: Any, out: str | Path, graph: str = "relations", since: str | None = None, until: str | None = None
) -> Path:
    """Write GraphML (networkx ``read_graphml`` reads it back)."""
    nx.write_graphml(flat_graph(db, graph, since, until), str(out), encoding="utf-8")
    return Path(out)


def to_gexf(
    db: Any, out: str | Path, graph: str = "relations", since: str | None = None, until: str | None = None
) -> Path:
    """Write GEXF 1.2 for Gephi (dynamic when an edge is dated: its ``start`` / ``end``)."""
    nx.write_gexf(flat_graph(db, graph, since, until), str(out), encoding="utf-8")
    return Path(out)


def graph_data(db: Any, since: str | None = None, until: str | None = None) -> dict:
    """Both graphs as JSON-ready dicts: nodes, relation edges, collaboration edges."""
    conn = connect(db)
    relations, collab = _graph(conn, "relations", since, until), collaboration_graph(conn, since, until)
    place = places(conn)
    nodes = [{"id": n, **data, **place_columns(place, n)} for n, data in relations.nodes(data=True)]
    edges = [{"source": u, "target": v, **data} for u, v, data in relations.edges(data=True)]
    collaborations = [{"source": u, "target": v, **data} for u, v, data in collab.edges(data=True)]
    return {"nodes": nodes, "edges": edges, "collaborations": collaborations}


def to_json(db: Any, out: str | Path, since: str | None = None, until: str | None = None) -> Path:
    """Write :func:`graph_data` as indented UTF-8 JSON."""
    Path(out).write_text(json.dumps(graph_data(db, since, until), ensure_ascii=False, indent=1), encoding="utf-8")
    return Path(out)


def csv_tables(db: Any, since: str | None = None, until: str | None = None) -> dict[str, tuple[list[str], list[dict]]]:
    """The flat tables: name -> (columns, rows); with a range, the relations, collaborations,
    memberships and metrics dated in it (every entity is listed)."""
    conn = connect(db)
    table = entity_table(conn)
    place = places(conn)
    entities = [{**e, "aliases": "|".join(e["aliases"]), **place_columns(place, e["id"])} for e in table.values()]
    relations = [
        {
            "id": r["id"],
            "subject_id": r["subject_id"],
            "subject": table[r["subject_id"]]["name"],
            "predicate": r["predicate"],
            "object_id": r["object_id"],
            "object": table[r["object_id"]]["name"],
            "document_id": r["document_id"],
            "source": r["source"],
            "date": r["date"],
            "date_source": r["date_source"] or "",
            "document_date": r["document_date"],
            "confidence": r["confidence"],
            "attrs": r["attrs"] or "",
            "evidence": r["evidence"],
        }
        for r in relation_rows(conn, since=since, until=until)
    ]
    collab = collaboration_graph(conn, since, until)
    collaborations = []
    for u, v, data in collab.edges(data=True):
        a, b = sorted((u, v))
        dates = sorted(ev["date"] for ev in data["evidence"] if ev["date"])
        collaborations.append(
            {
                "entity_a_id": a,
                "entity_a": table[a]["name"],
                "entity_b_id": b,
                "entity_b": table[b]["name"],
                "kinds": "|".join(data["kinds"]),
                "via": "|".join(data["via"]),
                "documents": data["weight"],
                "first_date": dates[0] if dates else "",
                "last_date": dates[-1] if dates else "",
            }
        )
    member_rows = []
    for group_id, members in memberships(conn, since, until).items():
        for member_id, rels in members.items():
            member_rows.append(
                {
                    "member_id": member_id,
                    "member": table[member_id]["name"],
                    "group_id": group_id,
                    "group": table[group_id]["name"],
                    "role": "leads" if any(r["predicate"] == "LEADS" for r in rels) else "member",
                    "documents": len({r["document_id"] for r in rels}),
                    "evidence": rels[0]["evidence"],
                }
            )
    metric_rows = queries.metrics(conn, sort="date", since=since, until=until)
    columns = {
        "entities": ["id", "name", "type", "aliases", "documents", "mentions", "province", "city"],
        "relations": list(relations[0]) if relations else ["id"],
        "collaborations": [
            "entity_a_id",
            "entity_a",
            "entity_b_id",
            "entity_b",
            "kinds",
            "via",
            "documents",
            "first_date",
            "last_date",
        ],
        "memberships": ["member_id", "member", "group_id", "group", "role", "documents", "evidence"],
        "metrics": [
            "id",
            "subject_id",
            "entity",
            "subject_text",
            "indicator",
            "value",
            "unit",
            "period",
            "when",
            "raw",
            "document_id",
            "source",
            "date",
        ],
    }
    data = {
        "entities": entities,
        "relations": relations,
        "collaborations": collaborations,
        "memberships": member_rows,
        "metrics": metric_rows,
    }
    return {name: (columns[name], data[name]) for name in columns}


def to_csv(db: Any, out: str | Path, since: str | None = None, until: str | None = None) -> list[Path]:
    """Write one CSV per table into the folder ``out`` (created); return the files."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (columns, rows) in csv_tables(db, since, until).items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def map_data(
    db: Any,
    title: str = "cluster-kb collaboration map",
    max_nodes: int = 3000,
    since: str | None = None,
    until: str | None = None,
) -> dict:
    """What the map shows: entities with at least one link, relation edges and shared-membership
    edges, each with its evidence. Beyond ``max_nodes`` only the most connected entities are kept
    (a browser cannot lay out a much larger graph). ``since`` / ``until``: only relations dated in range."""
    conn = connect(db)
    relations, collab = relation_graph(conn, since, until), collaboration_graph(conn, since, until)

    def evidence_of(items: list[dict]) -> list[dict]:
        # One sentence that states several relations (a list of members) is shown once.
        unique = {(ev["sentence"], ev["source"]): {k: ev[k] for k in ("sentence", "source", "date")} for ev in items}
        return list(unique.values())

    edges = []
    for u, v, data in relations.edges(data=True):
        edges.append(
            {
                "from": u,
                "to": v,
                "predicate": data["predicate"],
                "weight": data["weight"],
                "via": [],
                "evidence": evidence_of(data["evidence"]),
            }
        )
    for u, v, data in collab.edges(data=True):
        if SHARED in data["kinds"]:
            evidence = evidence_of([ev for ev in data["evidence"] if ev["kind"] == SHARED])
            edges.append(
                {
                    "from": u,
                    "to": v,
                    "predicate": SHARED,
                    "weight": data["weight"],
                    "via": data["via"],
                    "evidence": evidence,
                }
            )
    degree: dict[int, int] = {}
    for edge in edges:
        for end in (edge["from"], edge["to"]):
            degree[end] = degree.get(end, 0) + 1
    keep = set(sorted(degree, key=lambda n: (-degree[n], n))[:max_nodes])
    nodes = [
        {
            "id": n,
            "name": relations.nodes[n]["name"],
            "type": relations.nodes[n]["type"],
            "aliases": relations.nodes[n]["aliases"],
            "documents": relations.nodes[n]["documents"],
        }
        for n in sorted(keep)
    ]
    edges = [e for e in edges if e["from"] in keep and e["to"] in keep]
    generated = datetime.now(UTC).strftime("%Y-%m-%d")
    return {"title": title, "generated": generated, "nodes": nodes, "edges": edges}


def _script_json(data: Any) -> str:
    """JSON that is safe inside <script type="application/json">: no '<', '>', '&' can end or open
    a tag, and the JS-hostile line separators are escaped too."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def render_map(data: dict) -> str:
    """The map page for :func:`map_data`, with vis-network and the data inlined."""
    template = (STATIC / "map.html").read_text(encoding="utf-8")
    script = (STATIC / "vis-network.min.js").read_text(encoding="utf-8")
    if re.search(r"</script", script, re.IGNORECASE):  # would end the inline script early
        raise ValueError("vis-network.min.js contains '</script': cannot inline it")
    values = {"__TITLE__": html.escape(data["title"]), "__DATA__": _script_json(data), "/*__VIS_JS__*/": script}
    # One pass, so text inside the data can never be taken for another placeholder.
    return re.sub("|".join(re.escape(k) for k in values), lambda m: values[m.group(0)], template)


def to_html(
    db: Any,
    out: str | Path,
    title: str = "cluster-kb collaboration map",
    since: str | None = None,
    until: str | None = None,
) -> Path:
    """Write the self-contained collaboration map page."""
    Path(out).write_text(render_map(map_data(db, title=title, since=since, until=until)), encoding="utf-8")
    return Path(out)


def export(
    db: Any, fmt: str, out: str | Path, graph: str = "relations", since: str | None = None, until: str | None = None
) -> list[Path]:
    """Export in ``fmt`` (one of FORMATS) to ``out``; return the files written. ``since`` /
    ``until``: only what is dated in that range (see the module docstring)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if graph not in GRAPHS:
        raise ValueError(f"graph must be one of {', '.join(GRAPHS)}")
    if fmt == "graphml":
        return [to_graphml(db, out, graph, since, until)]
    if fmt == "gexf":
        return [to_gexf(db, out, graph, since, until)]
    if fmt == "json":
        return [to_json(db, out, since, until)]
    if fmt == "csv":
        return to_csv(db, out, since, until)
    return [to_html(db, out, since=since, until=until)]
