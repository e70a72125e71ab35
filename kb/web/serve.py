"""``kb serve``: the knowledge base as a read-only Datasette site, with the collaboration map.

Datasette (pinned 0.65.5) serves the database read-only (SQLite ``mode=ro``: it reads the WAL,
never writes, and SQL that writes fails) on 127.0.0.1 by default, with metadata (titles,
descriptions, column documentation), facets, the ``search`` query (the same SQL as ``kb search``)
and canned queries for the common questions. Every POST, PUT or DELETE is answered 405 by the
plugin in ``kb/web/plugins``. The map page (:func:`kb.query.export.to_html`) is written into a
temporary folder and mounted at ``/map/map.html``.

Serving never writes to the database: the dashboard views are created by ``kb ingest``; a
database whose views are missing or out of date is refused with the command that updates it.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from .. import DEFAULT_DB
from ..connection import KnowledgeBaseMissing, connect_readonly, db_option
from ..schema import SEARCH_SQL
from ..views import views_outdated

PLUGINS = Path(__file__).parent / "plugins"
MAP_MOUNT = "map"


class ServeError(Exception):
    """The database cannot be served as it is (the message says what to run)."""


MAP_PATH = f"/{MAP_MOUNT}/map.html"

_NAME_IDS = """(select id from entities where name = :{p} union select entity_id from aliases where alias = :{p})"""

CANNED = {
    "search": {
        "title": "Search paragraphs",
        "description": "Paragraphs whose text contains :q (any length, 党委 included), in document order: "
        "the same search as `kb search`.",
        "sql": SEARCH_SQL,
    },
    "collaborators_of": {
        "title": "Collaborators of an entity",
        "description": "Who cooperates with :name (COOPERATES_WITH either way) or shares a committee or "
        "alliance with it (kind = shared membership, via_group names it); name or alias.",
        "sql": f"""select case when c.entity_a_id in {_NAME_IDS.format(p="name")} then c.entity_b else c.entity_a end
         as collaborator,
       case when c.entity_a_id in {_NAME_IDS.format(p="name")} then c.entity_b_type else c.entity_a_type end as type,
       c.kind, c.via_group, c.documents, c.relations, c.first_date, c.last_date
from collaborations c
where c.entity_a_id in {_NAME_IDS.format(p="name")} or c.entity_b_id in {_NAME_IDS.format(p="name")}
order by c.documents desc, collaborator""",
    },
    "members_of": {
        "title": "Members of a committee or alliance",
        "description": "Entities that are members of (MEMBER_OF) or lead (LEADS) :group; name or alias.",
        "sql": f"""select member, member_type, role, documents, first_date, last_date, evidence
from memberships where group_id in {_NAME_IDS.format(p="group")}
order by role = 'member', documents desc, member""",
    },
    "members_by_year": {
        "title": "Members of a committee or alliance, by year",
        "description": "For each year of the documents that say so, the members of (MEMBER_OF) and "
        "leaders of (LEADS) :group, with the number of documents; name or alias. "
        "Undated documents count under an empty year.",
        "sql": f"""select coalesce(substr(d.date, 1, 4), '') as year, s.name as member, s.type as member_type,
       case r.predicate when 'LEADS' then 'leads' else 'member' end as role,
       count(distinct r.document_id) as documents, min(r.evidence) as evidence
from relations r join entities s on s.id = r.subject_id join documents d on d.id = r.document_id
where r.predicate in ('MEMBER_OF', 'LEADS') and r.object_id in {_NAME_IDS.format(p="group")}
group by year, s.id, role
order by year = '', year, role = 'member', documents desc, member""",
    },
    "metrics_over_time": {
        "title": "Metrics over time",
        "description": "Metrics of :entity (name, alias or subject text; empty for all) whose indicator "
        "contains :indicator (empty for all), oldest first; undated last.",
        "sql": f"""select date, entity, subject_text, indicator, value, unit, period, raw, source
from metrics_with_dates
where (:entity = '' or subject_id in {_NAME_IDS.format(p="entity")} or subject_text = :entity)
  and (:indicator = '' or indicator like '%' || :indicator || '%')
order by date is null, date, id""",
    },
    "coverage_by_place": {
        "title": "Coverage figures by place",
        "description": "Figures whose indicator contains :indicator (empty: 覆盖, coverage) with the place "
        "they are about (place_from says how it was found): the subject itself when it is a "
        "REGION, else where a LOCATED_IN relation puts the subject, else the region its "
        "document mentions most; by place, then date.",
        "sql": """select coalesce(case when m.entity_type = 'REGION' then m.entity end, located.name, (
           select e.name from mentions mm join entities e on e.id = mm.entity_id
           where mm.document_id = m.document_id and e.type = 'REGION'
           group by e.id order by count(*) desc, e.id limit 1)) as place,
       case when m.entity_type = 'REGION' then 'subject' when located.name is not null then 'located_in'
            else 'document' end as place_from,
       m.date, m.entity, m.subject_text, m.indicator, m.value, m.unit, m.raw, m.source
from metrics_with_dates m
left join (select r.subject_id, min(o.name) as name from relations r join entities o on o.id = r.object_id
           where r.predicate = 'LOCATED_IN' group by r.subject_id) located on located.subject_id = m.subject_id
where m.indicator like '%' || coalesce(nullif(:indicator, ''), '覆盖') || '%'
order by place is null, place, m.date is null, m.date, m.id""",
    },
}

TABLES = {
    "documents": (
        "Documents",
        "One row per ingested file (or record of a file of records): status, date, script, "
        "the decoded original (the cleaned text: the view document_texts).",
        ["status", "script"],
        {
            "source": "path of the file as ingested, or FILE#ID for a record",
            "metadata": "a record's fields besides its text (JSON: title, date, url, ...)",
            "date": "publication date, ISO YYYY-MM-DD or null",
            "script": "simplified / traditional / mixed / none",
            "status": "ok or failed",
            "duplicate_of": "documents.id of a near-identical document",
            "original": "decoded text, untouched",
        },
    ),
    "paragraphs": (
        "Paragraphs",
        "Cleaned Simplified paragraphs; the search query finds those containing a word.",
        ["kind", "document_id"],
        {
            "text": "cleaned Simplified text",
            "duplicate_of": "paragraphs.id this one repeats",
            "similarity": "estimated similarity to it",
            "start": "offset in documents.original",
            "end": "end offset in documents.original",
        },
    ),
    "entities": (
        "Entities",
        "One row per canonical name and type.",
        ["type"],
        {
            "name": "canonical name",
            "type": "ontology type (ENTERPRISE, PARTY_ORG, ...)",
            "local_to": "set for a relative name (区委组织部) that stays local to one document",
        },
    ),
    "aliases": ("Aliases", "Other surface forms of an entity.", [], {"alias": "another name for entities.id"}),
    "mentions": (
        "Mentions",
        "Every place an entity is named.",
        ["source"],
        {
            "start": "offset in paragraphs.text",
            "orig_start": "offset in documents.original",
            "source": "the recognizer that found it",
        },
    ),
    "relations": (
        "Relations",
        "Facts between two entities, each with its evidence sentence.",
        ["predicate"],
        {
            "predicate": "COOPERATES_WITH, SUPPLIES, MEMBER_OF, LEADS, ESTABLISHED, SUBORDINATE_TO, "
            "LOCATED_IN, HOLDS_POSITION, VISITED or SUPPORTS",
            "evidence": "the sentence that states it",
            "confidence": "0.4-0.85 by rule",
            "attrs": "JSON: title (HOLDS_POSITION), date (VISITED, ESTABLISHED), ...",
        },
    ),
    "metrics": (
        "Metrics",
        "Numbers with units, normalized (9.6万家 -> 96000 家).",
        ["unit"],
        {
            "value": "the number",
            "unit": "its unit",
            "indicator": "what is counted or measured",
            "period": "stated year or 今年/去年 resolved",
            "raw": "the text as printed",
        },
    ),
    "collaborations": (
        "Collaborations (view)",
        "Pairs of entities that cooperate (COOPERATES_WITH either way) "
        "or share a committee or alliance (kind = shared membership).",
        ["kind"],
        {
            "kind": "COOPERATES_WITH or shared membership",
            "via_group": "the shared group",
            "documents": "distinct documents behind the pair",
            "first_date": "earliest document date",
            "last_date": "latest document date",
        },
    ),
    "memberships": (
        "Memberships (view)",
        "Members and leaders of committees and alliances.",
        ["role", "group_name"],
        {"role": "member (MEMBER_OF) or leads (LEADS)", "evidence": "one sentence that says so"},
    ),
    "entity_summary": (
        "Entity summary (view)",
        "Per entity: aliases, documents, mentions, relations, collaborations, first and last date.",
        ["type"],
        {"aliases": "joined with |"},
    ),
    "document_texts": (
        "Document texts (view)",
        "Each document's cleaned text: its paragraphs joined by newlines (null for a failed document).",
        [],
        {"id": "documents.id", "text": "cleaned paragraphs joined by newlines"},
    ),
    "metrics_with_dates": (
        "Metrics with dates (view)",
        "Metrics with entity names and a date: the stated year, else the document date.",
        ["unit", "entity_type"],
        {"date": "stated year (period) when it is one, else the document date"},
    ),
}


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file (its stem): the first part of every URL."""
    return Path(db_path).stem


def metadata(db_path: str | Path) -> dict:
    """Datasette metadata: titles, descriptions, column docs, facets, FTS and canned queries."""
    tables: dict[str, dict[str, Any]] = {}
    for name, (title, description, facets, columns) in TABLES.items():
        tables[name] = {"title": title, "description": description, "facets": facets, "columns": columns}
    for hidden in ("meta", "paragraphs_fts", "lsh_bands", "held_facts"):
        tables[hidden] = {"hidden": True}
    return {
        "title": "cluster-kb",
        "description_html": (
            "Party building in industrial clusters, from Chinese newsletters: entities, "
            "relations with their evidence, metrics. "
            f'<a href="{MAP_PATH}">Collaboration map</a>. '
            '<a href="/-/metrics-chart">Figures over time</a>.'
        ),
        "databases": {database_name(db_path): {"tables": tables, "queries": CANNED}},
    }


def check(db_path: str | Path) -> None:
    """Refuse a database whose dashboard views are missing or out of date (reading only)."""
    conn = connect_readonly(db_path)
    try:
        if views_outdated(conn):
            raise ServeError(
                f"{db_path}: its views are missing or out of date; "
                f"run `kb ingest --db {db_path}` on any file (or folder) to update it"
            )
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"{db_path}: not a usable cluster-kb database ({exc})") from exc
    finally:
        conn.close()


def datasette_args(db_path: str | Path, folder: Path, host: str, port: int) -> list[str]:
    """The ``datasette serve`` arguments for the prepared ``folder`` (metadata and map)."""
    return [
        "serve",
        str(db_path),
        "--plugins-dir",
        str(PLUGINS),
        "--metadata",
        str(folder / "metadata.json"),
        "--static",
        f"{MAP_MOUNT}:{folder / MAP_MOUNT}",
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "truncate_cells_html",
        "300",
        "--setting",
        "sql_time_limit_ms",
        "5000",
    ]


def serve(db_path: str | Path = DEFAULT_DB, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Prepare the database, write metadata and the map, run Datasette until it stops."""
    from ..query.export import to_html

    path = Path(db_path)
    check(path)
    with tempfile.TemporaryDirectory(prefix="kb-serve-") as tmp:
        folder = Path(tmp)
        (folder / MAP_MOUNT).mkdir()
        (folder / "metadata.json").write_text(json.dumps(metadata(path), ensure_ascii=False), encoding="utf-8")
        to_html(path, folder / MAP_MOUNT / "map.html")
        click.echo(
            f"serving {path} read-only at http://{host}:{port}/{database_name(path)} "
            f"(map: http://{host}:{port}{MAP_PATH})",
            err=True,
        )
        # In this process (not a child), so a signal that stops the server also ends the command
        # and the temporary folder is removed.
        from datasette.cli import cli

        try:
            cli.main(args=datasette_args(path, folder, host, port), prog_name="datasette", standalone_mode=False)
        except KeyboardInterrupt:
            pass
        return 0


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int)
def main(db_path: str, host: str, port: int) -> None:
    """Serve the knowledge base read-only with Datasette (python -m kb.web.serve)."""
    try:
        sys.exit(serve(db_path, host, port))
    except (ServeError, KnowledgeBaseMissing) as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":
    main()
