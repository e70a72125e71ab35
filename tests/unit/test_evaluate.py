"""kb.evaluate: the matching rules on small hand-made documents, and the gold scored against itself."""

from __future__ import annotations

import pytest

from kb.evaluate import EvalReport, evaluate, format_report, load_gold
from tests.conftest import DATA


def doc(name="a.txt", entities=(), relations=(), metrics=()):
    return {"doc": name, "entities": list(entities), "relations": list(relations), "metrics": list(metrics)}


def ent(name, etype, *aliases):
    return {"name": name, "type": etype, "aliases": list(aliases)}


def rel(s, p, o):
    return {"s": s, "p": p, "o": o}


def met(value, unit):
    return {"subject": "", "indicator": "", "value": value, "unit": unit, "raw": ""}


GOLD = doc(
    entities=[
        ent("金山工业区", "ZONE", "工业区"),
        ent("亭林镇", "REGION"),
        ent("金山区", "REGION"),
        ent("汉瑞普泽公司", "ENTERPRISE", "汉瑞普泽"),
        ent("本优公司", "ENTERPRISE"),
    ],
    relations=[
        rel("亭林镇", "LOCATED_IN", "金山区"),
        rel("汉瑞普泽公司", "COOPERATES_WITH", "本优公司"),
        rel("汉瑞普泽公司", "LOCATED_IN", "亭林镇"),
    ],
    metrics=[met(216, "家"), met(1021, "名"), met(83.2, "%")],
)


def test_perfect_prediction_scores_one():
    report = evaluate([GOLD], [GOLD])
    for score in (report.entities, report.relations, report.metrics):
        assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)
    assert report.entities.gold == 5 and report.relations.gold == 3 and report.metrics.gold == 3


def test_partial_entities_per_type():
    pred = doc(entities=[ent("亭林镇", "REGION"), ent("松江区", "REGION"), ent("本优公司", "ENTERPRISE")])
    report = evaluate([pred], [GOLD])
    region = report.entity_types["REGION"]
    assert (region.gold, region.predicted, region.correct) == (2, 2, 1)
    ent_ = report.entity_types["ENTERPRISE"]
    assert (ent_.gold, ent_.predicted, ent_.correct) == (2, 1, 1)
    assert report.entity_types["ZONE"].predicted == 0
    # micro: 2 correct of 3 predicted, of 5 gold
    assert report.entities.correct == 2
    assert report.entities.precision == pytest.approx(2 / 3)
    assert report.entities.recall == pytest.approx(2 / 5)
    assert report.entities.f1 == pytest.approx(2 * (2 / 3) * (2 / 5) / (2 / 3 + 2 / 5))


def test_alias_match_both_ways():
    # predicted short name equals a gold alias; predicted alias equals the gold name
    pred = doc(entities=[ent("工业区", "ZONE"), ent("汉瑞普泽集团", "ENTERPRISE", "汉瑞普泽公司")])
    report = evaluate([pred], [GOLD])
    assert report.entity_types["ZONE"].correct == 1
    assert report.entity_types["ENTERPRISE"].correct == 1


def test_two_predictions_of_one_gold_entity_give_one_hit():
    pred = doc(entities=[ent("金山工业区", "ZONE"), ent("工业区", "ZONE")])
    zone = evaluate([pred], [GOLD]).entity_types["ZONE"]
    assert (zone.gold, zone.predicted, zone.correct) == (1, 2, 1)
    assert zone.precision == 0.5 and zone.recall == 1.0


def test_wrong_type_does_not_match():
    pred = doc(entities=[ent("金山工业区", "REGION"), ent("亭林镇", "ZONE")])
    report = evaluate([pred], [GOLD])
    assert report.entities.correct == 0
    assert report.entities.predicted == 2


def test_symmetric_cooperates_with_and_directed_predicates():
    pred = doc(
        relations=[
            rel("本优公司", "COOPERATES_WITH", "汉瑞普泽公司"),  # reversed: still a hit
            rel("金山区", "LOCATED_IN", "亭林镇"),
        ]
    )  # reversed: a miss
    report = evaluate([pred], [GOLD])
    assert report.predicates["COOPERATES_WITH"].correct == 1
    loc = report.predicates["LOCATED_IN"]
    assert (loc.gold, loc.predicted, loc.correct) == (2, 1, 0)


def test_relation_arguments_match_through_aliases_and_duplicates_count_once():
    pred = doc(
        entities=[ent("汉瑞普泽", "ENTERPRISE")],  # a gold alias, used as the predicted canonical name
        relations=[
            rel("汉瑞普泽", "COOPERATES_WITH", "本优公司"),
            rel("本优公司", "COOPERATES_WITH", "汉瑞普泽公司"),  # the same pair again
            rel("汉瑞普泽", "LOCATED_IN", "亭林镇"),
        ],
    )
    report = evaluate([pred], [GOLD])
    cw = report.predicates["COOPERATES_WITH"]
    assert (cw.gold, cw.predicted, cw.correct) == (1, 1, 1)
    assert report.predicates["LOCATED_IN"].correct == 1
    assert report.relations.precision == 1.0
    assert report.relations.recall == pytest.approx(2 / 3)


def test_metrics_multiset_with_tolerance_and_units():
    gold = doc(metrics=[met(8, "家"), met(8, "家"), met(100, "%"), met(4e10, "元")])
    pred = doc(metrics=[met(8.0000000001, "家"), met(100, "%"), met(100, "%"), met(4e10 + 1, "元"), met(8, "个")])
    m = evaluate([pred], [gold]).metrics
    # 8家 once (gold has two, predicted one), 100% once (each gold used once), 4e10±1 within 1e-6 relative
    assert (m.gold, m.predicted, m.correct) == (4, 5, 3)
    assert m.precision == pytest.approx(3 / 5) and m.recall == pytest.approx(3 / 4)


def test_missing_prediction_counts_as_missed_and_extra_documents_are_ignored():
    report = evaluate([doc("other.txt", metrics=[met(1, "家")])], [GOLD])
    assert report.metrics.gold == 3 and report.metrics.predicted == 0
    assert report.entities.recall == 0.0
    assert set(report.per_doc) == {"a.txt"}


def test_documents_pair_by_base_name():
    pred = dict(GOLD, doc="/some/where/a.txt")
    assert evaluate([pred], [GOLD]).metrics.f1 == 1.0


def test_format_report_is_a_table_with_rows_and_totals():
    pred = doc(entities=[ent("亭林镇", "REGION")], metrics=[met(216, "家")])
    text = format_report(evaluate([pred], [GOLD]))
    lines = text.splitlines()
    assert lines[0].split() == ["row", "gold", "pred", "correct", "P", "R", "F1"]
    region = next(line for line in lines if line.startswith("entity REGION"))
    assert region.split()[2:] == ["2", "1", "1", "1.000", "0.500", "0.667"]
    metrics = next(line for line in lines if line.startswith("METRICS (micro)"))
    assert metrics.split()[2:] == ["3", "1", "1", "1.000", "0.333", "0.500"]
    assert any(line.startswith("relation LOCATED_IN") for line in lines)
    assert any(line.startswith("ENTITIES (micro)") for line in lines)


def test_seed_gold_scored_against_itself_is_perfect():
    gold = load_gold(DATA / "seed-gold.jsonl")
    assert len(gold) == 5
    report = evaluate(gold, gold)
    assert isinstance(report, EvalReport)
    assert report.entities.f1 == 1.0 and report.relations.f1 == 1.0 and report.metrics.f1 == 1.0
    assert report.metrics.gold == sum(len(d["metrics"]) for d in gold)


def test_kb_eval_on_a_malformed_gold_file_names_the_file_and_line(tmp_path):
    from click.testing import CliRunner

    from kb.cli import main

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"doc": "a.txt", "entities": []}\n{"doc": "b.txt", "entities": [\n', encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = CliRunner().invoke(main, ["eval", str(gold), "--corpus", str(corpus)])
    assert result.exit_code == 1
    assert f"{gold}:2: not a JSON record" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception escaping
