"""Score extracted entities, relations and metrics against hand-made gold (data/seed-gold.jsonl shape).

Both sides are lists of per-document dicts::

    {"doc": file name, "entities": [{"name", "type", "aliases"}], "relations": [{"s", "p", "o"}],
     "metrics": [{"subject", "indicator", "value", "unit", "raw"}]}

Matching rules
--------------
- Documents are paired by ``doc`` (its base name). Gold documents with no prediction count all their
  items as missed; predicted documents that have no gold are ignored.
- Names are compared after Unicode NFKC normalization (full-width brackets and digits become ASCII)
  with all whitespace removed; nothing else is folded.
- Entities: per document, the distinct (name, type) pairs on each side (aliases of repeated pairs are
  merged). A predicted entity matches a gold entity of the same type when its name or any of its
  aliases equals the gold name or any gold alias. Each gold entity is matched at most once and each
  predicted entity at most once (a maximum one-to-one matching), so two predictions that are both
  aliases of one gold entity give one hit and one false positive.
- Relations: per document, (s, p, o) triples. A gold argument is resolved to the gold entity whose
  name or alias it is; a predicted argument is expanded to its name plus the aliases the predicted
  entity list gives it (entities of any type) and resolved to every gold entity sharing one of those
  names (a gold entity whose own name is among them is preferred over ones that only share an
  alias). A predicted triple matches a gold triple with the same predicate when each predicted
  argument resolves to (among others, possibly) the gold entity of the corresponding gold argument; an
  argument no gold entity owns is compared by its name.
  COOPERATES_WITH matches either way round. Duplicates count once: triples whose arguments resolve
  to the same entities (COOPERATES_WITH in either order) are one triple, on both sides.
  Entity types are not checked for relations.
- Metrics: per document, the multiset of (value, unit); values match when they are equal within a
  relative or absolute tolerance of 1e-6, units when they are equal strings. Each gold metric is used
  once. Subject, indicator and raw text are not scored.
- P = correct / predicted, R = correct / gold, F1 their harmonic mean (0 when undefined).
  Micro totals add the counts over all documents and all types / predicates.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SYMMETRIC_PREDICATES = {"COOPERATES_WITH"}
_TOLERANCE = 1e-6


@dataclass
class Score:
    """Counts of one row of the report; precision, recall and F1 derive from them."""

    gold: int = 0
    predicted: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.correct += other.correct


@dataclass
class EvalReport:
    """Scores per entity type, per predicate, for metrics, their micro totals, and per document."""

    entity_types: dict[str, Score] = field(default_factory=dict)
    predicates: dict[str, Score] = field(default_factory=dict)
    metrics: Score = field(default_factory=Score)
    entities: Score = field(default_factory=Score)
    relations: Score = field(default_factory=Score)
    per_doc: dict[str, dict[str, Score]] = field(default_factory=dict)


# ---------------------------------------------------------------- helpers


def norm_name(name: Any) -> str:
    """The form names are compared in: NFKC, no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name or "")))


def _max_matching(n_left: int, n_right: int, edge: Callable[[int, int], bool]) -> int:
    """Size of a maximum one-to-one matching between left and right items (Kuhn's algorithm)."""
    adj = [[j for j in range(n_right) if edge(i, j)] for i in range(n_left)]
    match_right = [-1] * n_right

    def augment(i: int, seen: list[bool]) -> bool:
        for j in adj[i]:
            if not seen[j]:
                seen[j] = True
                if match_right[j] < 0 or augment(match_right[j], seen):
                    match_right[j] = i
                    return True
        return False

    return sum(1 for i in range(n_left) if augment(i, [False] * n_right))


def _matching_size(left: Sequence[Any], right: Sequence[Any], related: Callable[[Any, Any], bool]) -> int:
    """Size of a maximum one-to-one matching between two lists, an item of each related by ``related``."""
    return _max_matching(len(left), len(right), lambda i, j: related(left[i], right[j]))


def _distinct_entities(entities: Iterable[dict]) -> list[tuple[str, str, frozenset[str]]]:
    """(name, type, all names) per distinct (name, type), aliases of repeats merged."""
    merged: dict[tuple[str, str], set[str]] = {}
    for e in entities or []:
        name = norm_name(e.get("name"))
        if not name:
            continue
        key = (name, str(e.get("type") or ""))
        names = merged.setdefault(key, {name})
        names.update(norm_name(a) for a in e.get("aliases") or [] if norm_name(a))
    return [(n, t, frozenset(names)) for (n, t), names in merged.items()]


def _doc_key(d: dict) -> str:
    return os.path.basename(str(d.get("doc") or ""))


# ---------------------------------------------------------------- the three scores


def score_entities(pred: list[dict], gold: list[dict]) -> dict[str, Score]:
    """Per-type scores for one document (rules in the module docstring)."""
    p_ents, g_ents = _distinct_entities(pred), _distinct_entities(gold)
    out: dict[str, Score] = {}
    for etype in sorted({t for _, t, _ in p_ents} | {t for _, t, _ in g_ents}):
        ps = [names for _, t, names in p_ents if t == etype]
        gs = [names for _, t, names in g_ents if t == etype]
        correct = _matching_size(ps, gs, lambda p, g: bool(p & g))
        out[etype] = Score(len(gs), len(ps), correct)
    return out


def _gold_resolver(gold_entities: list[dict]) -> Callable[[str], frozenset]:
    """Map a gold relation argument to the gold entity it names (or to the literal name)."""
    ents = _distinct_entities(gold_entities)

    def resolve(name: str) -> frozenset:
        n = norm_name(name)
        exact = [i for i, (en, _, _) in enumerate(ents) if en == n]
        if exact:
            return frozenset(("ent", i) for i in exact[:1])
        by_alias = [i for i, (_, _, names) in enumerate(ents) if n in names]
        return frozenset(("ent", i) for i in by_alias[:1]) or frozenset([("lit", n)])

    return resolve


def _pred_resolver(pred_entities: list[dict], gold_entities: list[dict]) -> Callable[[str], frozenset]:
    """Map a predicted argument to the gold entities it names (or to the literal name).

    The argument's names are those of the predicted entity it is the name of (else of the entities it
    is an alias of); a gold entity whose own name is among them wins over gold entities that merely
    share an alias (two districts' 区社会工作党委 stay apart).
    """
    g_ents = _distinct_entities(gold_entities)
    p_ents = _distinct_entities(pred_entities)

    def resolve(name: str) -> frozenset:
        n = norm_name(name)
        own = [names for en, _, names in p_ents if en == n] or [names for _, _, names in p_ents if n in names]
        names = set().union(*own) | {n} if own else {n}
        hits = frozenset(("ent", i) for i, (gn, _, _) in enumerate(g_ents) if gn in names)
        if not hits:
            hits = frozenset(("ent", i) for i, (_, _, gnames) in enumerate(g_ents) if names & gnames)
        return hits or frozenset([("lit", n)])

    return resolve


def _distinct_triples(relations: Iterable[dict] | None, resolve: Callable[[str], frozenset]) -> list[tuple]:
    seen, out = set(), []
    for r in relations or []:
        p = str(r.get("p") or r.get("predicate") or "")
        s = resolve(r.get("s", r.get("subject", "")))
        o = resolve(r.get("o", r.get("object", "")))
        key = (frozenset([s, o]), p) if p in SYMMETRIC_PREDICATES else (s, p, o)
        if key not in seen:
            seen.add(key)
            out.append((s, p, o))
    return out


def score_relations(pred_doc: dict, gold_doc: dict) -> dict[str, Score]:
    """Per-predicate scores for one document (rules in the module docstring)."""
    gold_trip = _distinct_triples(gold_doc.get("relations"), _gold_resolver(gold_doc.get("entities") or []))
    pred_trip = _distinct_triples(
        pred_doc.get("relations"), _pred_resolver(pred_doc.get("entities") or [], gold_doc.get("entities") or [])
    )

    def same(pt: tuple, gt: tuple) -> bool:
        (ps, pp, po), (gs, gp, go) = pt, gt
        if pp != gp:
            return False
        # a gold argument resolves to exactly one entity (or literal); the prediction must cover it
        if gs <= ps and go <= po:
            return True
        return pp in SYMMETRIC_PREDICATES and gs <= po and go <= ps

    out: dict[str, Score] = {}
    for pred_name in sorted({t[1] for t in gold_trip} | {t[1] for t in pred_trip}):
        ps = [t for t in pred_trip if t[1] == pred_name]
        gs = [t for t in gold_trip if t[1] == pred_name]
        correct = _matching_size(ps, gs, same)
        out[pred_name] = Score(len(gs), len(ps), correct)
    return out


def _value(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def score_metrics(pred: list[dict], gold: list[dict]) -> Score:
    """Multiset match of (value, unit) for one document (rules in the module docstring)."""
    pv = [(_value(m.get("value")), str(m.get("unit") or "")) for m in pred or []]
    gv = [(_value(m.get("value")), str(m.get("unit") or "")) for m in gold or []]

    def same(i: int, j: int) -> bool:
        (a, ua), (b, ub) = pv[i], gv[j]
        return (
            a is not None and b is not None and ua == ub and math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)
        )

    return Score(len(gv), len(pv), _max_matching(len(pv), len(gv), same))


# ---------------------------------------------------------------- public API


def evaluate(predicted: list[dict], gold: list[dict]) -> EvalReport:
    """Score predicted documents against gold documents (both in the seed-gold.jsonl shape)."""
    report = EvalReport()
    by_doc = {_doc_key(d): d for d in predicted}
    for g in gold:
        key = _doc_key(g)
        p = by_doc.get(key, {"doc": key})
        doc_scores = {"entities": Score(), "relations": Score(), "metrics": Score()}
        for etype, sc in score_entities(p.get("entities") or [], g.get("entities") or []).items():
            report.entity_types.setdefault(etype, Score()).add(sc)
            doc_scores["entities"].add(sc)
        for pred_name, sc in score_relations(p, g).items():
            report.predicates.setdefault(pred_name, Score()).add(sc)
            doc_scores["relations"].add(sc)
        msc = score_metrics(p.get("metrics") or [], g.get("metrics") or [])
        report.metrics.add(msc)
        doc_scores["metrics"].add(msc)
        report.entities.add(doc_scores["entities"])
        report.relations.add(doc_scores["relations"])
        report.per_doc[key] = doc_scores
    return report


def format_report(report: EvalReport) -> str:
    """A plain-text table: rows per entity type, per predicate, metrics, and micro totals."""
    header = f"{'row':<28}{'gold':>7}{'pred':>7}{'correct':>9}{'P':>8}{'R':>8}{'F1':>8}"
    lines = [header, "-" * len(header)]

    def row(label: str, s: Score) -> None:
        lines.append(
            f"{label:<28}{s.gold:>7}{s.predicted:>7}{s.correct:>9}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
        )

    for etype in sorted(report.entity_types):
        row(f"entity {etype}", report.entity_types[etype])
    lines.append("")
    for pred_name in sorted(report.predicates):
        row(f"relation {pred_name}", report.predicates[pred_name])
    lines.append("")
    row("metrics", report.metrics)
    lines.append("-" * len(header))
    row("ENTITIES (micro)", report.entities)
    row("RELATIONS (micro)", report.relations)
    row("METRICS (micro)", report.metrics)
    return "\n".join(lines)


class GoldFileError(ValueError):
    """A gold file that cannot be read: the message names the file and the line."""


def load_gold(path: str | os.PathLike[str]) -> list[dict]:
    """Read a JSON-lines gold (or prediction) file: one document dict per non-empty line.

    Raises :class:`GoldFileError` naming the file and line of the first bad record.
    """
    records = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise GoldFileError(
                        f"{path}:{lineno}: not a JSON record ({exc.msg} at column {exc.colno})"
                    ) from exc
                if not isinstance(record, dict) or "doc" not in record:
                    raise GoldFileError(f'{path}:{lineno}: a record must be a JSON object with a "doc" field')
                records.append(record)
    except UnicodeDecodeError as exc:
        raise GoldFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return records


def prediction_from_document(doc: Any) -> dict:
    """A pipeline Document as a prediction dict: canonical entity names with their surface forms as aliases."""
    names: dict[tuple[str, str], set[str]] = {}
    for sp in getattr(doc, "entities", []) or []:
        names.setdefault((sp.name or sp.text, sp.type), set()).add(sp.text)
    return {
        "doc": os.path.basename(str(getattr(doc, "source", ""))),
        "entities": [{"name": n, "type": t, "aliases": sorted(a - {n})} for (n, t), a in names.items()],
        "relations": [{"s": r.subject, "p": r.predicate, "o": r.object} for r in getattr(doc, "relations", [])],
        "metrics": [
            {
                "subject": m.subject or m.subject_text,
                "indicator": m.indicator,
                "value": m.value,
                "unit": m.unit,
                "raw": m.raw,
            }
            for m in getattr(doc, "metrics", [])
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """python -m kb.evaluate PREDICTED.jsonl GOLD.jsonl — print the report."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m kb.evaluate PREDICTED.jsonl GOLD.jsonl", file=sys.stderr)
        return 2
    print(format_report(evaluate(load_gold(args[0]), load_gold(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
