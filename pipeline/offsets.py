"""Rewrite text while keeping, for every character, the index of the original character it came from.

A stage that changes text calls :func:`sub` (a regex substitution) or :func:`align` (for a
library that returns a new string) and gets back the new text with its offset map.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable


def sub(
    text: str, offsets: list[int], pattern: re.Pattern[str] | str, repl: str | Callable[[re.Match[str]], str]
) -> tuple[str, list[int]]:
    """``re.sub`` that also rewrites the offset map.

    A replacement of the same length as its match keeps a one-to-one map; a replacement that is a
    substring of the match (the usual case: deleting characters) maps to where that substring was;
    anything else maps each new character to the start of the match.
    """
    if isinstance(pattern, str):
        pattern = re.compile(pattern)
    out: list[str] = []
    out_offsets: list[int] = []
    pos = 0
    for match in pattern.finditer(text):
        out.append(text[pos : match.start()])
        out_offsets.extend(offsets[pos : match.start()])
        new = repl(match) if callable(repl) else match.expand(repl)
        old = match.group(0)
        out.append(new)
        if len(new) == len(old):
            out_offsets.extend(offsets[match.start() : match.end()])
        elif new and old.find(new) >= 0:
            at = match.start() + old.find(new)
            out_offsets.extend(offsets[at : at + len(new)])
        else:
            anchor = offsets[match.start()] if match.start() < len(offsets) else (offsets[-1] if offsets else 0)
            out_offsets.extend([anchor] * len(new))
        pos = match.end()
    out.append(text[pos:])
    out_offsets.extend(offsets[pos:])
    return "".join(out), out_offsets


def align(old: str, old_offsets: list[int], new: str) -> list[int]:
    """Offset map for ``new``, a rewrite of ``old`` by a library (OpenCC), through ``old``'s map."""
    if len(new) == len(old):
        return list(old_offsets)
    result: list[int] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (i2 - i1) == (j2 - j1):
            result.extend(old_offsets[i1:i2][: j2 - j1])
        else:
            anchor = old_offsets[i1] if i1 < len(old_offsets) else (old_offsets[-1] if old_offsets else 0)
            result.extend([anchor] * (j2 - j1))
    return result
