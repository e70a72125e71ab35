"""Print the documents of one annotation batch (or of given item ids) as an annotator reads them.

Run: ``python models/annotations/show_batch.py 007`` or ``python models/annotations/show_batch.py --ids ID...``.
A document is ``title + "\\n\\n" + text`` (the pool README's rule); names, aliases, evidence
sentences and raw metric text are copied from exactly this text.
"""
from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_POOL = HERE.parent.parent.parent / "shared" / "data" / "cctv_pool" / "pool.jsonl.gz"


def batch_ids(batch: str) -> list[str]:
    """The item ids of a batch of ``selection.tsv``, in order."""
    rows = (line.split("\t") for line in (HERE / "selection.tsv").read_text(encoding="utf-8").splitlines()[1:])
    return [row[0] for row in rows if row[5] == batch.zfill(3)]


def documents(ids: list[str], pool: Path = DEFAULT_POOL) -> dict[str, dict]:
    """``{id: {"date", "text"}}`` for the wanted items, text as the pipeline and the validator see it."""
    wanted, found = set(ids), {}
    with gzip.open(pool, "rt", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            if item["id"] in wanted:
                found[item["id"]] = {"date": item["date"], "text": item["title"] + "\n\n" + item["text"]}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", nargs="?")
    parser.add_argument("--ids", nargs="*", default=[])
    parser.add_argument("--pool", type=Path, default=DEFAULT_POOL)
    args = parser.parse_args()
    ids = args.ids or batch_ids(args.batch or "")
    if not ids:
        raise SystemExit("no items: give a batch number of selection.tsv or --ids")
    docs = documents(ids, args.pool)
    for item_id in ids:
        doc = docs[item_id]
        d = doc["date"]
        print(f"===== {item_id}  date {d[:4]}-{d[4:6]}-{d[6:]}  ({len(doc['text'])} chars) =====")
        print(doc["text"])
        print()


if __name__ == "__main__":
    main()
