"""Extraction as a service for the CLI: ``kb extract`` (no store) and ``kb eval`` (fresh store vs gold)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.document import Document
from pipeline.extract import extraction_texts
from pipeline.extract.entities import prepare_recognizers
from pipeline.extract.entities.known import KnownEntities
from pipeline.relative_names import is_relative_name
from pipeline.stages import STAGES, run_stages, stages_until

from .evaluate import evaluate, format_report, load_gold
from .ingest import ingest, read_guarded
from .store import Store


def extract_text(text: str, source: str = "<text>") -> dict[str, Any]:
    """Run every stage on one raw text and return what was found, with offsets into the cleaned text.

    The text goes through the checks ``kb ingest`` makes (``read_guarded``: size, HTML nesting,
    length), so an input that ingest refuses at once is refused here at once too, for the same
    reason; ``source`` names it (a ``.html`` name makes it HTML, as in ingest).
    """
    return extract_texts([text], source=source)[0]


def extract_texts(texts: list[str], source: str = "<text>") -> list[dict[str, Any]]:
    """:func:`extract_text` over many short texts (``kb extract --lines``), each its own document.

    The entity model reads the paragraphs of all of them in one batch first (a model call per
    one-line document cost more than the line's work). The result per text is that of one call
    each except, rarely, where a model confidence sits at a threshold: the BiLSTM's arithmetic
    differs in the last float digits with the batch it runs in (300 pool items batched 32 documents
    at a time instead of one: one confidence moved in its fourth decimal), which is why ``kb ingest``
    batches per document.
    """
    before = stages_until("extract")  # the model reads every text's paragraphs in one batch in between
    rest = STAGES[len(before) :]
    docs = [run_stages(read_guarded(source, raw=text.encode("utf-8")), before) for text in texts]
    prepare_recognizers([piece for doc in docs if doc.ok for piece in extraction_texts(doc)])
    docs = [run_stages(doc, rest) for doc in docs]
    return [
        _result(doc) if doc.ok else {"text": "", "error": doc.error, "entities": [], "relations": [], "metrics": []}
        for doc in docs
    ]


def _result(doc: Document) -> dict[str, Any]:
    base, at = {}, 0
    for para in doc.paragraphs:
        base[para.idx] = at
        at += len(para.text) + 1
    entities = [
        {
            "start": base[s.paragraph_idx] + s.start,
            "end": base[s.paragraph_idx] + s.end,
            "text": s.text,
            "type": s.type,
            "name": s.name,
        }
        for s in doc.entities
        if s.paragraph_idx in base
    ]
    relations = [
        {
            "subject": r.subject,
            "predicate": r.predicate,
            "object": r.object,
            "evidence": r.evidence,
            "confidence": r.confidence,
            **({"attrs": r.attrs} if r.attrs else {}),
        }
        for r in doc.relations
    ]
    metrics = []
    for metric in doc.metrics:
        row = {k: v for k, v in asdict(metric).items() if k != "paragraph_idx"}
        if metric.start >= 0 and metric.paragraph_idx in base:
            row["start"], row["end"] = (
                base[metric.paragraph_idx] + metric.start,
                base[metric.paragraph_idx] + metric.end,
            )
        metrics.append(row)
    return {
        "text": doc.body_text,
        "title": doc.title,
        "date": doc.date,
        "entities": entities,
        "relations": relations,
        "metrics": metrics,
    }


def evaluate_corpus(gold_path: str | Path, corpus: str | Path) -> tuple[dict[str, Any], str]:
    """Ingest ``corpus`` into a fresh temporary database and score it against the gold file."""
    gold = load_gold(str(gold_path))
    report = evaluate(_predict_corpus(corpus), gold)
    return report_dict(report), format_report(report)


def layer_contributions(gold_path: str | Path, corpus: str | Path) -> list[tuple[str, dict[str, float]]]:
    """Entity and relation micro scores with all recognizer layers, each layer alone, and each left out."""
    from pipeline.extract import entities

    gold = load_gold(str(gold_path))
    layers = list(entities.RECOGNIZERS)
    runs = [("all layers", layers)]
    runs += [(f"only {layer.name}", [layer]) for layer in layers]
    runs += [(f"without {layer.name}", [other for other in layers if other is not layer]) for layer in layers]
    rows = []
    for label, chosen in runs:
        with entities.using_layers(chosen):
            report = report_dict(evaluate(_predict_corpus(corpus), gold))
        rows.append((label, {"entities": report["entities"]["f1"], "relations": report["relations"]["f1"]}))
    return rows


def _predict_corpus(corpus: str | Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "eval.sqlite")
        ingest(store, [corpus])
        ids = [row[0] for row in store.db.execute("select id from documents where status = 'ok' order by id")]
        predicted = [store.document_facts(doc_id) for doc_id in ids]
        store.db.close()
    return predicted


def report_dict(report) -> dict[str, Any]:
    """An EvalReport as plain data: counts, precision, recall and F1 for every row."""
    score = report_dict_score
    return {
        "entities": score(report.entities),
        "relations": score(report.relations),
        "metrics": score(report.metrics),
        "entity_types": {k: score(v) for k, v in sorted(report.entity_types.items())},
        "predicates": {k: score(v) for k, v in sorted(report.predicates.items())},
    }


def evaluate_annotated(split: str, pool: Path | None = None, limit: int = 0) -> tuple[dict[str, Any], str]:
    """Score the pipeline on one split of the project's annotated CCTV items (models/annotations).

    Each item (title + text, from the pool in ../shared/data) is ingested as its own document into
    a fresh database, as ``kb eval`` does with the seeds, and scored with the same matching.
    Raises :class:`pipeline.annotations.PoolMissing` when the pool is not there.
    """
    from pipeline import annotations

    gold = sorted(annotations.split_records(split).values(), key=lambda r: r["doc"])
    if limit:
        gold = gold[:limit]
    texts = annotations.pool_texts([r["doc"] for r in gold], **({"pool": pool} if pool else {}))
    with tempfile.TemporaryDirectory() as tmp:
        for doc_id, text in texts.items():
            (Path(tmp) / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        predicted = _predict_corpus(tmp)
    for record in predicted:
        record["doc"] = Path(record["doc"]).stem
    report = evaluate(predicted, gold)
    return report_dict(report), format_report(report)


def evaluate_annotated_metrics(
    split: str, pool: Path | None = None, limit: int = 0, docs: list[str] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Score the metric stage alone on one split of the annotated CCTV items: fast (no recognizers).

    Each item goes through the stages ingest runs before extraction (read with ingest's checks,
    normalize, clean, dedup inside the document), then :func:`pipeline.extract.extract_metrics_only`,
    and is scored with :func:`kb.evaluate.score_metrics`. Paragraphs another item repeats are not
    skipped, as each item is scored on its own. Returns the metric score (gold, predicted, correct,
    P, R, F1) and one row per document with errors: ``missed`` gold and ``wrong`` predicted
    metrics as (value, unit, raw). ``docs`` restricts the split to those ids.
    Raises :class:`pipeline.annotations.PoolMissing` when the pool is not there.
    """
    from pipeline import annotations
    from pipeline.dedup import local_dedup
    from pipeline.extract import extract_metrics_only

    from .evaluate import Score, score_metrics

    gold = sorted(annotations.split_records(split).values(), key=lambda r: r["doc"])
    if docs:
        gold = [r for r in gold if r["doc"] in set(docs)]
    if limit:
        gold = gold[:limit]
    texts = annotations.pool_texts([r["doc"] for r in gold], **({"pool": pool} if pool else {}))
    total, errors = Score(), []
    for record in gold:
        doc = run_stages(read_guarded(f"{record['doc']}.txt", raw=texts.get(record["doc"], "").encode("utf-8")))
        if doc.ok:
            doc = run_stages(doc, [("dedup", local_dedup), ("extract", extract_metrics_only)])
        pred = [{"value": m.value, "unit": m.unit, "raw": m.raw} for m in doc.metrics] if doc.ok else []
        gmet = record.get("metrics") or []
        score = score_metrics(pred, gmet)
        total.add(score)
        missed, wrong = _unmatched(gmet, pred), _unmatched(pred, gmet)
        if missed or wrong:
            errors.append({"doc": record["doc"], "missed": missed, "wrong": wrong})
    return {"documents": len(gold), **report_dict_score(total)}, errors


def report_dict_score(s) -> dict[str, float]:
    """One Score as plain data (counts, precision, recall, F1)."""
    return {
        "gold": s.gold,
        "predicted": s.predicted,
        "correct": s.correct,
        "precision": round(s.precision, 4),
        "recall": round(s.recall, 4),
        "f1": round(s.f1, 4),
    }


def _unmatched(these: list[dict], others: list[dict]) -> list[tuple[float | None, str, str]]:
    """(value, unit, raw) of the metrics in ``these`` left over after matching ``others`` (multisets)."""
    from .evaluate import score_metrics

    left = list(others)
    out = []
    for m in these:
        hit = next((i for i, o in enumerate(left) if score_metrics([m], [o]).correct), None)
        if hit is None:
            out.append((m.get("value"), str(m.get("unit") or ""), str(m.get("raw") or "")))
        else:
            left.pop(hit)
    return out


def format_metric_errors(score: dict[str, Any], errors: list[dict[str, Any]], split: str) -> str:
    """The metric score and, per document, the gold metrics missed and the predicted ones wrong."""
    lines = [
        (
            f"metrics on the {split} split ({score['documents']} documents): gold {score['gold']}, "
            f"predicted {score['predicted']}, correct {score['correct']}; "
            f"P {score['precision']:.3f} R {score['recall']:.3f} F1 {score['f1']:.3f}"
        )
    ]
    for row in errors:
        lines.append(f"\n{row['doc']}")
        lines += [f"  missed {v!r:>14} {u or '-':<6} {raw}" for v, u, raw in row["missed"]]
        lines += [f"  wrong  {v!r:>14} {u or '-':<6} {raw}" for v, u, raw in row["wrong"]]
    return "\n".join(lines)


# The systems make eval compares on the annotated split, as environment settings (they reach the
# worker processes): the rules alone (no HanLP model, no CRF), the learned CRF alone, and what ships
# (for news, the default genre, and for newsletters).
SYSTEMS: dict[str, dict[str, str]] = {
    "rules only": {"KB_ENTITY_CRF": "off", "KB_NER_MODEL": "off", "KB_RELATIONS": "rules"},
    "learned only": {"KB_ENTITY_CRF": "learned-only", "KB_RELATIONS": "model"},
    "shipped": {"KB_GENRE": "news"},
    # what ships, for newsletters (kb ingest --genre newsletter)
    "shipped, newsletter genre": {"KB_GENRE": "newsletter"},
}


def evaluate_systems(split: str, systems: list[str] | None = None, limit: int = 0) -> dict[str, dict[str, Any]]:
    """``evaluate_annotated`` for each system of :data:`SYSTEMS` (names in order); report dicts by name."""
    import os

    reports = {}
    for name in systems or list(SYSTEMS):
        saved = {key: os.environ.get(key) for key in SYSTEMS[name]}
        os.environ.update(SYSTEMS[name])
        try:
            reports[name] = evaluate_annotated(split, limit=limit)[0]
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return reports


def _table_row(table: str, key: str) -> Callable[[dict], dict | None]:
    """A report's scores for ``key`` in its per-type or per-predicate ``table`` (None where it has none)."""
    return lambda report: report[table].get(key)


def format_systems(reports: dict[str, dict[str, Any]]) -> str:
    """Systems side by side: P/R/F1 per entity type, per predicate, metrics and micro totals."""
    names = list(reports)
    first = reports[names[0]]
    rows: list[tuple[str, Callable[[dict], dict | None]]] = [
        ("entity " + t, _table_row("entity_types", t)) for t in first["entity_types"]
    ]
    rows += [("relation " + p, _table_row("predicates", p)) for p in first["predicates"]]
    rows += [
        ("METRICS", lambda r: r["metrics"]),
        ("ENTITIES (micro)", lambda r: r["entities"]),
        ("RELATIONS (micro)", lambda r: r["relations"]),
    ]
    header = f"{'row':<28}{'gold':>6}" + "".join(f"{n[:20]:>22}" for n in names)
    lines = [header, f"{'':<34}" + "".join(f"{'P     R     F1':>22}" for _ in names), "-" * len(header)]
    for label, get in rows:
        cells = []
        for n in names:
            score = get(reports[n]) or {"precision": 0, "recall": 0, "f1": 0}
            cells.append(f"{score['precision']:>8.3f}{score['recall']:>7.3f}{score['f1']:>7.3f}")
        gold = (get(first) or {}).get("gold", 0)
        lines.append(f"{label:<28}{gold:>6}" + "".join(cells))
    return "\n".join(lines)


def known_entities(store: Store) -> KnownEntities:
    """Every stored name and alias as :class:`KnownEntities` (for tools; ingest does not feed them to
    extraction).

    Ingest extracts each document on its own so that the knowledge base does not depend on
    the order documents arrive in (see kb/ingest.py). Relative names (区委组织部, 工业区) are
    left out as aliases: they mean a different body in an article about another district.
    """
    known = KnownEntities()
    for name, type_ in store.db.execute("select name, type from entities where local_to is null"):
        known.add(name, type_)
    for alias, name, type_ in store.db.execute(
        "select a.alias, e.name, e.type from aliases a join entities e on e.id = a.entity_id where e.local_to is null"
    ):
        if not is_relative_name(alias):
            known.add(name, type_, [alias])
    return known
