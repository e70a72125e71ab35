"""``kb`` commands for exploring the knowledge base: entity, collaborators, members, groups, path,
top, communities, metrics, export, serve.

:func:`register` adds them to the ``kb`` click group. Each prints an aligned table by default
(column widths count a Chinese character as two), ``--json`` for the full data and ``--csv`` for
the table's rows.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

import click

from ..connection import db_option
from ..dates import RANGE_BOUND
from ..query import queries
from ..query.graph import DatabaseMissing

EVIDENCE_WIDTH = 60  # characters of an evidence sentence shown in a table; --json has them whole


def _region_option(func):
    return click.option(
        "--region",
        default=None,
        metavar="REGION",
        help="Only entities under this region (江苏, 浙江省, 江宁区): its divisions and what is LOCATED_IN them.",
    )(func)


def _format_options(func):
    func = click.option("--csv", "as_csv", is_flag=True, help="Print CSV rows.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip(text: Any, limit: int = EVIDENCE_WIDTH) -> str:
    text = "" if text is None else str(text).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(rows: list[dict], columns: list[str], details: Callable[[dict], list[str]] | None = None) -> str:
    """An aligned text table; ``details`` gives extra indented lines under a row (evidence)."""
    cells = [[("-" if row.get(c) in (None, "") else str(row.get(c))) for c in columns] for row in rows]
    widths = [max([width(c)] + [width(line[i]) for line in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths, strict=False)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    for row, values in zip(rows, cells, strict=False):
        out.append(line(values))
        out.extend("    " + extra for extra in (details(row) if details else []))
    return "\n".join(out)


def emit(
    data: Any,
    rows: list[dict],
    columns: list[str],
    as_json: bool,
    as_csv: bool,
    details: Callable[[dict], list[str]] | None = None,
    empty: str = "nothing found",
    csv_columns: list[str] | None = None,
) -> None:
    """Print ``data`` as JSON, ``rows`` as CSV (``csv_columns``, default ``columns``), or a table."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    elif as_csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=csv_columns or columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in row.items()}
            for row in rows
        )
        click.echo(buffer.getvalue(), nl=False)
    elif rows:
        click.echo(table(rows, columns, details))
    else:
        click.echo(empty, err=True)


def _check_dates(since: str | None, until: str | None) -> None:
    """Refuse a --since / --until that is not YYYY, YYYY-MM or YYYY-MM-DD (a usage error, no traceback)."""
    for option, value in (("--since", since), ("--until", until)):
        if value and not RANGE_BOUND.match(value):
            raise click.BadParameter(f"{value!r}: give YYYY, YYYY-MM or YYYY-MM-DD", param_hint=option)


def range_options(what: str):
    """``--since`` / ``--until`` for a command that keeps only ``what`` dated in a range."""

    def decorate(func):
        func = click.option(
            "--until",
            default=None,
            metavar="DATE",
            help=f"Only {what} dated on or before DATE (2021 includes all of 2021).",
        )(func)
        return click.option(
            "--since",
            default=None,
            metavar="DATE",
            help=f"Only {what} dated on or after DATE (2021, 2021-05, 2021-05-05); with "
            f"--since or --until, undated {what} are left out.",
        )(func)

    return decorate


def _run(func, *args, **kwargs):
    """Call a query, turning a missing database or entity into a clean error (exit status 1)."""
    try:
        return func(*args, **kwargs)
    except (queries.EntityNotFound, DatabaseMissing, ValueError) as exc:
        raise click.ClickException(str(exc).strip('"')) from exc


def _evidence_lines(evidence: list[dict], limit: int = 3) -> list[str]:
    """Evidence sentences for a table row; one sentence stating several relations is shown once."""
    unique: dict[tuple, dict] = {}
    for ev in evidence:
        unique.setdefault((ev["sentence"], ev["document_id"]), ev)
    evidence = list(unique.values())
    lines = []
    for ev in evidence[:limit]:
        where = f"doc {ev['document_id']}" + (f" {ev['date']}" if ev.get("date") else "")
        lines.append(f"“{clip(ev['sentence'])}” ({where})")
    if len(evidence) > limit:
        lines.append(f"… {len(evidence) - limit} more (--json shows all)")
    return lines


class EntityGroup(click.Group):
    """``kb entity NAME`` shows an entity (the ``show`` subcommand); ``kb entity rename|retype|merge|
    split|reject`` correct one (kb/cli/corrections.py)."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands:
            return "show", self.commands["show"], args
        return super().resolve_command(ctx, args)


def register(main: click.Group) -> None:
    """Add the exploration commands to the ``kb`` group."""

    @main.group(cls=EntityGroup, context_settings={"ignore_unknown_options": True})
    def entity() -> None:
        """An entity: `kb entity NAME` shows it (type, aliases, documents, relations with evidence and
        their ids); the subcommands correct it (kept as corrections: `kb corrections list`)."""

    @entity.command("show")
    @click.argument("name")
    @db_option
    @_format_options
    def show_entity(name: str, db_path: str, as_json: bool, as_csv: bool) -> None:
        """An entity (any alias finds it): type, aliases, documents, relations with evidence."""
        data = _run(queries.entity, db_path, name)
        rows = [
            {
                "dir": "→" if r["direction"] == "out" else "←",
                **r,
                "other_name": r["other"]["name"],
                "other_type": r["other"]["type"],
            }
            for r in data["relations"]
        ]
        if not (as_json or as_csv):
            aliases = "、".join(data["aliases"]) or "-"
            click.echo(
                f"{data['name']}  [{data['type']}]  id={data['id']}  aliases: {aliases}  mentions: {data['mentions']}"
            )
            for doc in data["documents"]:
                click.echo(
                    f"  doc {doc['id']}  {doc['date'] or '(no date)'}  {doc['source']}  {doc['mentions']} mention(s)"
                )
            if data["same_name"]:
                click.echo("  also: " + ", ".join(f"{e['name']} [{e['type']}] id={e['id']}" for e in data["same_name"]))
            click.echo()
        emit(
            data,
            rows,
            ["relation_id", "dir", "predicate", "other_name", "other_type", "document_id"],
            as_json,
            as_csv,
            details=lambda r: [f"“{clip(r['evidence'], 80)}”"],
            empty="no relations",
            csv_columns=[
                "relation_id",
                "direction",
                "subject",
                "predicate",
                "object",
                "other_type",
                "document_id",
                "source",
                "date",
                "confidence",
                "evidence",
            ],
        )

    @main.command()
    @click.argument("name")
    @click.option(
        "--depth",
        default=1,
        show_default=True,
        type=click.IntRange(1, 5),
        help="Also collaborators of collaborators, up to this distance.",
    )
    @range_options("relations")
    @_region_option
    @db_option
    @_format_options
    def collaborators(
        name: str,
        depth: int,
        since: str | None,
        until: str | None,
        region: str | None,
        db_path: str,
        as_json: bool,
        as_csv: bool,
    ) -> None:
        """Who cooperates with NAME or shares a committee/alliance with it, by number of documents.

        A relation is dated by its sentence when that gives a date, else by its document.
        """
        _check_dates(since, until)
        data = _run(queries.collaborators, db_path, name, depth, since, until, region=region)
        rows = [
            {**r, "how": " + ".join(r["kinds"]), "via": "、".join(r["via"]), "path": " → ".join(r["path"])}
            for r in data
        ]
        columns = ["distance", "name", "type", "documents", "how", "via"] + (["path"] if depth > 1 else [])
        emit(
            data,
            rows,
            columns,
            as_json,
            as_csv,
            details=lambda r: _evidence_lines(r["evidence"]),
            empty=f"no collaborators of {name}" + (f" under {region}" if region else ""),
            csv_columns=columns + ["path"] * (depth == 1) + ["evidence"],
        )

    def membership_command(command_name: str, func, label: str, doc: str):
        @main.command(name=command_name, help=doc)
        @click.argument(label)
        @_region_option
        @db_option
        @_format_options
        def command(db_path: str, as_json: bool, as_csv: bool, region: str | None, **kwargs) -> None:
            data = _run(func, db_path, kwargs[label], region=region)
            rows = [{**r, "roles": "+".join(r["roles"])} for r in data]
            emit(
                data,
                rows,
                ["name", "type", "roles", "documents"],
                as_json,
                as_csv,
                details=lambda r: _evidence_lines(r["evidence"], limit=1),
                empty=f"nothing found for {kwargs[label]}" + (f" under {region}" if region else ""),
                csv_columns=["id", "name", "type", "roles", "documents", "evidence"],
            )

    membership_command(
        "members", queries.members, "group", "Members (MEMBER_OF) and leaders (LEADS) of a committee or alliance GROUP."
    )
    membership_command(
        "groups",
        queries.groups,
        "entity",
        "The committees and alliances ENTITY is a member (MEMBER_OF) or leader (LEADS) of.",
    )

    @main.command()
    @click.argument("a")
    @click.argument("b")
    @click.option("--limit", default=5, show_default=True, help="At most this many shortest paths.")
    @range_options("relations")
    @db_option
    @_format_options
    def path(
        a: str, b: str, limit: int, since: str | None, until: str | None, db_path: str, as_json: bool, as_csv: bool
    ) -> None:
        """The shortest chains of relations between A and B, with evidence for each hop.

        A relation is dated by its sentence when that gives a date, else by its document.
        """
        _check_dates(since, until)
        data = _run(queries.path, db_path, a, b, limit, since, until)
        rows = []
        for number, hops in enumerate(data["paths"], 1):
            for step, hop in enumerate(hops, 1):
                for rel in hop["relations"]:
                    rows.append(
                        {
                            "path": number,
                            "hop": step,
                            "subject": rel["subject"],
                            "predicate": rel["predicate"],
                            "object": rel["object"],
                            "documents": rel["documents"],
                            "evidence": rel["evidence"],
                            "sentence": rel["evidence"][0]["sentence"] if rel["evidence"] else "",
                        }
                    )
        if not (as_json or as_csv) and data["paths"]:
            click.echo(
                f"{data['from']['name']} → {data['to']['name']}: {len(data['paths'])} shortest path(s) "
                f"of {data['length']} hop(s)\n"
            )
        emit(
            data,
            rows,
            ["path", "hop", "subject", "predicate", "object", "documents"],
            as_json,
            as_csv,
            details=lambda r: _evidence_lines(r["evidence"], limit=1),
            empty=f"nothing connects {a} and {b}",
            csv_columns=["path", "hop", "subject", "predicate", "object", "documents", "sentence"],
        )

    @main.command()
    @click.option("--type", "entity_type", default=None, help="Only this entity type (ENTERPRISE, PARTY_ORG, ...).")
    @click.option("--by", type=click.Choice(queries.TOP_BY), default="degree", show_default=True)
    @click.option("--limit", default=10, show_default=True)
    @_region_option
    @db_option
    @_format_options
    def top(
        entity_type: str | None, by: str, limit: int, region: str | None, db_path: str, as_json: bool, as_csv: bool
    ) -> None:
        """The most central entities of the collaboration graph (degree, betweenness) or most documented."""
        data = _run(queries.top, db_path, entity_type, by, limit, region=region)
        emit(data, data, ["rank", "name", "type", "degree", "betweenness", "documents"], as_json, as_csv)

    @main.command()
    @db_option
    @_format_options
    def communities(db_path: str, as_json: bool, as_csv: bool) -> None:
        """Communities of the collaboration graph (Louvain, fixed seed), largest first."""
        data = _run(queries.communities, db_path)
        rows = [{**c, "members": "、".join(m["name"] for m in c["members"])} for c in data]
        emit(data, rows, ["community", "size", "hub", "members"], as_json, as_csv, empty="no collaborations")

    @main.command()
    @click.argument("entity", required=False)
    @click.option("--indicator", default=None, help="Only indicators containing this text.")
    @click.option("--sort", type=click.Choice(queries.METRIC_SORT), default="date", show_default=True)
    @click.option("--desc", is_flag=True, help="Largest / latest first.")
    @click.option(
        "--since", default=None, metavar="DATE", help="Only figures dated on or after DATE (2021, 2021-05, 2021-05-05)."
    )
    @click.option(
        "--until",
        default=None,
        metavar="DATE",
        help="Only figures dated on or before DATE (2021 includes all of 2021).",
    )
    @click.option(
        "--plot",
        "plot_path",
        default=None,
        type=click.Path(dir_okay=False),
        help="Also draw the series over time into this .png or .svg file.",
    )
    @_region_option
    @db_option
    @_format_options
    def metrics(
        entity: str | None,
        indicator: str | None,
        sort: str,
        desc: bool,
        since: str | None,
        until: str | None,
        plot_path: str | None,
        region: str | None,
        db_path: str,
        as_json: bool,
        as_csv: bool,
    ) -> None:
        """Metrics (of ENTITY, by name, alias or subject text) as a table, sorted by date.

        A figure's date is its period when that names a year (2021年), else its document's date.
        With --plot, each subject's indicator in one unit is a line over time (kb/query/plot.py).
        """
        _check_dates(since, until)
        data = _run(queries.metrics, db_path, entity, indicator, sort, desc, since, until, region=region)
        if plot_path:
            from ..query.plot import plot_series

            try:
                drawn = plot_series(data, plot_path, title=" · ".join(x for x in (entity, indicator) if x) or "metrics")
            except (ValueError, OSError) as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(
                f"wrote {plot_path}: {drawn['series']} series, {drawn['points']} points"
                + (f" ({drawn['undated']} undated not drawn)" if drawn["undated"] else ""),
                err=True,
            )
        rows = [
            {
                **r,
                "subject": r["entity"] or r["subject_text"],
                "value": queries.number(r["value"]),
                "indicator": clip(r["indicator"], 30),
            }
            for r in data
        ]
        emit(
            data,
            rows if not as_csv else data,
            ["when", "subject", "indicator", "value", "unit", "raw", "document_id"],
            as_json,
            as_csv,
            empty="no metrics",
            csv_columns=[
                "id",
                "when",
                "entity",
                "subject_text",
                "indicator",
                "value",
                "unit",
                "period",
                "raw",
                "document_id",
                "source",
                "date",
            ],
        )

    @main.command()
    @click.argument("name")
    @click.option(
        "--since", default=None, metavar="DATE", help="Only events dated on or after DATE (2021, 2021-05, 2021-05-05)."
    )
    @click.option("--until", default=None, metavar="DATE", help="Only events dated on or before DATE.")
    @db_option
    @_format_options
    def timeline(name: str, since: str | None, until: str | None, db_path: str, as_json: bool, as_csv: bool) -> None:
        """NAME's relations and figures in date order, with evidence (a relation's own date when its
        sentence gives one, else its document's; a figure's period, else its document's date)."""
        _check_dates(since, until)
        data = _run(queries.timeline, db_path, name, since, until)
        rows = [{**r, "when": r["when"] or "-"} for r in data]
        emit(
            data,
            rows,
            ["when", "kind", "what", "document_id"],
            as_json,
            as_csv,
            details=lambda r: [f"“{clip(r['evidence'] or '', 80)}”"],
            empty=f"nothing dated about {name}",
            csv_columns=["when", "kind", "what", "evidence", "document_id", "source"],
        )

    @main.command(name="export")
    @click.argument(
        "fmt",
        metavar="FORMAT",
        type=click.Choice(["graphml", "gexf", "json", "csv", "html", "doccano", "label-studio"]),
    )
    @click.argument("out", type=click.Path())
    @click.option(
        "--graph",
        type=click.Choice(["relations", "collaboration"]),
        default="relations",
        show_default=True,
        help="Which graph graphml and gexf hold.",
    )
    @click.option(
        "--docs",
        multiple=True,
        metavar="DOC",
        help="doccano / label-studio: only this document (id, source or file name; repeat or "
        "separate with commas). Default: every ok document.",
    )
    @range_options("relations")
    @db_option
    def export_command(
        fmt: str, out: str, graph: str, docs: tuple[str, ...], since: str | None, until: str | None, db_path: str
    ) -> None:
        """Export the graph (graphml, gexf, json), flat tables (csv: a folder), the map (html), or
        documents to review with what the pipeline found (doccano: JSONL; label-studio: tasks JSON and
        OUT's .label-config.xml beside it; `kb import-annotations` reads the reviewed file back).

        graphml and gexf edges carry start / end (the first and last day of their evidence: Gephi's
        timeline) and docs_YYYY (documents per year). With --since / --until, csv's metrics table
        keeps the figures dated in range too.
        """
        if fmt in ("doccano", "label-studio"):
            from ..annotation_io import export_annotations

            if since or until:
                raise click.UsageError("--since / --until do not apply to doccano and label-studio (use --docs)")
            refs = tuple(ref.strip() for spec in docs for ref in spec.split(",") if ref.strip())
            for written in _run(export_annotations, db_path, fmt, out, refs):
                click.echo(str(written))
            return
        from ..query.export import export

        _check_dates(since, until)
        for written in _run(export, db_path, fmt, out, graph, since, until):
            click.echo(str(written))

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8001, show_default=True, type=int)
    @db_option
    def serve(host: str, port: int, db_path: str) -> None:
        """Serve the knowledge base read-only with Datasette, and the map at /map/map.html."""
        from ..web.serve import serve as run_serve

        try:
            sys.exit(run_serve(db_path, host, port))
        except FileNotFoundError as exc:
            raise click.ClickException(str(exc)) from exc
