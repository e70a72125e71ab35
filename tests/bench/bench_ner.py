"""NER speed benchmark (``make bench-ner``, part of ``make bench``; not collected by pytest).

Prints characters per second and peak RSS for:

* the model alone (``ModelRecognizer``), batched over all paragraphs, and one paragraph at a time;
* the whole extraction stage (entities, resolution, relations, metrics) with rules + model (the
  default) and with the rules only.

The text is the bundled seeds plus, when ../shared/data is beside the project, the 80 in-domain CCTV
items, each read through the normalize/clean stages first. Each measurement runs in a fresh
subprocess so that its peak RSS is its own; torch uses every core (2 on the project's machines).

    python tests/bench/bench_ner.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CCTV = ROOT.parent / "shared" / "data" / "cctv_xwlb_domain_subset" / "dev.jsonl"


def documents():
    """Prepared documents: the seeds, then the CCTV items when present."""
    from pipeline.stages import prepare, prepare_text

    docs = [prepare(p) for p in sorted((ROOT / "corpus").glob("*.txt"))]
    if CCTV.is_file():
        docs += [
            prepare_text(json.loads(line)["text"], source="cctv")
            for line in CCTV.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    return [d for d in docs if d.ok]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, repeat: int) -> dict:
    import torch

    from pipeline.extract import entities, extract
    from pipeline.extract.entities import tokens
    from pipeline.ner_model import ModelRecognizer

    docs = documents()
    paragraphs = [p.text for d in docs for p in d.paragraphs]
    chars = sum(map(len, paragraphs))
    best = float("inf")
    for _ in range(repeat):
        if kind.startswith("model"):
            model = ModelRecognizer(cache_size=1 << 20)
            model("预热。")  # load outside the timing
            start = time.perf_counter()
            if kind == "model-batched":
                model.prepare(paragraphs)
            else:
                for text in paragraphs:
                    model(text)
            best = min(best, time.perf_counter() - start)
        else:
            layers = list(entities.RULE_RECOGNIZERS) if kind == "extract-rules" else list(entities.RECOGNIZERS)
            saved = list(entities.RECOGNIZERS)
            entities.RECOGNIZERS[:] = layers
            fresh = documents()
            if entities.MODEL_RECOGNIZER in layers:
                entities.MODEL_RECOGNIZER.model._cache.clear()
                _ = entities.MODEL_RECOGNIZER.model.component  # load the model outside the timing
            start = time.perf_counter()
            for d in fresh:
                extract(d)
                tokens.forget_analyses()
            best = min(best, time.perf_counter() - start)
            entities.RECOGNIZERS[:] = saved
    return {
        "kind": kind,
        "docs": len(docs),
        "paragraphs": len(paragraphs),
        "chars": chars,
        "seconds": best,
        "threads": torch.get_num_threads(),
        "rss": peak_rss_mb(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return
    if not CCTV.is_file():
        print(f"note: {CCTV} is missing; measuring on the bundled seeds only")
    rows = []
    for kind, label in (
        ("model-batched", "model alone, batched"),
        ("model-single", "model alone, per paragraph"),
        ("extract-merged", "extraction stage, rules + model"),
        ("extract-rules", "extraction stage, rules only"),
    ):
        run = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if run.returncode:
            raise SystemExit(run.stderr)
        rows.append((label, json.loads(run.stdout.strip().splitlines()[-1])))
    first = rows[0][1]
    print(
        f"text: {first['docs']} documents, {first['paragraphs']} paragraphs, {first['chars']:,} characters; "
        f"torch threads {first['threads']}; best of {args.repeat}"
    )
    print(f"{'measurement':<34}{'seconds':>9}{'chars/s':>10}{'peak RSS MB':>13}")
    for label, r in rows:
        print(f"{label:<34}{r['seconds']:>9.2f}{r['chars'] / r['seconds']:>10,.0f}{r['rss']:>13.0f}")


if __name__ == "__main__":
    main()
