"""Random text through every stage: nothing crashes, offsets stay inside the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.extraction import extract_text

# Characters this corpus is made of, plus the damage OCR and copying add.
ALPHABET = st.sampled_from(
    list(
        "党委集群企业公司区镇村有限合作覆盖家名个成立书记与和、，。；：“”()（）0123456789 \n\t"
        "強(qiáng)實現abcXYZ%#<>-·—…"
    )
    + ["\ufffd", "\u3000", "ず", "\x00"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=300))
def test_any_text_goes_through_every_stage(text):
    result = extract_text(text)
    if "error" in result:
        assert result["error"]  # a failure always says why
        return
    body = result["text"]
    for entity in result["entities"]:
        assert 0 <= entity["start"] < entity["end"] <= len(body)
        assert body[entity["start"] : entity["end"]] == entity["text"]
