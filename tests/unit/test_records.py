"""Files of records (pipeline.records): one document per JSONL line, JSON item or CSV row, with its metadata."""

from __future__ import annotations

import csv
import json

import pytest

from kb.ingest import ingest
from kb.store import Store
from pipeline.records import iter_records, parse_date

# Three short news items in the shape researchers export them: id, date, title, text, url.
ITEMS = [
    {
        "id": "a1",
        "date": "20210505",
        "title": "产业集群党委成立",
        "url": "http://example.org/a1",
        "text": "5月4日，溧阳市埭头镇锂电池产业集群党委正式成立，覆盖企业36家，党员218名。",
    },
    {
        "id": "a2",
        "date": "2021/6/1",
        "title": "党建联盟签约",
        "channel": "newsletter",
        "text": "常州市武进区委组织部与江苏蜂巢能源科技有限公司签订党建共建协议。",
    },
    {
        "id": "a3",
        "date": "2021年7月1日",
        "title": "七一走访",
        "text": "2020年3月1日，区委书记王明强走访华鑫电气有限公司，该公司党员人数达到120名。",
    },
]
DATES = {"a1": "2021-05-05", "a2": "2021-06-01", "a3": "2021-07-01"}


def _write(path, items, kind):
    if kind == "jsonl":
        path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    elif kind == "json":
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    else:
        fields = sorted({k for i in items for k in i})
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, delimiter="\t" if kind == "tsv" else ",")
            writer.writeheader()
            writer.writerows(items)


@pytest.mark.parametrize("kind", ["jsonl", "csv", "tsv", "json"])
def test_three_dated_records_are_three_documents_with_those_dates(tmp_path, kind):
    path = tmp_path / f"items.{kind}"
    _write(path, ITEMS, kind)
    store = Store(tmp_path / "kb.sqlite")
    report = ingest(store, [path])
    assert (report.added, report.failed) == (3, 0)
    rows = store.db.execute("select source, date, title, metadata from documents order by source").fetchall()
    assert [(src.rpartition("#")[2], date) for src, date, _, _ in rows] == sorted(DATES.items())
    assert [title for _, _, title, _ in rows] == [i["title"] for i in ITEMS]
    metadata = json.loads(rows[1][3])
    assert metadata["channel"] == "newsletter" and "text" not in metadata
    # the record's date beats the one in its text (2020年3月1日 in a3)
    assert store.db.execute("select count(*) from documents where date = '2020-03-01'").fetchone()[0] == 0
    entities = {n for (n,) in store.db.execute("select name from entities")}
    assert "江苏蜂巢能源科技有限公司" in entities


def test_records_are_incremental_like_files(tmp_path):
    path = tmp_path / "items.jsonl"
    _write(path, ITEMS, "jsonl")
    store = Store(tmp_path / "kb.sqlite")
    ingest(store, [tmp_path])  # a folder walk finds the .jsonl
    assert ingest(store, [path]).unchanged == 3
    changed = [dict(ITEMS[0], date="2021-05-06"), *ITEMS[1:]]
    _write(path, changed, "jsonl")
    report = ingest(store, [path])
    assert (report.added, report.unchanged) == (1, 2)  # the corrected record replaces its document
    dates = {d for (d,) in store.db.execute("select date from documents")}
    assert dates == {"2021-05-06", "2021-06-01", "2021-07-01"}


def test_bad_records_are_recorded_failed_with_the_reason(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(
        json.dumps(ITEMS[0], ensure_ascii=False)
        + "\n{not json\n"
        + '{"id": "x", "title": "no text"}\n'
        + '["a list"]\n'
        + json.dumps(dict(ITEMS[1], date="not a date"), ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "kb.sqlite")
    report = ingest(store, [path])
    assert (report.added, report.failed) == (2, 3)
    errors = {src.rpartition("#")[2]: err for src, err in report.failures}
    assert "not JSON" in errors["line 2"] and "no 'text'" in errors["x"] and "not an object" in errors["line 4"]
    warnings = store.db.execute("select warnings, date from documents where source like '%#a2'").fetchone()
    assert "not a date" in warnings[0] and warnings[1] is None  # the text has no date either


def test_a_csv_without_a_text_column_says_so(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("id,body\n1,产业集群党委成立。\n", encoding="utf-8")
    [record] = list(iter_records(path))
    assert "no 'text' column" in record.error


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2021-05-05", "2021-05-05"),
        ("20210505", "2021-05-05"),
        ("2021/5/5", "2021-05-05"),
        ("2021年5月5日", "2021-05-05"),
        ("2021-05-05T08:00:00", "2021-05-05"),
        ("2021-13-01", None),
        ("May 2021", None),
        ("", None),
        (None, None),
    ],
)
def test_record_dates(value, expected):
    assert parse_date(value) == expected
