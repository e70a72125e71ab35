"""Stage 2, normalize: script detection, pinyin removal, Traditional→Simplified, width folding.

The original text is never touched: every change goes through :mod:`pipeline.offsets` so the
working text keeps a map back to it. Mojibake that cannot be recovered is flagged, not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from . import offsets
from .document import Document

HAN = "\u4e00-\u9fff\u3400-\u4dbf"
TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
# A parenthesised run of lowercase Latin letters with tone marks right after a Han character:
# the ruby annotation of a character, e.g. 強(qiáng). Real parentheses hold Han text, capitals or digits.
PINYIN_ANNOTATION = re.compile(rf"(?<=[{HAN}])[(（]([a-z{TONE_VOWELS}]{{1,7}})[)）]")
PINYIN_SYLLABLE = re.compile(
    r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(iang|iong|uang|ueng|ang|eng|ing|ong|uan|ian|iao|uai|van|ai|ei|ao|ou|an|en|in|un|vn|ia|ie|ua|uo|ue|ve|er|ui|iu|a|o|e|i|u|v)$"
)
_PLAIN = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü", "aaaaeeeeiiiioooouuuuvvvvv")

# Mojibake: characters a Chinese text has no business containing, mixed into Han text —
# the replacement character, a '?' or Japanese kana glued to Han, stray ASCII brackets inside a Han run.
# A match takes in the Han run before it. It starts only where a Han run (or, without one, a kana
# run) starts, and the runs are taken possessively: tried from every character of a long run, the
# search took time in the square of the run's length (100,000 和 in a row never finished). Same
# matches as the plain form (checked on 400,000 random strings of these characters).
KANA = "\u3040-\u30ff"
MOJIBAKE = re.compile(
    rf"(?<![{HAN}])(?:[{HAN}]*+\ufffd|(?:[{HAN}]++|(?<![{KANA}]))[{KANA}]++[{HAN}<{{|}}]+[<{{|}}]"
    rf"|[{HAN}]++(?:[?？][!！]?[{KANA}]|[<{{|}}]+[{HAN}]))[^\s，。、；！？]*"
)
CJK_PUNCT_FOR_ASCII = {",": "，", ";": "；", "!": "！", "?": "？", ":": "："}
KEEP_FULLWIDTH = set("，；：！？（）")  # Chinese punctuation stays full-width; parentheses: see fold_width


def is_pinyin(annotation: str) -> bool:
    """True when ``annotation`` (without parentheses) is one pinyin syllable with a tone mark."""
    if not any(ch in TONE_VOWELS for ch in annotation) or annotation == "ü":
        return False
    return bool(PINYIN_SYLLABLE.match(annotation.translate(_PLAIN)))


def strip_pinyin(text: str, offs: list[int]) -> tuple[str, list[int]]:
    """Remove pinyin annotations such as 強(qiáng); keep real parentheses like (沈玉林) or (G60)."""
    return offsets.sub(text, offs, PINYIN_ANNOTATION, lambda m: "" if is_pinyin(m.group(1)) else m.group(0))


@cache
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def script_counts(text: str) -> tuple[int, int]:
    """(Traditional-only, Simplified-only) character counts: those OpenCC t2s, resp. s2t, would change."""
    sample = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")[:20000]
    to_simp = _converter("t2s").convert(sample)
    to_trad = _converter("s2t").convert(sample)
    trad = sum(1 for a, b in zip(sample, to_simp, strict=False) if a != b)
    simp = sum(1 for a, b in zip(sample, to_trad, strict=False) if a != b)
    return trad, simp


def detect_script(text: str) -> str:
    """Classify Han text as ``simplified``, ``traditional``, ``mixed`` or ``none``.

    A text whose script-specific characters are at least 80% of one script is that script.
    """
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "none"
    trad, simp = script_counts(text)
    if trad >= 4 * simp and trad:
        return "traditional"
    if simp >= 4 * trad:
        return "simplified"
    return "mixed"


def to_simplified(text: str, offs: list[int]) -> tuple[str, list[int]]:
    """Convert to Simplified with OpenCC ``t2s`` (character and phrase level; no regional rewording)."""
    new = _converter("t2s").convert(text)
    return new, offsets.align(text, offs, new)


def fold_width(text: str, offs: list[int]) -> tuple[str, list[int]]:
    """Full-width Latin letters, digits and symbols to ASCII; ASCII , ; ! ? : between Han to Chinese.

    Every change is one character for one, so offsets are unchanged.
    """
    chars = list(text)
    for i, ch in enumerate(chars):
        code = ord(ch)
        if ch == "\u3000":
            chars[i] = " "
        elif 0xFF01 <= code <= 0xFF5E and ch not in KEEP_FULLWIDTH:
            chars[i] = chr(code - 0xFEE0)
        elif ch in "（）":
            chars[i] = "(" if ch == "（" else ")"
    for i, ch in enumerate(chars):
        if ch in CJK_PUNCT_FOR_ASCII and i > 0:
            before, after = chars[i - 1], (chars[i + 1] if i + 1 < len(chars) else "")
            if _is_han_or_quote(before) or (_is_han_or_quote(after) and not before.isdigit()):
                chars[i] = CJK_PUNCT_FOR_ASCII[ch]
    return "".join(chars), offs


def _is_han_or_quote(ch: str) -> bool:
    return bool(ch) and "\u4e00" <= ch <= "\u9fff" or ch in "“”‘’\"'）)》」』"


def find_mojibake(text: str) -> list[tuple[int, str]]:
    """Return ``(offset, run)`` for each run of text that looks like mis-decoded bytes."""
    return [(m.start(), m.group(0)) for m in MOJIBAKE.finditer(text)]


def normalize(doc: Document) -> Document:
    """Stage 2: fill ``doc.script`` and rewrite ``doc.text`` (with its offsets) to normalized Simplified."""
    text, offs = unicodedata.normalize("NFC", doc.text), doc.offsets
    if len(text) != len(doc.text):
        offs = offsets.align(doc.text, offs, text)
    doc.script = detect_script(text)
    text, offs = strip_pinyin(text, offs)
    if doc.script != "none" and script_counts(text)[0]:  # stray Traditional characters too
        text, offs = to_simplified(text, offs)
    text, offs = fold_width(text, offs)
    for at, run in find_mojibake(text):
        doc.warnings.append(f"mojibake at original offset {offs[at]}: {run!r} (left as is)")
    doc.text, doc.offsets = text, offs
    return doc
