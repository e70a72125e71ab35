"""Figures over time: kb metrics --since/--until and --plot, on three dated records about one enterprise."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.query.plot import when_to_date
from tests.conftest import records_kb

RECORDS = [
    {
        "id": str(year),
        "date": f"{year}-07-01",
        "title": "华鑫电气党建",
        "text": f"截至{year}年6月底，上海华鑫电气有限公司党委共有党员{members}名，下设党支部{branches}个。",
    }
    for year, members, branches in ((2019, 85, 6), (2020, 102, 7), (2021, 120, 9))
] + [
    {
        "id": "visit",
        "date": "2021-08-05",
        "title": "调研",
        "text": "2021年8月3日，区委书记王明强走访上海华鑫电气有限公司，了解企业党建工作。",
    }
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return records_kb(tmp_path_factory.mktemp("over_time"), RECORDS)


def _metrics(db, *args):
    out = CliRunner().invoke(
        main, ["metrics", "上海华鑫电气有限公司", "--indicator", "党员", "--json", "--db", db, *args]
    )
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_a_figure_over_three_years_is_a_series_in_date_order(db):
    rows = _metrics(db)
    assert [(r["when"], r["value"], r["unit"]) for r in rows] == [
        ("2019-06", 85.0, "名"),
        ("2020-06", 102.0, "名"),
        ("2021-06", 120.0, "名"),
    ]


def test_since_and_until_keep_the_figures_in_the_range(db):
    assert [r["value"] for r in _metrics(db, "--since", "2020")] == [102.0, 120.0]
    assert [r["value"] for r in _metrics(db, "--until", "2019")] == [85.0]
    assert [r["value"] for r in _metrics(db, "--since", "2020-01", "--until", "2020-12-31")] == [102.0]


def test_plot_writes_a_chart_of_the_series(db, tmp_path):
    out = tmp_path / "members.png"
    result = CliRunner().invoke(main, ["metrics", "上海华鑫电气有限公司", "--db", db, "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2 series, 6 points" in result.stderr  # members and branches, three years each
    svg = tmp_path / "members.svg"
    result = CliRunner().invoke(main, ["metrics", "--indicator", "党员", "--db", db, "--plot", str(svg)])
    assert result.exit_code == 0 and "<svg" in svg.read_text(encoding="utf-8")[:500]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plot", "chart.txt"], ".png or .svg"),
        (["--since", "last year"], "YYYY"),
        (["--since", "2030", "--plot", "chart.png"], "nothing to plot"),
    ],
)
def test_bad_plot_and_date_options_say_what_is_wrong(db, tmp_path, args, message):
    result = CliRunner().invoke(
        main, ["metrics", "--db", db, *[str(tmp_path / a) if a.startswith("chart") else a for a in args]]
    )
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "when, expected",
    [
        ("2021", date(2021, 1, 1)),
        ("2021-05", date(2021, 5, 1)),
        ("2021-05-05", date(2021, 5, 5)),
        ("2021年上半年", date(2021, 1, 1)),
        ("2021-13", None),
        ("", None),
        (None, None),
    ],
)
def test_when_to_date(when, expected):
    assert when_to_date(when) == expected


def test_timeline_puts_relations_and_figures_in_date_order(db):
    out = CliRunner().invoke(main, ["timeline", "上海华鑫电气有限公司", "--json", "--db", db])
    assert out.exit_code == 0, out.output
    events = json.loads(out.stdout)
    whens = [e["when"] for e in events]
    assert whens == sorted(whens) and len([e for e in events if e["kind"] == "metric"]) == 6
    visit = [e for e in events if e["kind"] == "relation" and "VISITED" in e["what"]]
    assert any(e["when"] == "2021-08-03" and e["what"].startswith("王明强") for e in visit)  # the sentence's date
    later = json.loads(
        CliRunner()
        .invoke(main, ["timeline", "上海华鑫电气有限公司", "--since", "2021-07", "--json", "--db", db])
        .stdout
    )
    assert [e["kind"] for e in later] == ["relation"] * len(later) and later
    missing = CliRunner().invoke(main, ["timeline", "没有这家公司", "--db", db])
    assert missing.exit_code != 0 and "no entity" in missing.output and "Traceback" not in missing.output
