"""Charts of figures over time: ``kb metrics ... --plot FILE.png|svg`` (matplotlib, imported only here).

A series is one subject's indicator in one unit (华鑫电气 · 党员 · 名); its points are the dated
metrics, at the metric's period when it names a year or a date, else at its document's date
(``kb.query.queries.metrics`` puts that in ``when``). Undated metrics cannot be placed and are counted
in the title instead. At most ``MAX_SERIES`` series are drawn, those with the most points.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path

MAX_SERIES = 8
FORMATS = (".png", ".svg")
# Chinese labels need a CJK font; the first one installed is used (fonts-noto-cjk on Debian).
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
]
_WHEN = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def when_to_date(when: str | None) -> date | None:
    """The point in time of a ``when`` (``2021``, ``2021-05``, ``2021-05-05``, ``2021年…``): its first day."""
    match = _WHEN.match(when or "")
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
    except ValueError:
        return None


def series(rows: list[dict]) -> tuple[dict[tuple[str, str, str], list[tuple[date, float, dict]]], int]:
    """Rows of ``kb.query.queries.metrics`` grouped into series {(subject, indicator, unit): [(date, value, row)]},
    points in date order, and the number of rows without a date."""
    out: dict[tuple[str, str, str], list[tuple[date, float, dict]]] = defaultdict(list)
    undated = 0
    for row in rows:
        when = when_to_date(row.get("when"))
        if when is None or row.get("value") is None:
            undated += 1
            continue
        key = (row.get("entity") or row.get("subject_text") or "?", row.get("indicator") or "", row.get("unit") or "")
        out[key].append((when, float(row["value"]), row))
    for points in out.values():
        points.sort(key=lambda p: (p[0], p[2].get("id", 0)))
    return dict(out), undated


def plot_series(rows: list[dict], out: str | Path, title: str = "") -> dict:
    """Draw the series of ``rows`` into ``out`` (.png or .svg); returns what was drawn:
    ``{"series": n, "points": n, "undated": n, "left_out": n}``. Raises ValueError for another suffix
    or when no row has a date."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"--plot writes {' or '.join(FORMATS)} files, not {out.suffix or 'a file without a suffix'}")
    groups, undated = series(rows)
    if not groups:
        raise ValueError(f"nothing to plot: none of the {len(rows)} metrics has a date")
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    plt.rcParams["font.family"] = [f for f in CJK_FONTS if f in installed] or ["DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    chosen = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_SERIES]
    fig, ax = plt.subplots(figsize=(9, 5), dpi=120)
    for (subject, indicator, unit), points in chosen:
        ax.plot(
            [p[0] for p in points],  # type: ignore[arg-type]  # dates: matplotlib converts them; its stubs want numbers
            [p[1] for p in points],
            marker="o",
            label=f"{subject} · {indicator} ({unit})" if unit else f"{subject} · {indicator}",
        )
    notes = [f"{undated} undated not shown"] if undated else []
    if len(groups) > len(chosen):
        notes.append(f"{len(groups) - len(chosen)} more series not shown")
    ax.set_title(title + (f"  ({'; '.join(notes)})" if notes else ""), fontsize=10)
    ax.set_xlabel("date (the figure's period, else its document's date)")
    ax.set_ylabel("value")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return {
        "series": len(chosen),
        "points": sum(len(p) for _, p in chosen),
        "undated": undated,
        "left_out": len(groups) - len(chosen),
    }
