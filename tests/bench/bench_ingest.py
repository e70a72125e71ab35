"""Ingest benchmark (``make bench``; not collected by pytest).

Builds a synthetic corpus from the seed newsletters in corpus/ (3 to 15 paragraphs of a seed, shuffled,
OCR damage with the confusion set of ../shared/data/ocr_confusion when present, a quarter turned
into Traditional Chinese with OpenCC s2t), then prints:

* each stage on its own (one process, every document): characters/s, documents/s, peak RSS;
* end to end (``kb.ingest.ingest`` into a fresh database) with 1 and with 2 worker processes,
  side by side in this run, and the speedup of 2 over 1;
* a baseline: jieba posseg alone over the raw text of the documents in the stage table.

    python tests/bench/bench_ingest.py [--docs 2000] [--stage-docs 200] [--seed 1]

Each measurement runs in a fresh subprocess so that its peak RSS is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CONFUSION = ROOT.parent / "shared" / "data" / "ocr_confusion" / "confusion.txt"


def build_corpus(folder: Path, n: int, seed: int) -> str:
    """Write ``n`` varied newsletters made from the seeds; return a note on the OCR damage used."""
    import opencc

    from pipeline.dedup import damage, load_confusions

    rng = random.Random(seed)
    confusions = load_confusions(str(CONFUSION)) if CONFUSION.exists() else None
    note = (f"OCR damage: confusion set {CONFUSION}" if confusions else
            f"OCR damage: drops and inserted spaces only ({CONFUSION} MISSING: no character confusions)")
    s2t = opencc.OpenCC("s2t")
    seeds = [[p for p in re.split(r"\n\s*\n|\n", path.read_text(encoding="utf-8")) if p.strip()]
             for path in sorted((ROOT / "corpus").glob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = list(rng.choice(seeds))
        head, body = paras[0], paras[1:]
        rng.shuffle(body)
        # Sizes from a news item (3 paragraphs, the CCTV items average ~600 characters) to a short
        # newsletter (15 paragraphs): mean ~1,400 characters.
        body = body[: rng.randint(3, 15)]
        if rng.random() < 0.3:
            body = [damage(p, 0.05, rng, confusions) for p in body]
        text = "\n\n".join([head, *body, f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]) + "\n"
        if rng.random() < 0.25:
            text = s2t.convert(text)
        (folder / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")
    return note


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def measure_stages(corpus: Path, limit: int) -> dict:
    """Each stage alone over the first ``limit`` documents, in this process."""
    from kb.store import Store
    from pipeline import entities
    from pipeline import extract as extraction
    from pipeline.clean import clean
    from pipeline.dedup import local_dedup
    from pipeline.normalize import normalize
    from pipeline.read import read

    paths = sorted(corpus.iterdir())[:limit]
    chars = sum(len(p.read_text(encoding="utf-8")) for p in paths)
    out, docs = {}, []
    start = time.perf_counter()
    docs = [read(p) for p in paths]
    out["read"] = time.perf_counter() - start
    for name, stage in (("normalize", normalize), ("clean", clean), ("dedup (in document)", local_dedup)):
        start = time.perf_counter()
        docs = [stage(d) if d.ok else d for d in docs]
        out[name] = time.perf_counter() - start
    start = time.perf_counter()
    for d in docs:
        if d.ok:
            extraction.extract(d)
            entities.analyze.cache_clear()
    out["extract"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "kb.sqlite")
        start = time.perf_counter()
        for d in docs:
            store.save(d)
        out["store (corpus dedup, write)"] = time.perf_counter() - start
    return {"docs": len(paths), "chars": chars, "seconds": out, "rss": peak_rss_mb()}


def measure_ingest(corpus: Path, workers: int) -> dict:
    from kb.ingest import ingest
    from kb.store import Store

    paths = sorted(corpus.iterdir())
    chars = sum(len(p.read_text(encoding="utf-8")) for p in paths)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "kb.sqlite")
        start = time.perf_counter()
        report = ingest(store, [corpus], workers=workers)
        seconds = time.perf_counter() - start
    return {"docs": len(paths), "chars": chars, "seconds": seconds, "added": report.added, "failed": report.failed,
            "rss": peak_rss_mb(), "rss_workers": peak_rss_mb(children=True)}


def measure_baseline(corpus: Path, limit: int) -> dict:
    """jieba posseg alone over the raw text of the documents the stage table uses."""
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    jieba.initialize()
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.iterdir())[:limit]]
    start = time.perf_counter()
    for text in texts:
        for _ in pseg.cut(text):
            pass
    return {"docs": len(texts), "chars": sum(map(len, texts)), "seconds": time.perf_counter() - start,
            "rss": peak_rss_mb()}


def _child(args: list[str]) -> dict:
    run = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if run.returncode:
        raise SystemExit(run.stderr)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="synthetic documents (default 2000)")
    parser.add_argument("--stage-docs", type=int, default=200, help="documents for the per-stage table")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", choices=["stages", "ingest", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # a child process: one measurement, JSON out
        corpus = Path(args.corpus)
        result = {"stages": lambda: measure_stages(corpus, args.stage_docs),
                  "ingest": lambda: measure_ingest(corpus, args.workers),
                  "baseline": lambda: measure_baseline(corpus, args.stage_docs)}[args.measure]()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        note = build_corpus(corpus, args.docs, args.seed)
        print(f"synthetic corpus: {args.docs} documents, {sum(f.stat().st_size for f in corpus.iterdir()) / 2**20:.1f} MiB; {note}")
        print(f"machine: {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}\n")
        common = ["--corpus", str(corpus), "--stage-docs", str(args.stage_docs)]
        stages = _child(["--measure", "stages", *common])
        base = _child(["--measure", "baseline", *common])
        runs = {w: _child(["--measure", "ingest", "--workers", str(w), *common]) for w in (1, 2)}
    row = "{:<34}{:>8}{:>12}{:>10}{:>10}{:>26}"
    print(row.format("stage (one process)", "docs", "chars/s", "docs/s", "seconds", "peak RSS MiB"))
    for name, seconds in stages["seconds"].items():
        print(row.format(name, stages["docs"], f"{stages['chars'] / seconds:,.0f}", f"{stages['docs'] / seconds:,.1f}",
                         f"{seconds:.2f}", ""))
    total = sum(stages["seconds"].values())
    print(row.format("all stages", stages["docs"], f"{stages['chars'] / total:,.0f}", f"{stages['docs'] / total:,.1f}",
                     f"{total:.2f}", f"{stages['rss']:.0f}"))
    print()
    print(row.format("end to end (kb.ingest)", "docs", "chars/s", "docs/s", "seconds", "peak RSS MiB"))
    for workers, run in runs.items():
        rss = f"{run['rss']:.0f}" + (f" (workers: {run['rss_workers']:.0f} max)" if workers > 1 else "")
        print(row.format(f"{workers} worker{'s' if workers > 1 else ''}", run["docs"], f"{run['chars'] / run['seconds']:,.0f}",
                         f"{run['docs'] / run['seconds']:,.1f}", f"{run['seconds']:.1f}", rss))
    print(row.format("baseline: jieba posseg alone", base["docs"], f"{base['chars'] / base['seconds']:,.0f}",
                     f"{base['docs'] / base['seconds']:,.1f}", f"{base['seconds']:.1f}", f"{base['rss']:.0f}"))
    print(f"\nspeedup of 2 workers over 1: {runs[1]['seconds'] / runs[2]['seconds']:.2f}x "
          f"(failed documents: {runs[1]['failed']} / {runs[2]['failed']})")


if __name__ == "__main__":
    main()
