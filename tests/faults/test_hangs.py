"""Nothing hangs: the inputs that made a regular expression backtrack for ever, or whose cost grew
with the square of a line's length, now go through every stage (read to extraction) in seconds.

The corpus is generated the same way every time: the texts an audit found hanging, texts built to
hit each pattern that could backtrack (a run of the words it may read two ways, then a character
that makes it fail), and random mixes of those words. Each runs in a worker process with a time
budget (``kb.ingest.map_pool``), so a regression fails the test instead of hanging it.
"""

from __future__ import annotations

import random
from pathlib import Path

from kb.extraction import extract_text
from kb.ingest import map_pool
from tests.conftest import seed

# Seconds for one short text, read to extraction. They take well under a second each; before the
# fix most of these never finished.
BUDGET = 20
# The one long line (100,000 characters) at about 5,000 characters a second: some 20 s. Its time
# grew with the square of its length (100 KB of the seeds in one line: several minutes).
LONG_BUDGET = 120

# Words the patterns could read more than one way: separators that may also sit inside a list item
# (和 及 与), titles that are one word or two (支部书记 = 支部 + 书记), 记者 before a name.
AMBIGUOUS = [
    "和",
    "及",
    "与",
    "、",
    "等",
    "产业",
    "新材料",
    "支部书记",
    "总支书记",
    "专职副书记",
    "党委",
    "记者张三",
    "\u2003  ",
    "<!---->",
    "-->",
    "，",
    "x",
]


def hostile_texts() -> list[tuple[str, str]]:
    """(name, text) pairs: the inputs that hung and more of their kind, deterministic."""
    texts = [
        # Industry lists (A、B和C等产业): a run of separators, cut into items every possible way.
        ("和 x60", "和" * 60),
        ("与 x80", "与" * 80),
        ("及 x80", "及" * 80),
        ("和 x200", "和" * 200),
        ("A公司和 x500", "A公司和" * 500),
        ("和平 x500", "和平" * 500),
        ("、和 x500", "、和" * 500),
        ("新材料和 x40, no closer", "新材料和" * 40 + "，产业"),
        ("、 x200", "、" * 200),
        ("等 x200", "等" * 200),
        # A title between an organisation and a person, read as one word or two (HOLDS_POSITION).
        ("支部书记 x30", "青松镇党委" + "支部书记" * 30 + "的书记王明强表示，要加强党建。"),
        ("总支书记、 x30", "青松镇党委" + "总支书记、" * 30 + "的书记王明强表示。"),
        # Bylines and markup lines in the clean stage.
        ("byline of many names", "本报讯（" + "记者张三\u2003  " * 20 + "x"),
        ("photo credit of many names", "张三\u2003  " * 11 + "x"),
        ("comment line", "<!---->" * 40 + "x"),
        # Mojibake search in normalize: a long run of Han characters, tried from each one.
        ("经济 x10000", "经济" * 10_000),
        ("kana run", "カ" * 20_000 + "党"),
    ]
    rng = random.Random(16)
    for k in range(24):
        words = rng.sample(AMBIGUOUS, 3)
        texts.append(
            (f"mix {k}: {'|'.join(words)}", "".join(rng.choice(words) for _ in range(rng.choice([20, 40, 60]))))
        )
    return texts


def long_line() -> str:
    """The seeds' paragraphs in one line, 100,000 characters."""
    paragraphs = [p.strip() for p in seed("003").read_text(encoding="utf-8").split("\n") if p.strip()]
    line = "".join(paragraphs)
    return (line * (100_000 // len(line) + 1))[:100_000]


def _run(tmp_path: Path, texts: list[tuple[str, str]], budget: float) -> dict[str, str]:
    """Process each text as a file in worker processes; the name and error of each that ran over."""
    extract_text("区委书记王明强来到青松镇。")  # load jieba and the model once, so that workers start warm
    paths = {}
    for i, (name, text) in enumerate(texts):
        path = tmp_path / f"hostile{i:03d}.txt"
        path.write_text(text, encoding="utf-8")
        paths[str(path)] = name
    slow = {}
    for doc in map_pool(list(paths), workers=2, timeout=budget):
        if "took longer" in doc.error:
            slow[paths[doc.source]] = doc.error
    return slow


def test_hostile_texts_each_go_through_every_stage_within_seconds(tmp_path):
    assert _run(tmp_path, hostile_texts(), BUDGET) == {}


def test_a_100000_character_line_takes_time_in_proportion_to_its_length(tmp_path):
    assert _run(tmp_path, [("one line of 100,000 characters", long_line())], LONG_BUDGET) == {}
