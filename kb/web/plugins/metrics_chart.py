"""Datasette plugin loaded by ``kb serve``: ``/-/metrics-chart`` draws figures over time, the chart
``kb metrics ... --plot`` writes (kb/query/plot.py), for an entity, an indicator and a date range given in
the page's form (the same arguments as the command: ``entity``, ``indicator``, ``since``, ``until``).

The database is read through :func:`kb.query.queries.metrics`, which opens it read-only.
"""

from __future__ import annotations

import asyncio
import html
import tempfile
from pathlib import Path

from datasette import Response, hookimpl

from kb.dates import RANGE_BOUND

FIELDS = ("entity", "indicator", "since", "until")


@hookimpl
def register_routes():
    return [(r"^/-/metrics-chart$", metrics_chart)]


def chart_svg(
    db_path: str, entity: str | None, indicator: str | None, since: str | None, until: str | None
) -> tuple[str, str]:
    """The SVG chart (empty when there is nothing to draw) and a line saying what it shows."""
    from kb.query import queries
    from kb.query.plot import plot_series

    rows = queries.metrics(db_path, entity, indicator, since=since, until=until)
    if not rows:
        return "", "no figures match (kb metrics with the same arguments lists them)"
    title = " · ".join(v for v in (entity, indicator) if v) or "all figures"
    with tempfile.TemporaryDirectory(prefix="kb-chart-") as tmp:
        out = Path(tmp) / "chart.svg"
        try:
            drawn = plot_series(rows, out, title=title)
        except ValueError as exc:  # nothing dated to draw
            return "", str(exc)
        svg = out.read_text(encoding="utf-8")
    svg = svg[svg.find("<svg") :]  # the XML prologue does not belong inside HTML
    return svg, (
        f"{drawn['series']} series, {drawn['points']} points"
        + (f"; {drawn['undated']} undated not shown" if drawn["undated"] else "")
    )


def page(values: dict[str, str], svg: str, note: str, error: str = "") -> str:
    inputs = "".join(
        f'<label>{name} <input name="{name}" value="{html.escape(values[name])}"></label> ' for name in FIELDS
    )
    message = f'<p class="error">{html.escape(error)}</p>' if error else f"<p>{html.escape(note)}</p>"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>cluster-kb: figures over time</title>"
        "<style>body{font-family:sans-serif;margin:1.5em} .error{color:#b00} svg{max-width:100%;height:auto}"
        "</style></head><body><h1>Figures over time</h1>"
        f"<form method='get'>{inputs}<button>draw</button></form>{message}{svg}"
        "<p><a href='/'>back to the knowledge base</a> · dates: YYYY, YYYY-MM or YYYY-MM-DD; "
        "the same chart as <code>kb metrics ENTITY --indicator TEXT --plot FILE.svg</code></p></body></html>"
    )


async def metrics_chart(datasette, request):
    values = {name: (request.args.get(name) or "").strip() for name in FIELDS}
    bad = [name for name in ("since", "until") if values[name] and not RANGE_BOUND.match(values[name])]
    if bad:
        return Response.html(page(values, "", "", f"{bad[0]}: give YYYY, YYYY-MM or YYYY-MM-DD"), status=400)
    if not (values["entity"] or values["indicator"]):
        return Response.html(page(values, "", "Give an entity, an indicator (part of its name), or both."))
    db_path = datasette.get_database().path
    try:
        svg, note = await asyncio.get_running_loop().run_in_executor(
            None,
            chart_svg,
            db_path,
            values["entity"] or None,
            values["indicator"] or None,
            values["since"] or None,
            values["until"] or None,
        )
    except (ValueError, LookupError) as exc:  # a bad argument, an unknown region or entity
        return Response.html(page(values, "", "", str(exc).strip('"')), status=400)
    return Response.html(page(values, svg, note))
