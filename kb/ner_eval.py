"""Rules only, model only, merged: the entity systems side by side (``kb eval --compare``, ``make eval``).

"merged" is the default extraction stage (rules, then model spans by ``model_layer.ModelLayer``);
"merged @0.85" applies the in-domain confidence threshold to every document, to show what the
domain-dependent threshold is worth outside the newsletters.

Three test sets:

* the seed gold (``kb.evaluate``: entity and relation F1 through the whole pipeline);
* CLUENER2020 dev, our types mapped back (``pipeline.training.ner_data.OURS_TO_CLUENER``), scored on the four
  labels the issue names (company, government, organization, name): per-label F1 and their average,
  the number the CLUENER paper's BiLSTM-CRF reaches 74.9 on;
* MSRA test (PER/LOC/ORG), micro F1;
* CCTV held-out: the in-domain news items never trained on (``pipeline.training.ner_data.is_held_out``), with the
  hand-corrected labels of ``models/ner/cctv_annotations.jsonl``, in our own types, micro F1 over the
  model's types (INDUSTRY, which only the rules find, is not annotated there).

Spans match on exact boundaries and label. Each CLUENER or MSRA sentence is one document; each CCTV item
is one document (both passes), scored sentence by sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.extract import entities
from pipeline.extract.entities.crf import recognize_document
from pipeline.extract.entities.model_layer import MODEL_MIN_CONFIDENCE, ModelLayer
from pipeline.ner_model import ModelRecognizer
from pipeline.training.ner_data import (
    ANNOTATIONS,
    CCTV_ITEMS,
    CLUENER_EVAL_LABELS,
    MODEL_TYPES,
    OURS_TO_CLUENER,
    OURS_TO_MSRA,
    Sentence,
    cctv_items,
    in_domain_sentences,
    is_held_out,
    load_annotations,
    read_bio,
    read_cluener,
    silver_sentences,
)

SYSTEMS = ("rules only", "model only", "merged", "merged @0.85")


@dataclass
class LabelScores:
    """Counts per label; precision, recall and F1 per label, micro over all and macro over chosen labels."""

    gold: dict[str, int] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    correct: dict[str, int] = field(default_factory=dict)

    def add(self, pred: set[tuple[int, int, str]], gold: set[tuple[int, int, str]]) -> None:
        for _, _, label in gold:
            self.gold[label] = self.gold.get(label, 0) + 1
        for _, _, label in pred:
            self.predicted[label] = self.predicted.get(label, 0) + 1
        for _, _, label in pred & gold:
            self.correct[label] = self.correct.get(label, 0) + 1

    def prf(self, label: str | None = None) -> tuple[float, float, float]:
        if label is None:
            g, p, c = sum(self.gold.values()), sum(self.predicted.values()), sum(self.correct.values())
        else:
            g, p, c = self.gold.get(label, 0), self.predicted.get(label, 0), self.correct.get(label, 0)
        precision = c / p if p else 0.0
        recall = c / g if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    def macro_f1(self, labels: tuple[str, ...]) -> float:
        return sum(self.prf(label)[2] for label in labels) / len(labels)


def system_layers(model: ModelRecognizer) -> dict[str, list]:
    """The systems as layer lists: the rules; the model with every span it finds; the default merge
    (``model_layer.ModelLayer``: thresholds by domain); and, for comparison, the merge with the
    in-domain threshold everywhere."""
    return {
        "rules only": list(entities.RULE_RECOGNIZERS),
        "model only": [model],
        "merged": [*entities.RULE_RECOGNIZERS, ModelLayer(model)],
        "merged @0.85": [*entities.RULE_RECOGNIZERS, ModelLayer(model, MODEL_MIN_CONFIDENCE, MODEL_MIN_CONFIDENCE)],
    }


def score_sentences(
    sentences: list[Sentence], mapping: dict[str, str], layers: list, progress: Callable[[int], None] | None = None
) -> LabelScores:
    """Tag every sentence (as its own document) with ``layers`` and score against its gold spans."""
    scores = LabelScores()
    texts = [s.text for s in sentences]
    for layer in layers:
        if hasattr(layer, "prepare"):
            layer.prepare(texts)
    with entities.using_layers(layers):
        for i, (sent, text) in enumerate(zip(sentences, texts, strict=False)):
            spans = recognize_document([text])[0] if text.strip() else []
            pred = {(s.start, s.end, mapping[s.type]) for s in spans if s.type in mapping}
            scores.add(pred, set(sent.spans))
            if progress:
                progress(i)
    return scores


def load_cluener_dev(data_dir: Path) -> list[Sentence]:
    """CLUENER2020 dev with CLUENER's own labels."""
    return read_cluener(data_dir / "cluener2020" / "dev.jsonl", "cluener-dev", ours=False)


def load_msra_test(data_dir: Path) -> list[Sentence]:
    """MSRA test with its own PER/LOC/ORG labels."""
    return read_bio(data_dir / "msra_ner" / "msra_test_bio", "msra-test", sep="\t", ours=False)


def compare_on_corpora(data_dir: Path, limit: int = 0) -> dict[str, dict[str, dict]]:
    """CCTV held-out, CLUENER dev and MSRA test scores for each system: ``{corpus: {system: scores}}``.

    A corpus whose file is missing is reported as ``{"missing": path}``.
    """
    model = ModelRecognizer(cache_size=1 << 20)
    results: dict[str, dict[str, dict]] = {"CCTV held-out": compare_in_domain(data_dir, model=model)}
    corpora = [
        ("CLUENER dev", data_dir / "cluener2020" / "dev.jsonl", load_cluener_dev, OURS_TO_CLUENER),
        ("MSRA test", data_dir / "msra_ner" / "msra_test_bio", load_msra_test, OURS_TO_MSRA),
    ]
    for name, path, loader, mapping in corpora:
        if not path.is_file():
            results[name] = {"missing": {"path": str(path)}}
            continue
        sentences = loader(data_dir)
        if limit:
            sentences = sentences[:limit]
        labels = CLUENER_EVAL_LABELS if mapping is OURS_TO_CLUENER else ("PER", "LOC", "ORG")
        results[name] = {}
        for system, layers in system_layers(model).items():
            scores = score_sentences(sentences, mapping, layers)
            p, r, f = scores.prf()
            results[name][system] = {
                "sentences": len(sentences),
                "micro_precision": round(p, 4),
                "micro_recall": round(r, 4),
                "micro_f1": round(f, 4),
                "macro_f1": round(scores.macro_f1(labels), 4),
                "labels": {label: round(scores.prf(label)[2], 4) for label in labels},
            }
    return results


def compare_in_domain(
    data_dir: Path, annotations: dict | None = None, model: ModelRecognizer | None = None
) -> dict[str, dict]:
    """Scores on the held-out CCTV items' hand-corrected sentences for each system, in our types.

    Returns ``{"missing": {...}}`` when the items or the annotations are not there."""
    annotations = load_annotations() if annotations is None else annotations
    items = [item for item in cctv_items(data_dir) if is_held_out(item[0])]
    if not items or not annotations:
        return {"missing": {"path": str(data_dir / CCTV_ITEMS) if not items else str(ANNOTATIONS)}}
    gold = [in_domain_sentences([item], annotations) for item in items]
    out = {}
    for system, layers in system_layers(model or ModelRecognizer(cache_size=1 << 20)).items():
        scores = LabelScores()
        for item, gold_sents in zip(items, gold, strict=False):
            predicted = silver_sentences([item[2]], layers=layers)
            for g, p in zip(gold_sents, predicted, strict=False):
                if g.source == "cctv-gold" and g.text == p.text:
                    scores.add(set(p.spans), set(g.spans))
        precision, recall, f1 = scores.prf()
        out[system] = {
            "sentences": sum(g.source == "cctv-gold" for sents in gold for g in sents),
            "micro_precision": round(precision, 4),
            "micro_recall": round(recall, 4),
            "micro_f1": round(f1, 4),
            "macro_f1": round(scores.macro_f1(MODEL_TYPES), 4),
            "labels": {label: round(scores.prf(label)[2], 4) for label in MODEL_TYPES},
        }
    return out


def compare_on_gold(gold_path: str | Path, corpus: str | Path) -> dict[str, dict[str, float]]:
    """Seed-gold entity and relation F1 for each system, each through the whole pipeline."""
    from .evaluate import evaluate, load_gold
    from .extraction import _predict_corpus, report_dict

    gold = load_gold(str(gold_path))
    out = {}
    for system, layers in system_layers(ModelRecognizer()).items():
        with entities.using_layers(layers):
            report = report_dict(evaluate(_predict_corpus(corpus), gold))
        out[system] = {
            "entity_f1": report["entities"]["f1"],
            "entity_precision": report["entities"]["precision"],
            "entity_recall": report["entities"]["recall"],
            "relation_f1": report["relations"]["f1"],
        }
    return out


def format_comparison(gold: dict[str, dict[str, float]], corpora: dict[str, dict[str, dict]]) -> str:
    """One table: a row per system, columns for the seed gold, the CCTV held-out items, CLUENER dev and
    MSRA test; then per-label F1 for each corpus."""
    lines = [
        f"{'system':<13}{'seed ent P/R/F1':>22}{'seed rel F1':>13}{'CCTV held-out P/R/F1':>23}"
        f"{'CLUENER 4-label avg':>21}{'CLUENER micro':>15}{'MSRA micro':>12}"
    ]
    cl, ms, tv = corpora.get("CLUENER dev", {}), corpora.get("MSRA test", {}), corpora.get("CCTV held-out", {})
    for system in SYSTEMS:
        g = gold.get(system, {})
        if not g and system not in cl and system not in ms and system not in tv:
            continue
        seed = f"{g['entity_precision']:.3f}/{g['entity_recall']:.3f}/{g['entity_f1']:.3f}" if g else "-"
        rel = f"{g['relation_f1']:.3f}" if g else "-"
        c, m, t = cl.get(system), ms.get(system), tv.get(system)
        cctv = f"{t['micro_precision']:.3f}/{t['micro_recall']:.3f}/{t['micro_f1']:.3f}" if t else "-"
        cl_macro = f"{100 * c['macro_f1']:.1f}" if c else "-"
        cl_micro = f"{100 * c['micro_f1']:.1f}" if c else "-"
        ms_micro = f"{100 * m['micro_f1']:.1f}" if m else "-"
        lines.append(f"{system:<13}{seed:>22}{rel:>13}{cctv:>23}{cl_macro:>21}{cl_micro:>15}{ms_micro:>12}")
    for name, by_system in corpora.items():
        if "missing" in by_system:
            lines.append(f"note: {name} not scored: {by_system['missing']['path']} is missing")
        else:
            lines.append(f"\n{name} per label F1 ({by_system['merged']['sentences']} sentences):")
            labels = list(by_system["merged"]["labels"])
            lines.append(f"{'system':<13}" + "".join(f"{label:>14}" for label in labels))
            for system in SYSTEMS:
                lines.append(
                    f"{system:<13}" + "".join(f"{100 * by_system[system]['labels'][label]:>14.1f}" for label in labels)
                )
    lines.append(
        "\nreference: CLUENER2020 paper BiLSTM-CRF, average of company/government/organization/name = 74.9 (test set)"
    )
    return "\n".join(lines)
