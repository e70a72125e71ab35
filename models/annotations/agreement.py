"""Inter-annotator agreement: one annotator's records scored against another's, both ways.

Run: ``python models/annotations/agreement.py models/annotations/double models/annotations/cctv``.
Pairs the records of the two folders by ``doc`` (only documents in both) and prints entity,
relation and metric F1 of the first against the second with the project's scorer
(:mod:`kb.evaluate`, the same matching as ``make eval``). F1 is symmetric, so one table says it all;
the per-type rows show where annotators differ most.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from kb.evaluate import evaluate, format_report
from pipeline.annotations import load_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args()
    first, second = load_records(args.first), load_records(args.second)
    shared = sorted(set(first) & set(second))
    if not shared:
        raise SystemExit("no document is annotated in both folders")
    report = evaluate([first[d] for d in shared], [second[d] for d in shared])
    print(f"{len(shared)} documents annotated twice ({args.first} scored against {args.second})\n")
    print(format_report(report))


if __name__ == "__main__":
    main()
