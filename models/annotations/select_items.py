"""Choose the items of ``../shared/data/cctv_pool`` to annotate, and split them.

Run: ``python models/annotations/select_items.py [--pool PATH] [--count N]``. Writes
``models/annotations/selection.tsv`` (id, date, n_chars, bucket, score, batch, split), deterministic.

How items are chosen (the pool's README asks for items rich in entity cues, sampled across dates):
- 300 to 2,500 characters, like the domain subset the project is measured on;
- a cue score: place suffixes, company and group words, party bodies, parks and zones, alliances and
  associations, persons with titles, industries and clusters, each capped so one cue cannot dominate,
  divided by the square root of the length so long items do not win by size alone;
- every item of the ``party_building`` and ``regional_industry`` buckets, then the best-scoring
  ``other`` items month by month (round robin over the months), so that all dates are covered.
Split by item (a stable hash of the id): 20% test, 10% dev, 70% train. Batches of 25 items, in order.

``--extend`` keeps every row already in the selection (its batch and split) and appends the newly
chosen items after them, in new batches: annotated batches never change when the selection grows.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_POOL = HERE.parent.parent.parent / "shared" / "data" / "cctv_pool" / "pool.jsonl.gz"
CUES = [r"[省市区县镇乡村]|街道", r"公司|集团|企业", r"党委|党支部|党总支|党工委|党组|党建",
        r"园区|开发区|高新区|经开区|新区|自贸|示范区|基地", r"联盟|协会|商会|联合体|共同体",
        r"书记|董事长|主任|局长|市长|省长|县长|镇长|总经理|负责人", r"产业|集群|产业链"]
CUE_CAP = 15
BATCH_SIZE = 25


def cue_score(text: str) -> float:
    """Entity-cue density of a text: capped cue counts over the square root of its length."""
    raw = sum(min(len(re.findall(cue, text)), CUE_CAP) for cue in CUES)
    return raw / (1 + len(text) / 1000) ** 0.5


def split_of(item_id: str) -> str:
    """The split an item belongs to, stable across runs and selections."""
    bucket = int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 10
    return "test" if bucket < 2 else "dev" if bucket == 2 else "train"


def select(pool: Path, count: int) -> list[dict]:
    """The ``count`` items to annotate, in annotation order."""
    with gzip.open(pool, "rt", encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    items = [i for i in items if 300 <= i["n_chars"] <= 2500]
    for item in items:
        item["score"] = round(cue_score(item["title"] + "\n\n" + item["text"]), 2)
    chosen = sorted((i for i in items if i["bucket"] != "other"), key=lambda i: (i["date"], i["id"]))
    by_month: dict[str, list[dict]] = defaultdict(list)
    for item in sorted((i for i in items if i["bucket"] == "other"), key=lambda i: (-i["score"], i["id"])):
        by_month[item["date"][:6]].append(item)
    months = sorted(by_month)
    rank = 0
    while len(chosen) < count and any(rank < len(by_month[m]) for m in months):
        chosen += [by_month[m][rank] for m in months if rank < len(by_month[m])][: count - len(chosen)]
        rank += 1
    # interleave so that every batch mixes buckets and dates
    chosen.sort(key=lambda i: hashlib.sha1(("order" + i["id"]).encode()).hexdigest())
    return chosen[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=Path, default=DEFAULT_POOL)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=HERE / "selection.tsv")
    parser.add_argument("--extend", action="store_true",
                        help="keep the rows of --out and append the new items in new batches")
    args = parser.parse_args()
    if not args.pool.exists():
        raise SystemExit(f"the CCTV pool is missing: {args.pool} (it comes with ../shared/data)")
    rows = ["id\tdate\tn_chars\tbucket\tscore\tbatch\tsplit"]
    chosen = select(args.pool, args.count)
    if args.extend and args.out.exists():
        rows = args.out.read_text(encoding="utf-8").splitlines()
        kept = {row.split("\t")[0] for row in rows[1:]}
        chosen = [item for item in chosen if item["id"] not in kept]
        # continue from the next whole batch
        first = -(-(len(rows) - 1) // BATCH_SIZE) * BATCH_SIZE
        chosen = [None] * first + chosen
    for n, item in enumerate(chosen):
        if item is None:
            continue
        rows.append(f"{item['id']}\t{item['date']}\t{item['n_chars']}\t{item['bucket']}\t{item['score']}"
                    f"\t{n // BATCH_SIZE + 1:03d}\t{split_of(item['id'])}")
    args.out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows) - 1} items written to {args.out}")


if __name__ == "__main__":
    main()
