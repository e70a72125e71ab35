"""Mentions inside phrases that hold a name without mentioning it (pipeline.mention_filter)."""

from __future__ import annotations

from pipeline.document import Span
from pipeline.mention_filter import drop_phrase_mentions


def test_a_name_inside_a_not_a_mention_phrase_is_dropped_and_the_country_elsewhere_kept():
    text = "推进中国式现代化，中国经济稳中向好。"
    first, second = (text.index("中国"), text.rindex("中国"))
    spans = [Span(first, first + 2, "中国", "REGION"), Span(second, second + 2, "中国", "REGION")]
    assert [s.start for s in drop_phrase_mentions([spans], [text])[0]] == [second]


def test_a_longer_name_that_contains_the_phrase_is_kept():
    text = "中国共产党第二十次全国代表大会召开。"
    congress = Span(0, 15, text[:15], "GOV_ORG")
    assert drop_phrase_mentions([[congress, Span(0, 2, "中国", "REGION")]], [text]) == [[congress]]


def test_the_pipeline_does_not_take_the_country_from_a_slogan():
    from pipeline.dedup import local_dedup
    from pipeline.extract import extract
    from pipeline.stages import prepare_text

    doc = extract(local_dedup(prepare_text("奋力谱写中国式现代化新篇章，坚持中国特色社会主义道路。", source="t.txt")))
    assert "中国" not in {e.name for e in doc.entities}
